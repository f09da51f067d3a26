import type { FastifyPluginAsync } from 'fastify';

import { findApplicationToken } from '../../auth/application-tokens.js';
import { signAuthToken, type TokenGrant } from '../../auth/auth-tokens.js';
import { issueRefreshToken, redeemRefreshToken } from '../../auth/refresh-tokens.js';
import type { ApiDeps } from '../deps.js';
import { apiError, errorBodyRef } from '../errors.js';

interface AuthenticateBody {
  application_token?: string;
  refresh_token?: string;
}

const DEFAULT_RATE_LIMIT = { max: 20, timeWindowMs: 60_000 };

const token = { type: 'string', minLength: 1, maxLength: 512 };

const schema = {
  tags: ['Authentication'],
  summary: 'Exchange an application token or a refresh token for an auth token',
  description:
    'Send either application_token or refresh_token. The auth token is a JWT for the Authorization: Bearer header of every ' +
    'other call. A refresh token works once: the response carries its replacement. Revoking the application token ends ' +
    'its auth and refresh tokens at once. Attempts are rate limited per client address.',
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { application_token: token, refresh_token: token },
  },
  response: {
    200: {
      type: 'object',
      required: ['auth_token', 'refresh_token'],
      properties: {
        auth_token: { type: 'string', description: 'JWT, valid for DATASTREAMER_AUTH_TOKEN_TTL seconds.' },
        refresh_token: { type: 'string', description: 'Exchange it once for a new auth token when the current one expires.' },
      },
    },
    401: errorBodyRef,
    422: errorBodyRef,
    429: errorBodyRef,
  },
};

export const authenticateRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const { config, storage, jwtSecret } = deps;
  const rateLimit = deps.authenticateRateLimit ?? DEFAULT_RATE_LIMIT;

  app.post<{ Body: AuthenticateBody }>(
    '/api/v1/authenticate',
    { schema, config: { rateLimit: { max: rateLimit.max, timeWindow: rateLimit.timeWindowMs } } },
    async (request) => {
      const { application_token, refresh_token } = request.body;
      checkOneTokenGiven(request.body);

      let grant: TokenGrant | undefined;
      if (application_token !== undefined) {
        const found = findApplicationToken(storage, application_token);
        if (found === undefined) throw apiError('invalid_application_token', {});
        grant = { organisationId: found.organisation_id, applicationTokenId: found.id };
      } else {
        grant = redeemRefreshToken(storage, refresh_token!);
        if (grant === undefined) throw apiError('invalid_refresh_token', {});
      }

      return {
        auth_token: await signAuthToken(jwtSecret, grant, config.authTokenTtlSeconds),
        refresh_token: issueRefreshToken(storage, grant, config.refreshTokenTtlSeconds),
      };
    },
  );
};

function checkOneTokenGiven(body: AuthenticateBody): void {
  if (body.application_token !== undefined && body.refresh_token !== undefined) {
    const errors = [{ field: 'refresh_token', message: 'must not be sent together with application_token; send one of them' }];
    throw apiError('validation_failed', { part: 'body', count: 1 }, errors);
  }

  if (body.application_token === undefined && body.refresh_token === undefined) {
    const errors = [{ field: 'application_token', message: 'is required unless refresh_token is given' }];
    throw apiError('validation_failed', { part: 'body', count: 1 }, errors);
  }
}
