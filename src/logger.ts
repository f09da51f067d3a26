import pino, { type Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Creates the JSON logger. Paths that may carry secrets are redacted; the
 * code also never puts tokens, credentials or customer headers into log fields.
 */
export function createLogger(level = process.env.DATASTREAMER_LOG_LEVEL ?? 'info'): Logger {
  if (!LEVELS.includes(level)) {
    throw new Error(`DATASTREAMER_LOG_LEVEL=${level} is invalid: use one of ${LEVELS.join(', ')}.`);
  }

  return pino({
    name: 'datastreamer',
    level,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.secretAccessKey', '*.sessionToken', '*.signing_secret', '*.application_token', '*.refresh_token'],
      censor: '[redacted]',
    },
  });
}
