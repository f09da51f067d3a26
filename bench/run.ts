import fs from 'node:fs';
import path from 'node:path';

import { summarizeProfiles } from './lib/cpu-profile.js';
import { BenchEnvironment } from './lib/environment.js';
import { describeMachine, loadAverage } from './lib/machine.js';
import { HELP, parseOptions, type ScenarioName } from './lib/options.js';
import { renderTable, writeReport, type BenchReport } from './lib/report.js';
import { TrafficPool } from './lib/traffic.js';
import type { ScenarioContext, ScenarioOutcome } from './scenarios/context.js';
import { runIngest } from './scenarios/ingest.js';
import { runKinesis } from './scenarios/kinesis.js';
import { runLatency } from './scenarios/latency.js';
import { runS3 } from './scenarios/s3.js';
import { runTenants } from './scenarios/tenants.js';

const SCENARIO_RUNNERS: Record<ScenarioName, (context: ScenarioContext) => Promise<ScenarioOutcome>> = {
  ingest: runIngest,
  s3: runS3,
  kinesis: runKinesis,
  latency: runLatency,
  tenants: runTenants,
};

async function main(): Promise<void> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\nRun npm run bench -- --help for the options.\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return;
  }

  const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  const profileDirectory = options.profile ? path.resolve(path.dirname(options.output), 'profiles') : undefined;
  if (profileDirectory) fs.rmSync(profileDirectory, { recursive: true, force: true });
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    command: ['npm run bench --', ...process.argv.slice(2)].join(' '),
    machine: describeMachine(),
    loadAverage: { start: loadAverage(), end: '' },
    serviceProcess: 'child process (node --import tsx), one per scenario, on a fresh SQLite file; local AWS and the ceiling loops run in two other processes',
    options: { ...options },
    scenarios: [],
  };

  const environment = await BenchEnvironment.start({ profileDirectory, serviceLogLevel: options.logLevel, serviceEnvironment: options.serviceEnvironment });
  const context: ScenarioContext = { environment, options, traffic: new TrafficPool(), log };
  try {
    context.log(`generating ${options.records} simulated records`);
    context.traffic.ensure(options.records);

    for (const name of options.only) {
      const start = loadAverage();
      const started = performance.now();
      log(`scenario ${name} (load average ${start})`);
      // A failed scenario is reported and the run goes on, so one failure does not discard the others' results.
      let outcome: ScenarioOutcome & { error?: string };
      try {
        outcome = await SCENARIO_RUNNERS[name](context);
      } catch (error) {
        log(`scenario ${name} failed: ${(error as Error).stack ?? String(error)}`);
        outcome = { figures: [], details: {}, error: (error as Error).message ?? String(error) };
        process.exitCode = 1;
      }
      report.scenarios.push({
        name,
        ...outcome,
        loadAverage: { start, end: loadAverage() },
        seconds: Math.round((performance.now() - started) / 100) / 10,
      });
      await environment.clearGateLogs();
    }
  } finally {
    await environment.close();
  }

  report.loadAverage.end = loadAverage();
  if (profileDirectory) report.profiles = summarizeProfiles(profileDirectory, 15);
  writeReport(options.output, report);

  process.stdout.write(`\n${renderTable(report)}\n\n`);
  process.stdout.write(`Load average ${report.loadAverage.start} at the start, ${report.loadAverage.end} at the end. Results: ${options.output}\n`);
  if (report.profiles) {
    for (const [file, functions] of Object.entries(report.profiles)) {
      process.stdout.write(`\nTop functions by self time in ${file}:\n`);
      for (const entry of functions) process.stdout.write(`  ${entry.selfPercent.toFixed(1).padStart(5)}%  ${entry.function}  ${entry.location}\n`);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
