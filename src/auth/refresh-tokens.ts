import type { Storage } from '../storage/index.js';
import { generateToken, hashToken } from './tokens.js';

export const REFRESH_TOKEN_PREFIX = 'dsr_';

/** Creates a refresh token for an organisation, valid for `ttlSeconds`, and stores its hash. */
export function issueRefreshToken(storage: Storage, organisationId: number, ttlSeconds: number, now = Date.now()): string {
  const token = generateToken(REFRESH_TOKEN_PREFIX);
  storage.createRefreshToken(organisationId, hashToken(token), now + ttlSeconds * 1000);
  return token;
}

/** Returns the organisation id of a refresh token, or undefined when the token is unknown or expired. */
export function findRefreshTokenOrganisation(storage: Storage, token: string, now = Date.now()): number | undefined {
  if (!token.startsWith(REFRESH_TOKEN_PREFIX)) return undefined;

  const stored = storage.findRefreshToken(hashToken(token));
  if (stored === undefined || stored.expires_at <= now) return undefined;
  return stored.organisation_id;
}
