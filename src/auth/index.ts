export { isAdminToken } from './admin-token.js';
export { findApplicationToken, issueApplicationToken, APPLICATION_TOKEN_PREFIX, type IssuedApplicationToken } from './application-tokens.js';
export { resolveJwtSecret, signAuthToken, verifyAuthToken, AUTH_TOKEN_ISSUER } from './auth-tokens.js';
export { findRefreshTokenOrganisation, issueRefreshToken, REFRESH_TOKEN_PREFIX } from './refresh-tokens.js';
export { generateToken, hashToken } from './tokens.js';
