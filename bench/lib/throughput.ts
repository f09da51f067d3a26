import type { ScenarioContext } from '../scenarios/context.js';
import { waitForDelivered } from './delivery-wait.js';
import type { ServiceProcess } from './environment.js';
import { IngestClient } from './ingest-client.js';
import { trackCpu } from './process-usage.js';
import { rate } from './stats.js';
import { countBodies, toIngestBatches, type RecordBodies } from './traffic.js';

/**
 * Times ingest and delivery together, from the first request until every
 * record is delivered. CPU use of each process is in % of one core.
 */
export async function measureEndToEnd(context: ScenarioContext, service: ServiceProcess, streamId: number, bodies: RecordBodies) {
  const records = countBodies(bodies);
  const batches = toIngestBatches(bodies, context.options.batchSize);
  const client = new IngestClient(service.url, service.adminToken, context.options.concurrency);

  const cpu = trackCpu({ service: service.pid, localAws: context.environment.awsHostPid, driver: process.pid });
  const started = performance.now();
  let ingestSeconds = 0;
  const ingesting = client.postAll(batches, context.options.concurrency).then(() => {
    ingestSeconds = (performance.now() - started) / 1000;
  });
  const delivered = waitForDelivered(service, [streamId], records, { timeoutMs: timeoutFor(records), pollMs: 50 });
  const [, deliveredAt] = await Promise.all([ingesting, delivered]);
  await client.close();

  const seconds = (deliveredAt - started) / 1000;
  return { records, seconds, ingestSeconds, recordsPerSecond: rate(records, seconds), cpuPercent: cpu() };
}

/** Ingests into a paused stream, then times its delivery alone after it resumes. */
export async function measureDrain(context: ScenarioContext, service: ServiceProcess, streamId: number, bodies: RecordBodies) {
  const records = countBodies(bodies);
  const client = new IngestClient(service.url, service.adminToken, context.options.concurrency);
  await client.postAll(toIngestBatches(bodies, context.options.batchSize), context.options.concurrency);
  await client.close();

  const cpu = trackCpu({ service: service.pid, localAws: context.environment.awsHostPid });
  const started = performance.now();
  await service.resumeStream(streamId);
  const deliveredAt = await waitForDelivered(service, [streamId], records, { timeoutMs: timeoutFor(records), pollMs: 50 });
  const seconds = (deliveredAt - started) / 1000;
  return { records, seconds, recordsPerSecond: rate(records, seconds), cpuPercent: cpu() };
}

/** Allows at least 1000 records/s plus two minutes, so a slow machine fails with a clear message instead of hanging. */
export function timeoutFor(records: number): number {
  return 120_000 + records;
}
