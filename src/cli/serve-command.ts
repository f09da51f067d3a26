import type { Command } from 'commander';

import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startService } from '../service.js';

/** Maximum time a graceful stop may take before the process exits anyway, in ms. */
const STOP_TIMEOUT_MS = 30_000;

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the API and run the delivery workers (configuration from DATASTREAMER_* environment variables).')
    .action(async () => {
      const logger = createLogger();
      const config = loadConfig();
      if (config.adminToken === '') {
        logger.warn('DATASTREAMER_ADMIN_TOKEN is not set: the ingest API rejects every request until it is');
      }

      const service = await startService(config, { logger });

      const shutdown = (signal: string) => {
        logger.info({ signal }, 'stopping');
        setTimeout(() => {
          logger.error({ timeout_ms: STOP_TIMEOUT_MS }, 'graceful stop timed out, exiting');
          process.exit(1);
        }, STOP_TIMEOUT_MS).unref();
        service.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'graceful stop failed, exiting');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
