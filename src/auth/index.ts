export { isAdminToken } from './admin-token.js';
export { findApplicationToken, issueApplicationToken, APPLICATION_TOKEN_PREFIX, type IssuedApplicationToken } from './application-tokens.js';
export { resolveJwtSecret, signAuthToken, verifyAuthToken, AUTH_TOKEN_ISSUER, type TokenGrant } from './auth-tokens.js';
export { issueRefreshToken, redeemRefreshToken, REFRESH_TOKEN_PREFIX } from './refresh-tokens.js';
export { generateToken, hashToken } from './tokens.js';
