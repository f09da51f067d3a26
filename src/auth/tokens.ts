import { createHash, randomBytes } from 'node:crypto';

/** Random bytes in every application and refresh token. */
const TOKEN_BYTES = 32;

/** Returns a new random token: the prefix, then 32 random bytes in base64url. */
export function generateToken(prefix: string): string {
  return prefix + randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * Returns the SHA-256 hash (hex) under which a token is stored. A fast hash
 * is enough because tokens are random, not chosen by people.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
