import type { Command } from 'commander';

import { runDemo } from '../demo/run-demo.js';
import { integerOption } from './options.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the service with local S3, Kinesis and STS, simulate traffic, and check that every record arrived exactly once.')
    .option('--duration <seconds>', 'how long to simulate traffic, in seconds', integerOption('--duration', 1, 3600), 30)
    .option('--rate <records>', 'records per second to ingest', integerOption('--rate', 1, 100_000), 200)
    .option('--sims <count>', 'number of simulated SIMs', integerOption('--sims', 1, 1_000_000), 6000)
    .option('--seed <seed>', 'seed for repeatable traffic', 'demo')
    .action(async (options: { duration: number; rate: number; sims: number; seed: string }) => {
      const result = await runDemo({ durationSeconds: options.duration, rate: options.rate, sims: options.sims, seed: options.seed });
      process.exitCode = result.allDeliveredOnce ? 0 : 1;
    });
}
