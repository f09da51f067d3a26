import { setTimeout as sleep } from 'node:timers/promises';

import { RECORD_KINDS } from '../../src/records/types.js';
import { pollKinesis, pollS3, recordKey, startRestReceiver, type ArrivalLog, type Poller } from '../lib/arrivals.js';
import { BUCKET } from '../lib/environment.js';
import { IngestClient } from '../lib/ingest-client.js';
import { trackCpu } from '../lib/process-usage.js';
import type { Figure } from '../lib/report.js';
import { summarizeLatencies, type LatencySummary } from '../lib/stats.js';
import type { IngestBatch, RecordBodies } from '../lib/traffic.js';
import type { ScenarioContext, ScenarioOutcome } from './context.js';

const ROTATE_INTERVAL_MS = 10_000;
/** Ticks per second at the steady rate. Each tick posts the records of 100 ms, one request per kind. */
const TICKS_PER_SECOND = 10;
const KINESIS_STREAM = 'bench-latency';
const S3_PREFIX = 'latency/';

interface Tick {
  batches: IngestBatch[];
  keys: string[][];
}

/**
 * Latency at a steady ingest rate: for every record, the time from the
 * ingest response (its acknowledgement) to its arrival in S3, Kinesis and a
 * REST API receiver. One organisation has one stream of each kind, so the
 * service delivers every record three times.
 */
export async function runLatency(context: ScenarioContext): Promise<ScenarioOutcome> {
  const { environment, options, traffic } = context;
  await environment.createKinesisStream(KINESIS_STREAM, options.shards);
  const receiver = await startRestReceiver();
  const { service } = await environment.startService('latency');

  const pollers: Poller[] = [receiver];
  try {
    const [organisation] = await service.createOrganisations(['Bench latency']);
    await environment.addCustomerRoles([organisation.id]);
    await service.createStreams([
      {
        organisation_id: organisation.id,
        data_stream_type: 3,
        destination: environment.s3Destination({ prefix: S3_PREFIX, flush_size: options.flushSize, rotate_interval: ROTATE_INTERVAL_MS, compression: 'none' }),
      },
      { organisation_id: organisation.id, data_stream_type: 3, destination: environment.kinesisDestination(KINESIS_STREAM) },
      { organisation_id: organisation.id, data_stream_type: 3, destination: environment.restDestination(receiver.url) },
    ]);

    const tickCount = options.latencySeconds * TICKS_PER_SECOND;
    const ticks = toTicks(traffic.bodiesFor(organisation, options.latencyRate * options.latencySeconds), tickCount);

    const s3 = pollS3(environment.admin().s3, BUCKET, S3_PREFIX, 100);
    const kinesis = await pollKinesis(environment.admin().kinesis, KINESIS_STREAM, 100);
    pollers.push(s3, kinesis);

    context.log(`latency: ${options.latencyRate} records/s for ${options.latencySeconds} s to S3, Kinesis and REST`);
    const cpu = trackCpu({ service: service.pid, localAws: environment.awsHostPid });
    const acknowledged = await ingestSteadily(service.url, service.adminToken, ticks);
    const cpuPercent = cpu();
    const expected = acknowledged.size;

    context.log(`latency: waiting for the last files (rotate_interval ${ROTATE_INTERVAL_MS} ms)`);
    const deadline = Date.now() + ROTATE_INTERVAL_MS + 30_000;
    while (Date.now() < deadline && [s3.log, kinesis.log, receiver.log].some((log) => log.size < expected)) await sleep(250);

    const s3Latency = latencies(acknowledged, s3.log);
    const kinesisLatency = latencies(acknowledged, kinesis.log);
    const restLatency = latencies(acknowledged, receiver.log);
    const s3Target = ROTATE_INTERVAL_MS + 1000;
    return {
      figures: [
        { scenario: 'Latency S3 (rotate_interval 10 s)', measure: 'p50', value: s3Latency.p50Ms, unit: 'ms' },
        { scenario: 'Latency S3 (rotate_interval 10 s)', measure: 'p99', value: s3Latency.p99Ms, unit: 'ms', target: { bound: 'max', value: s3Target } },
        { scenario: 'Latency Kinesis', measure: 'p50', value: kinesisLatency.p50Ms, unit: 'ms' },
        { scenario: 'Latency Kinesis', measure: 'p99', value: kinesisLatency.p99Ms, unit: 'ms', target: { bound: 'max', value: 500 } },
        { scenario: 'Latency REST API', measure: 'p50', value: restLatency.p50Ms, unit: 'ms' },
        { scenario: 'Latency REST API', measure: 'p99', value: restLatency.p99Ms, unit: 'ms', target: { bound: 'max', value: 500 } },
        ...missingFigure('Latency S3 (rotate_interval 10 s)', s3Latency),
        ...missingFigure('Latency Kinesis', kinesisLatency),
        ...missingFigure('Latency REST API', restLatency),
      ],
      details: {
        rate: options.latencyRate,
        seconds: options.latencySeconds,
        records: expected,
        cpuPercent,
        s3: { ...s3Latency, files: s3.files, arrivalTime: 'first listing of the file, or the end of its LastModified second if earlier' },
        kinesis: { ...kinesisLatency, arrivalTime: 'ApproximateArrivalTimestamp' },
        rest: { ...restLatency, arrivalTime: 'request body received by the receiver' },
      },
    };
  } finally {
    for (const poller of pollers) await poller.stop();
    await service.stop();
  }
}

