import { parseArgs } from 'node:util';

export const SCENARIOS = ['ingest', 's3', 'kinesis', 'latency', 'tenants'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  only: ScenarioName[];
  /** Records per throughput run (ingest, S3, Kinesis), both kinds together. */
  records: number;
  /** Records per ingest request. */
  batchSize: number;
  /** Ingest requests in flight at once. */
  concurrency: number;
  /** flush_size of the S3 streams, in records. */
  flushSize: number;
  /** Shards of the Kinesis streams. */
  shards: number;
  latencySeconds: number;
  /** Ingest rate of the latency scenario, in records per second. */
  latencyRate: number;
  tenants: number;
  activeTenants: number;
  /** Records ingested for the active tenants, all together. */
  tenantRecords: number;
  idleSeconds: number;
  /** Write CPU profiles of the service processes and list their top functions. */
  profile: boolean;
  output: string;
  logLevel: string;
  /** Extra environment variables for the service processes. */
  serviceEnvironment: Record<string, string>;
}

export const HELP = `Usage: npm run bench -- [options]

Runs datastreamer benchmarks against local S3, Kinesis and STS emulators on
127.0.0.1. The service runs in its own process. Prints a table and writes
the full results as JSON.

Options:
  --only LIST            scenarios to run, comma-separated (default: ${SCENARIOS.join(',')})
  --records N            records per throughput run of ingest, s3 and kinesis (default 200000)
  --batch-size N         records per ingest request (default 1000)
  --concurrency N        ingest requests in flight (default 4)
  --flush-size N         flush_size of the S3 streams, in records (default 10000)
  --shards N             shards of the Kinesis streams (default 4)
  --latency-seconds N    duration of the steady ingest of the latency scenario, in seconds (default 20)
  --latency-rate N       ingest rate of the latency scenario, in records per second (default 1000)
  --tenants N            organisations with one stream each (default 10000)
  --active-tenants N     organisations among them that receive records (default 1000)
  --tenant-records N     records ingested for the active organisations (default 100000)
  --idle-seconds N       window of the idle CPU measurement, in seconds (default 30)
  --profile              run the service with --cpu-prof and list its top functions by self time
  --output FILE          JSON results file (default bench/results/latest.json)
  --log-level LEVEL      log level of the service (default warn)
  --service-env K=V      sets an environment variable of the service, for example
                         DATASTREAMER_IDLE_POLL_MS=60000; may be repeated
  --help                 show this help
`;

export function parseOptions(args: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args,
    options: {
      only: { type: 'string' },
      records: { type: 'string' },
      'batch-size': { type: 'string' },
      concurrency: { type: 'string' },
      'flush-size': { type: 'string' },
      shards: { type: 'string' },
      'latency-seconds': { type: 'string' },
      'latency-rate': { type: 'string' },
      tenants: { type: 'string' },
      'active-tenants': { type: 'string' },
      'tenant-records': { type: 'string' },
      'idle-seconds': { type: 'string' },
      profile: { type: 'boolean', default: false },
      output: { type: 'string', default: 'bench/results/latest.json' },
      'log-level': { type: 'string', default: 'warn' },
      'service-env': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';

  const options: BenchOptions = {
    only: parseScenarios(values.only),
    records: integer('records', values.records, 200_000, 1000),
    batchSize: integer('batch-size', values['batch-size'], 1000, 1),
    concurrency: integer('concurrency', values.concurrency, 4, 1),
    flushSize: integer('flush-size', values['flush-size'], 10_000, 10),
    shards: integer('shards', values.shards, 4, 1),
    latencySeconds: integer('latency-seconds', values['latency-seconds'], 20, 1),
    latencyRate: integer('latency-rate', values['latency-rate'], 1000, 10),
    tenants: integer('tenants', values.tenants, 10_000, 1),
    activeTenants: integer('active-tenants', values['active-tenants'], 1000, 1),
    tenantRecords: integer('tenant-records', values['tenant-records'], 100_000, 1),
    idleSeconds: integer('idle-seconds', values['idle-seconds'], 30, 1),
    profile: values.profile,
    output: values.output,
    logLevel: values['log-level'],
    serviceEnvironment: parseEnvironment(values['service-env']),
  };

  if (options.activeTenants > options.tenants) {
    throw new Error(`--active-tenants ${options.activeTenants} is larger than --tenants ${options.tenants}; pick at most as many active organisations as there are.`);
  }
  return options;
}

function parseScenarios(list: string | undefined): ScenarioName[] {
  if (list === undefined) return [...SCENARIOS];

  const names = list.split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new Error(`--only ${list}: unknown scenario "${name}"; choose from ${SCENARIOS.join(', ')}.`);
    }
  }
  return SCENARIOS.filter((name) => names.includes(name));
}

function parseEnvironment(assignments: string[]): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=');
    if (equals < 1) throw new Error(`--service-env ${assignment} is invalid: expected NAME=VALUE, for example DATASTREAMER_IDLE_POLL_MS=60000.`);
    environment[assignment.slice(0, equals)] = assignment.slice(equals + 1);
  }
  return environment;
}

function integer(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;

  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`--${name} ${raw} is invalid: expected an integer of at least ${min}.`);
  }
  return value;
}
