import type { FastifyPluginAsync } from 'fastify';

import { EVENT_TYPES } from '../../records/event-types.js';
import type { ApiDeps } from '../deps.js';
import { errorBodyRef } from '../errors.js';
import { AUTH_TOKEN_SECURITY, requireAuthToken } from '../request-auth.js';

const schema = {
  tags: ['Records'],
  summary: 'List the event types',
  description: 'The ids that event records carry in event_type.id and that event_type_id filters of data streams accept.',
  security: AUTH_TOKEN_SECURITY,
  response: {
    200: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'description'],
        properties: { id: { type: 'integer' }, description: { type: 'string' } },
      },
    },
    401: errorBodyRef,
  },
};

export const eventTypeRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get('/api/v1/event/type', { schema, onRequest: requireAuthToken(deps.jwtSecret) }, async () => EVENT_TYPES);
};
