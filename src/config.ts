/**
 * Service configuration, read from environment variables. docs/configuration.md
 * lists every variable with its unit and default.
 */
export interface Config {
  /** Address and port the HTTP API listens on. */
  host: string;
  port: number;

  /** SQLite database file; ':memory:' keeps everything in memory (tests only). */
  databasePath: string;

  /** Operator token for organisation management and ingest. */
  adminToken: string;
  /** HMAC key for auth tokens; generated and stored in the database when empty. */
  jwtSecret: string;
  authTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;

  /** Principal that customer roles must trust, shown by `GET /api/v1/organisation/my`. */
  operatorPrincipalArn: string;

  /** Largest ingest request body, in bytes. */
  ingestBodyLimitBytes: number;

  /** Run the AWS setup check (assume the role, write a check object or record) before creating a stream. */
  setupCheckOnCreate: boolean;

  aws: AwsConfig;
  delivery: DeliveryConfig;
}

export interface AwsConfig {
  /** Endpoint overrides for local emulators; empty means the real regional endpoint. */
  s3Endpoint: string | undefined;
  kinesisEndpoint: string | undefined;
  stsEndpoint: string | undefined;
  /**
   * Requested lifetime of assumed-role sessions, in seconds. AWS caps sessions
   * of a role assumed by another role (role chaining) at one hour.
   */
  sessionDurationSeconds: number;
  /** Assumed credentials are refreshed this many seconds before they expire. */
  refreshBeforeExpirySeconds: number;
}

export interface DeliveryConfig {
  /** First retry delay after a failed attempt, in ms; doubles with each failure. */
  retryBaseMs: number;
  /** Upper bound of the retry delay, in ms. */
  retryMaxMs: number;
  /** How long a configuration fault may last before the stream moves to Error, in ms. */
  errorAfterMs: number;
  /** Delay between attempts of a stream in Error, in ms. */
  errorProbeMs: number;
  /**
   * Maximum wait of an idle worker before it looks for new records, in ms.
   * Ingest wakes workers directly, so this only bounds missed wake-ups; with
   * 10,000 streams a 5 s poll cost about 11% of a core (see docs/benchmarks.md).
   */
  idlePollMs: number;
  /** Timeout of one request to a REST API endpoint, in ms. */
  restTimeoutMs: number;
  /** Allow plain http and loopback, private and link-local addresses for REST API endpoints (development and tests only). */
  restAllowLocal: boolean;
}

type Env = Record<string, string | undefined>;

/** Example principal used until the operator sets DATASTREAMER_OPERATOR_PRINCIPAL_ARN. */
export const DEFAULT_OPERATOR_PRINCIPAL_ARN = 'arn:aws:iam::111111111111:role/datastreamer';

export function loadConfig(env: Env = process.env): Config {
  return {
    host: env.DATASTREAMER_HOST ?? '127.0.0.1',
    port: readInteger(env, 'DATASTREAMER_PORT', 8080, 0, 65535),
    databasePath: env.DATASTREAMER_DATABASE ?? 'data/datastreamer.db',
    adminToken: env.DATASTREAMER_ADMIN_TOKEN ?? '',
    jwtSecret: env.DATASTREAMER_JWT_SECRET ?? '',
    authTokenTtlSeconds: readInteger(env, 'DATASTREAMER_AUTH_TOKEN_TTL', 3600, 60, 86400),
    refreshTokenTtlSeconds: readInteger(env, 'DATASTREAMER_REFRESH_TOKEN_TTL', 30 * 86400, 300, 365 * 86400),
    operatorPrincipalArn: env.DATASTREAMER_OPERATOR_PRINCIPAL_ARN ?? DEFAULT_OPERATOR_PRINCIPAL_ARN,
    ingestBodyLimitBytes: readInteger(env, 'DATASTREAMER_INGEST_BODY_LIMIT', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    setupCheckOnCreate: readBoolean(env, 'DATASTREAMER_SETUP_CHECK_ON_CREATE', true),
    aws: {
      s3Endpoint: nonEmpty(env.DATASTREAMER_S3_ENDPOINT),
      kinesisEndpoint: nonEmpty(env.DATASTREAMER_KINESIS_ENDPOINT),
      stsEndpoint: nonEmpty(env.DATASTREAMER_STS_ENDPOINT),
      sessionDurationSeconds: readInteger(env, 'DATASTREAMER_SESSION_DURATION', 3600, 900, 3600),
      refreshBeforeExpirySeconds: readInteger(env, 'DATASTREAMER_SESSION_REFRESH_BEFORE', 300, 0, 3600),
    },
    delivery: {
      retryBaseMs: readInteger(env, 'DATASTREAMER_RETRY_BASE_MS', 1000, 1, 600_000),
      retryMaxMs: readInteger(env, 'DATASTREAMER_RETRY_MAX_MS', 300_000, 1, 3_600_000),
      errorAfterMs: readInteger(env, 'DATASTREAMER_ERROR_AFTER_MS', 60_000, 0, 86_400_000),
      errorProbeMs: readInteger(env, 'DATASTREAMER_ERROR_PROBE_MS', 60_000, 10, 3_600_000),
      idlePollMs: readInteger(env, 'DATASTREAMER_IDLE_POLL_MS', 60_000, 10, 600_000),
      restTimeoutMs: readInteger(env, 'DATASTREAMER_REST_TIMEOUT_MS', 10_000, 100, 300_000),
      restAllowLocal: readBoolean(env, 'DATASTREAMER_REST_ALLOW_LOCAL', false),
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name}=${env[name]} is invalid: expected true or false. Unset it to use the default ${fallback}.`);
}

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;

  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}=${raw} is invalid: expected an integer from ${min} to ${max}. Unset it to use the default ${fallback}.`);
  }
  return value;
}