/** Splits the records into `count` ticks of equal size, each with one request per kind. */
function toTicks(bodies: RecordBodies, count: number): Tick[] {
  const ticks: Tick[] = Array.from({ length: count }, () => ({ batches: [], keys: [] }));
  for (const kind of RECORD_KINDS) {
    const list = bodies[kind];
    for (let tick = 0; tick < count; tick++) {
      const chunk = list.slice(Math.floor((tick * list.length) / count), Math.floor(((tick + 1) * list.length) / count));
      if (chunk.length === 0) continue;
      ticks[tick].batches.push({ kind, body: `[${chunk.join(',')}]`, count: chunk.length });
      ticks[tick].keys.push(chunk.map((body) => recordKey(kind, (JSON.parse(body) as { id: number }).id)));
    }
  }
  return ticks;
}

/**
 * Posts each tick on a fixed schedule, without waiting for earlier
 * responses, so a slow response does not lower the rate. Returns the
 * acknowledgement time of every record.
 */
async function ingestSteadily(baseUrl: string, adminToken: string, ticks: Tick[]): Promise<Map<string, number>> {
  const client = new IngestClient(baseUrl, adminToken, 4);
  const acknowledged = new Map<string, number>();
  const started = performance.now();
  const requests: Promise<void>[] = [];

  for (const [index, tick] of ticks.entries()) {
    const due = started + (index * 1000) / TICKS_PER_SECOND;
    await sleep(Math.max(0, due - performance.now()));
    tick.batches.forEach((batch, batchIndex) => {
      requests.push(
        client.post(batch).then((posted) => {
          for (const key of tick.keys[batchIndex]) acknowledged.set(key, posted.acknowledgedAt);
        }),
      );
    });
  }
  await Promise.all(requests);
  await client.close();
  return acknowledged;
}

/** Returns a figure for records that never arrived, if any, because the percentiles leave them out. */
function missingFigure(scenario: string, latency: { missing: number }): Figure[] {
  if (latency.missing === 0) return [];
  return [{ scenario, measure: 'records not arrived', value: latency.missing, unit: 'records', target: { bound: 'max', value: 0 } }];
}

function latencies(acknowledged: Map<string, number>, arrivals: ArrivalLog): LatencySummary & { missing: number } {
  const values: number[] = [];
  let missing = 0;
  for (const [key, acknowledgedAt] of acknowledged) {
    const arrivedAt = arrivals.arrivals.get(key);
    if (arrivedAt === undefined) missing += 1;
    else values.push(arrivedAt - acknowledgedAt);
  }
  return { ...summarizeLatencies(values), missing };
}
