import type { ApplicationToken, Storage } from '../storage/index.js';
import { generateToken, hashToken } from './tokens.js';

export const APPLICATION_TOKEN_PREFIX = 'dsa_';

export interface IssuedApplicationToken {
  /** The token itself. Only its hash is stored, so this is the one chance to show it. */
  token: string;
  record: ApplicationToken;
}

/** Creates an application token for an organisation and stores its hash. */
export function issueApplicationToken(storage: Storage, organisationId: number, description: string): IssuedApplicationToken {
  const token = generateToken(APPLICATION_TOKEN_PREFIX);
  const record = storage.createApplicationToken(organisationId, hashToken(token), description);
  return { token, record };
}

/** Returns the stored token that matches `token`, or undefined when it is unknown or revoked. */
export function findApplicationToken(storage: Storage, token: string): ApplicationToken | undefined {
  if (!token.startsWith(APPLICATION_TOKEN_PREFIX)) return undefined;
  return storage.findApplicationToken(hashToken(token));
}
