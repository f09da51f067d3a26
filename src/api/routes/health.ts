import type { FastifyPluginAsync } from 'fastify';

import type { ApiDeps } from '../deps.js';
import { apiError, errorBodyRef } from '../errors.js';

const statusSchema = { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } };

export const healthRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const { storage } = deps;

  app.get(
    '/healthz',
    { schema: { tags: ['Operations'], summary: 'Report that the process is running', response: { 200: statusSchema } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Report whether the service can serve requests, which needs a responding storage',
        response: { 200: statusSchema, 503: errorBodyRef },
      },
    },
    async (request) => {
      try {
        // Any cheap query proves that the database is open and responds.
        storage.getOrganisation(0);
      } catch (error) {
        request.log.error({ err: error }, 'readiness check failed: storage does not respond');
        throw apiError('storage_unavailable', {});
      }
      return { status: 'ok' };
    },
  );
};
