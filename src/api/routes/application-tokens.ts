import type { FastifyPluginAsync } from 'fastify';

import { issueApplicationToken } from '../../auth/application-tokens.js';
import type { ApplicationToken } from '../../storage/index.js';
import { requireDecimalId } from '../decimal-id.js';
import type { ApiDeps } from '../deps.js';
import { apiError, errorBodyRef } from '../errors.js';
import { AUTH_TOKEN_SECURITY, requireAuthToken } from '../request-auth.js';

const BASE_PATH = '/api/v1/application_token';

const tags = ['Authentication'];

interface CreateBody {
  description: string;
}

interface IdParams {
  id: number;
}

const tokenProperties = {
  id: { type: 'integer' },
  description: { type: 'string' },
  created: { type: 'string', format: 'date-time' },
};

const tokenViewSchema = {
  type: 'object',
  required: ['id', 'description', 'created', 'last_used'],
  properties: {
    ...tokenProperties,
    last_used: { type: ['string', 'null'], format: 'date-time', description: 'Last exchange for an auth token.' },
  },
};

/** Builds the listed form of an application token, which never contains the token or its hash. */
function toTokenView(token: ApplicationToken) {
  return { id: token.id, description: token.description, created: token.created, last_used: token.last_used };
}

/**
 * Application tokens that an organisation manages for itself. A token is
 * shown once, at creation, and stored as a hash. Revoking one also ends the
 * auth tokens and refresh tokens issued from it, at once.
 */
export const applicationTokenRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const { storage, jwtSecret } = deps;

  app.addHook('onRequest', requireAuthToken(jwtSecret));

  app.post<{ Body: CreateBody }>(
    BASE_PATH,
    {
      schema: {
        tags,
        summary: 'Create an application token',
        description: 'The response carries the token itself, which is shown only this once. Store it in a secret store.',
        security: AUTH_TOKEN_SECURITY,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['description'],
          properties: { description: { type: 'string', minLength: 1, maxLength: 255, description: 'What or who uses the token.' } },
        },
        response: {
          201: {
            type: 'object',
            required: ['id', 'description', 'created', 'application_token'],
            properties: {
              ...tokenProperties,
              application_token: { type: 'string', description: 'Exchange it with POST /api/v1/authenticate. Shown only once.' },
            },
          },
          401: errorBodyRef,
          422: errorBodyRef,
        },
      },
    },
    async (request, reply) => {
      const { token, record } = issueApplicationToken(storage, request.organisationId, request.body.description);

      request.log.info({ organisation_id: request.organisationId, application_token_id: record.id }, 'application token created');
      return reply.code(201).send({ id: record.id, description: record.description, created: record.created, application_token: token });
    },
  );

  app.get(
    BASE_PATH,
    {
      schema: {
        tags,
        summary: "List the organisation's active application tokens",
        description: 'Revoked tokens are not listed, and the tokens themselves are never shown again.',
        security: AUTH_TOKEN_SECURITY,
        response: { 200: { type: 'array', items: tokenViewSchema }, 401: errorBodyRef },
      },
    },
    async (request) =>
      storage
        .listApplicationTokens(request.organisationId)
        .filter((token) => token.revoked === null)
        .map(toTokenView),
  );

  app.delete<{ Params: IdParams }>(
    `${BASE_PATH}/:id`,
    {
      preValidation: requireDecimalId,
      schema: {
        tags,
        summary: 'Revoke an application token',
        description:
          'The token can no longer authenticate, and the auth tokens and refresh tokens issued from it stop working at once, ' +
          'including the one that makes this request if it derives from the revoked token.',
        security: AUTH_TOKEN_SECURITY,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, description: 'Application token id.' } } },
        response: {
          204: { type: 'null', description: 'The token is revoked.' },
          401: errorBodyRef,
          404: errorBodyRef,
          422: errorBodyRef,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!storage.revokeApplicationToken(request.organisationId, id)) throw apiError('application_token_not_found', { id });

      request.log.info({ organisation_id: request.organisationId, application_token_id: id }, 'application token revoked');
      return reply.code(204).send();
    },
  );
};
