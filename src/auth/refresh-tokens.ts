import type { Storage } from '../storage/index.js';
import type { TokenGrant } from './auth-tokens.js';
import { generateToken, hashToken } from './tokens.js';

export const REFRESH_TOKEN_PREFIX = 'dsr_';

/** Creates a refresh token for the grant, valid for `ttlSeconds`, and stores its hash. */
export function issueRefreshToken(storage: Storage, grant: TokenGrant, ttlSeconds: number, now = Date.now()): string {
  const token = generateToken(REFRESH_TOKEN_PREFIX);
  storage.createRefreshToken(grant.organisationId, hashToken(token), now + ttlSeconds * 1000, grant.applicationTokenId);
  return token;
}

/**
 * Uses up a refresh token: deletes it and returns its grant, so the caller
 * issues a new one. Returns undefined when the token is unknown, expired, or
 * its application token has been revoked.
 */
export function redeemRefreshToken(storage: Storage, token: string, now = Date.now()): TokenGrant | undefined {
  if (!token.startsWith(REFRESH_TOKEN_PREFIX)) return undefined;

  const tokenHash = hashToken(token);
  const stored = storage.findRefreshToken(tokenHash);
  if (stored === undefined || stored.application_token_id === null) return undefined;

  // Deleted before the checks, so an expired or orphaned token does not stay behind.
  if (!storage.deleteRefreshToken(tokenHash)) return undefined;
  if (stored.expires_at <= now) return undefined;
  if (!storage.isApplicationTokenActive(stored.application_token_id)) return undefined;

  return { organisationId: stored.organisation_id, applicationTokenId: stored.application_token_id };
}
