import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';

import { ApiError, apiError } from './errors.js';
import { toFieldErrors } from './schema-errors.js';

/**
 * Installs the handlers that turn every failure into the API's error body.
 * Catalogue errors pass as they are, and schema validation errors become 422
 * with the list of problems. Fastify's body errors become 400, 413 or 415,
 * unknown routes 404. Anything else is logged and becomes a 500 without
 * details for the client.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiErr = toApiError(error, request, app.initialConfig.bodyLimit ?? 0);
    if (apiErr.statusCode >= 500 && !(error instanceof ApiError)) {
      request.log.error({ err: error }, 'request failed with an unexpected error');
    }
    return sendError(reply, apiErr);
  });

  app.setNotFoundHandler((request, reply) => {
    return sendError(reply, apiError('route_not_found', { method: request.method, url: request.url.split('?')[0] }));
  });
}

function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(error.toBody());
}

function toApiError(error: FastifyError, request: FastifyRequest, serverBodyLimit: number): ApiError {
  if (error instanceof ApiError) return error;

  if (error.validation) {
    const errors = toFieldErrors(error.validation as ErrorObject[]);
    return apiError('validation_failed', { part: partName(error.validationContext), count: errors.length }, errors);
  }

  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return apiError('body_too_large', { limit: request.routeOptions.bodyLimit ?? serverBodyLimit });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return apiError('unsupported_media_type', {
        content_type: request.headers['content-type'] ?? '',
        expected: 'application/json',
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return apiError('malformed_json', { detail: 'the body is empty' });
  }

  // Other client errors that Fastify raises, such as a Content-Length that does not match the body.
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return apiError('bad_request', { detail: error.message });

  return apiError('internal_error', { request_id: request.id });
}

function partName(context: string | undefined): string {
  switch (context) {
    case 'params':
      return 'path';
    case 'querystring':
      return 'query string';
    case 'headers':
      return 'headers';
    default:
      return 'body';
  }
}
