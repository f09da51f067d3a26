import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';

import type { ApiDeps } from './deps.js';
import { installErrorHandlers } from './error-handler.js';
import { apiError, errorBodySchema } from './errors.js';
import { parseJsonBody } from './json-body.js';
import { registerOpenApi } from './openapi.js';
import { applicationTokenRoutes } from './routes/application-tokens.js';
import { authenticateRoutes } from './routes/authenticate.js';
import { awsSetupRoutes } from './routes/aws-setup.js';
import { dataStreamLookupRoutes } from './routes/data-stream-lookups.js';
import { dataStreamRoutes } from './routes/data-streams.js';
import { eventTypeRoutes } from './routes/event-types.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import { metricsRoutes } from './routes/metrics.js';
import { organisationRoutes } from './routes/organisation.js';
import { v1DataStreamRoutes } from './routes/v1-data-streams.js';
import { compileValidator } from './validator.js';

export type { ApiDeps } from './deps.js';

export const REQUEST_ID_HEADER = 'x-request-id';

// An incoming request id is reused (so a proxy's id appears in our logs) only when it is short and plain.
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Builds the HTTP API: authentication, organisation, ingest, v2 data
 * streams, health checks and the OpenAPI description. The caller listens
 * and closes. Request bodies and headers are not logged.
 */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  // Fastify's request serializer logs method, URL and addresses but no headers or bodies. The service
  // logger (src/logger.ts) also redacts req.headers.authorization. No child logger adds redaction here,
  // because a pino child's redact option replaces the parent's paths instead of adding to them.
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, genReqId: requestIdOf });

  app.setValidatorCompiler(compileValidator);
  app.decorate('storage', deps.storage);
  app.decorateRequest('organisationId', 0);
  app.decorateRequest('applicationTokenId', 0);
  app.addSchema(errorBodySchema);
  installErrorHandlers(app);

  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  // Replaces Fastify's JSON parser so that a syntax error names its position. Request bodies are JSON
  // only, so plain text gets 415 instead of reaching a schema as a string.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, async (request: FastifyRequest, body: string) => {
    // Some clients send Content-Type: application/json on every request, including a DELETE without a body.
    if (request.method === 'DELETE' && body.trim() === '') return undefined;
    return parseJsonBody(body);
  });

  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => apiError('rate_limited', { retry_after: context.after }),
  });
  await registerOpenApi(app);

  await app.register(healthRoutes, deps);
  await app.register(authenticateRoutes, deps);
  await app.register(applicationTokenRoutes, deps);
  await app.register(organisationRoutes, deps);
  await app.register(eventTypeRoutes, deps);
  await app.register(ingestRoutes, deps);
  // The lookup lists go first, so that /api/v2/data_stream/status and the like are never taken for a stream id.
  await app.register(dataStreamLookupRoutes, deps);
  await app.register(dataStreamRoutes, deps);
  await app.register(awsSetupRoutes, deps);
  await app.register(v1DataStreamRoutes, deps);
  if (deps.metrics) await app.register(metricsRoutes, { registry: deps.metrics.registry });

  return app;
}

function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
