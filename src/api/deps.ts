import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Logger } from 'pino';

import type { AwsClientFactory } from '../aws/clients.js';
import type { Config } from '../config.js';
import type { DeliveryEvents } from '../delivery/events.js';
import type { Metrics } from '../metrics.js';
import type { Storage } from '../storage/index.js';

/** Dependencies of the API on the rest of the service. */
export interface ApiDeps {
  config: Config;
  storage: Storage;
  logger: Logger;
  delivery: DeliveryEvents;
  /** Prometheus metrics. When given, ingest counts records and GET /metrics serves them. */
  metrics?: Metrics;
  /** HS256 key of auth tokens, from resolveJwtSecret. */
  jwtSecret: Uint8Array;
  /** Attempts allowed per client address on POST /api/v1/authenticate, 20 per minute by default. */
  authenticateRateLimit?: { max: number; timeWindowMs: number };
  /**
   * AWS access for setup checks: the client factory that delivery uses and
   * the service's own identity. Without it, setup checks fail with 503.
   */
  aws?: { clients: AwsClientFactory; serviceCredentials?: AwsCredentialIdentityProvider };
}
