import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

import { buildApi } from './api/server.js';
import { resolveJwtSecret } from './auth/index.js';
import { AssumedRoleCredentials } from './aws/assumed-role-credentials.js';
import { AwsClientFactory } from './aws/clients.js';
import { DEFAULT_OPERATOR_PRINCIPAL_ARN, type Config } from './config.js';
import { DeliveryManager } from './delivery/delivery-manager.js';
import { SinkFactory } from './delivery/sink-factory.js';
import { Metrics } from './metrics.js';
import { openStorage } from './storage/index.js';
import type { Storage } from './storage/types.js';

/**
 * Time a running delivery step may take to finish when the service stops, in
 * ms. It stays well below the serve command's 30 s stop limit, so a hanging
 * destination cannot turn a graceful stop into a forced exit.
 */
const DELIVERY_STOP_GRACE_MS = 10_000;

export interface ServiceOptions {
  logger: Logger;
  /** The service's own AWS identity; the standard credential chain when absent. */
  serviceCredentials?: AwsCredentialIdentityProvider;
  /** Start the delivery workers (default true). */
  deliver?: boolean;
}

export interface Service {
  api: FastifyInstance;
  storage: Storage;
  delivery: DeliveryManager;
  metrics: Metrics;
  /** Base URL the API listens on, once listening. */
  url: string;
  /**
   * Stops intake (the port closes, requests in progress complete), lets
   * workers finish their current step for up to 10 s and abandons it after
   * that, then closes storage.
   */
  stop(): Promise<void>;
}

/** Opens storage, starts the delivery workers and the HTTP API. */
export async function startService(config: Config, options: ServiceOptions): Promise<Service> {
  const { logger } = options;
  const storage = openStorage(config.databasePath);
  const metrics = new Metrics();

  const clients = new AwsClientFactory(config.aws);
  const credentials = new AssumedRoleCredentials(clients, config.aws, options.serviceCredentials);
  const sinks = new SinkFactory({ config, storage, metrics, clients, credentials });
  const delivery = new DeliveryManager({ storage, sinks, config: config.delivery, logger, metrics });

  const api = await buildApi({
    config,
    storage,
    logger,
    delivery,
    metrics,
    jwtSecret: resolveJwtSecret(config, storage),
    aws: { clients, serviceCredentials: options.serviceCredentials },
  });
  const url = await api.listen({ host: config.host, port: config.port });

  warnAboutAwsIdentity(config, logger);
  if (options.deliver !== false) delivery.start();
  logger.info({ url, database: config.databasePath }, 'datastreamer started');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await api.close();
      await delivery.stop(DELIVERY_STOP_GRACE_MS);
      await sinks.close();
      clients.destroy();
      storage.close();
      logger.info('datastreamer stopped');
    })();
    return stopping;
  };

  return { api, storage, delivery, metrics, url, stop };
}

/** Logs configuration that will make every AWS destination fail, so the operator sees it at start. */
function warnAboutAwsIdentity(config: Config, logger: Logger): void {
  if (config.operatorPrincipalArn === DEFAULT_OPERATOR_PRINCIPAL_ARN && config.aws.stsEndpoint === undefined) {
    logger.warn(
      { operator_principal_arn: config.operatorPrincipalArn },
      'DATASTREAMER_OPERATOR_PRINCIPAL_ARN is the example default; set it to the ARN of the role this service runs as, which customers trust',
    );
  }
}
