import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

import { isAdminToken } from '../auth/admin-token.js';
import { verifyAuthToken } from '../auth/auth-tokens.js';
import type { Storage } from '../storage/index.js';
import { apiError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Organisation of the request's auth token, set by requireAuthToken. */
    organisationId: number;
    /** Application token that the request's auth token was issued from, set by requireAuthToken. */
    applicationTokenId: number;
  }

  interface FastifyInstance {
    /** The API's storage, decorated by buildApi so that requireAuthToken can check for revoked application tokens. */
    storage: Storage;
  }
}

/** Security requirements for the OpenAPI description, matching the schemes that openapi.ts declares. */
export const AUTH_TOKEN_SECURITY = [{ authToken: [] }];
export const ADMIN_TOKEN_SECURITY = [{ adminToken: [] }];

/** Returns the token of an `Authorization: Bearer <token>` header, or undefined without one. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;

  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}

/**
 * Rejects requests without a valid auth token, or whose application token
 * has been revoked since the auth token was issued, and sets
 * `request.organisationId` and `request.applicationTokenId` from it.
 */
export function requireAuthToken(jwtSecret: Uint8Array): onRequestAsyncHookHandler {
  return async (request) => {
    const token = bearerToken(request);
    if (token === undefined) throw apiError('missing_bearer_token', { token_kind: 'auth token' });

    const grant = await verifyAuthToken(jwtSecret, token);
    if (grant === undefined) throw apiError('invalid_auth_token', {});
    if (!request.server.storage.isApplicationTokenActive(grant.applicationTokenId)) throw apiError('auth_token_revoked', {});

    request.organisationId = grant.organisationId;
    request.applicationTokenId = grant.applicationTokenId;
  };
}

/** Rejects requests without the operator's admin token, and all of them when none is configured. */
export function requireAdminToken(adminToken: string): onRequestAsyncHookHandler {
  return async (request) => {
    if (adminToken === '') throw apiError('admin_token_not_configured', {});

    const token = bearerToken(request);
    if (token === undefined) throw apiError('missing_bearer_token', { token_kind: 'admin token' });
    if (!isAdminToken(adminToken, token)) throw apiError('invalid_admin_token', {});
  };
}
