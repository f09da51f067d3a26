import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';

import type { Config } from '../config.js';
import type { Storage } from '../storage/index.js';

/**
 * Auth tokens are JWTs signed with HS256. `sub` is the organisation id,
 * `tid` the id of the application token they were issued from, `iss` is
 * "datastreamer" and `exp` lies `authTokenTtlSeconds` after issue.
 */
export const AUTH_TOKEN_ISSUER = 'datastreamer';

/** The organisation that an auth or refresh token acts for, and the application token it derives from. */
export interface TokenGrant {
  organisationId: number;
  applicationTokenId: number;
}

const JWT_SECRET_SETTING = 'jwt_secret';

/** HS256 keys shorter than the hash output (32 bytes) weaken the signature. */
const MIN_SECRET_BYTES = 32;

/**
 * Returns the key that signs auth tokens: DATASTREAMER_JWT_SECRET when set,
 * otherwise a random key generated on first start and kept in storage, so
 * auth tokens stay valid across restarts.
 */
export function resolveJwtSecret(config: Config, storage: Storage): Uint8Array {
  if (config.jwtSecret !== '') {
    const secret = new TextEncoder().encode(config.jwtSecret);
    if (secret.length < MIN_SECRET_BYTES) {
      throw new Error(
        `DATASTREAMER_JWT_SECRET is ${secret.length} bytes long, which is too short for HS256: use at least ${MIN_SECRET_BYTES} random bytes, ` +
          'for example the output of `openssl rand -base64 48`, or unset it to let the service generate and store one.',
      );
    }
    return secret;
  }

  const stored = storage.getSetting(JWT_SECRET_SETTING);
  if (stored !== undefined) return Buffer.from(stored, 'base64url');

  const generated = randomBytes(MIN_SECRET_BYTES);
  storage.setSetting(JWT_SECRET_SETTING, generated.toString('base64url'));
  return generated;
}

export async function signAuthToken(secret: Uint8Array, grant: TokenGrant, ttlSeconds: number): Promise<string> {
  return new SignJWT({ tid: grant.applicationTokenId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(String(grant.organisationId))
    .setIssuer(AUTH_TOKEN_ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(secret);
}

/**
 * Returns the grant of an auth token whose signature, issuer and expiry are
 * valid, or undefined otherwise. Whether its application token is still
 * active is for the caller to check.
 */
export async function verifyAuthToken(secret: Uint8Array, token: string): Promise<TokenGrant | undefined> {
  try {
    const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], issuer: AUTH_TOKEN_ISSUER });

    const organisationId = Number(payload.sub);
    const applicationTokenId = payload.tid;
    if (!isPositiveId(organisationId) || !isPositiveId(applicationTokenId)) return undefined;
    return { organisationId, applicationTokenId };
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) return undefined;
    throw error;
  }
}

function isPositiveId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
