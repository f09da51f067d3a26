import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented admin token with the configured one in constant time.
 * Both are hashed first, so the comparison time reveals neither the content
 * nor the length of the configured token.
 */
export function isAdminToken(configuredToken: string, presentedToken: string): boolean {
  if (configuredToken === '') return false;
  return timingSafeEqual(sha256(configuredToken), sha256(presentedToken));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
