import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

import { isAdminToken } from '../auth/admin-token.js';
import { verifyAuthToken } from '../auth/auth-tokens.js';
import { apiError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Organisation of the request's auth token, set by requireAuthToken. */
    organisationId: number;
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

/** Rejects requests without a valid auth token and sets `request.organisationId` from it. */
export function requireAuthToken(jwtSecret: Uint8Array): onRequestAsyncHookHandler {
  return async (request) => {
    const token = bearerToken(request);
    if (token === undefined) throw apiError('missing_bearer_token', { token_kind: 'auth token' });

    const organisationId = await verifyAuthToken(jwtSecret, token);
    if (organisationId === undefined) throw apiError('invalid_auth_token', {});

    request.organisationId = organisationId;
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
