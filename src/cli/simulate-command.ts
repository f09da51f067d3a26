import type { Command } from 'commander';

import { runSimulation } from '../simulator/index.js';
import { idListOption, integerOption } from './options.js';

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('Post realistic usage records and events for simulated SIMs to the ingest API.')
    .requiredOption('--org <ids>', 'comma-separated organisation ids that own the SIMs', idListOption)
    .option('--url <url>', 'base URL of the datastreamer API', 'http://127.0.0.1:8080')
    .option('--admin-token <token>', 'operator admin token (default: DATASTREAMER_ADMIN_TOKEN)')
    .option('--sims <count>', 'number of simulated SIMs', integerOption('--sims', 1, 1_000_000), 100)
    .option('--rate <records>', 'records per second, usage and events together', integerOption('--rate', 1, 1_000_000), 100)
    .option('--duration <seconds>', 'how long to run, in seconds', integerOption('--duration', 1, 86_400), 30)
    .option('--seed <seed>', 'seed for repeatable traffic', 'datastreamer')
    .action(async (options: { org: number[]; url: string; adminToken?: string; sims: number; rate: number; duration: number; seed: string }) => {
      const adminToken = options.adminToken ?? process.env.DATASTREAMER_ADMIN_TOKEN;
      if (!adminToken) program.error('Missing admin token: pass --admin-token or set DATASTREAMER_ADMIN_TOKEN.');

      const result = await runSimulation({
        baseUrl: options.url,
        adminToken,
        organisations: options.org.map((id) => ({ id, name: `Organisation ${id}` })),
        sims: options.sims,
        rate: options.rate,
        durationSeconds: options.duration,
        seed: options.seed,
      });
      console.log(`ingested ${result.usage} usage records and ${result.events} events in ${result.requests} requests (${result.duplicates} duplicates)`);
    });
}
