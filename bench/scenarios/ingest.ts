import { IngestClient } from '../lib/ingest-client.js';
import { trackCpu } from '../lib/process-usage.js';
import { rate, summarizeLatencies } from '../lib/stats.js';
import { countBodies, toIngestBatches } from '../lib/traffic.js';
import type { ScenarioContext, ScenarioOutcome } from './context.js';

/**
 * Ingest alone: records per second through the HTTP ingest API, and the
 * latency of each request. The organisation has no stream, so no delivery
 * work competes with ingest.
 */
export async function runIngest(context: ScenarioContext): Promise<ScenarioOutcome> {
  const { environment, options, traffic } = context;
  const { service } = await environment.startService('ingest');
  try {
    const [organisation] = await service.createOrganisations(['Bench ingest']);
    const bodies = traffic.bodiesFor(organisation, options.records);
    const batches = toIngestBatches(bodies, options.batchSize);
    const client = new IngestClient(service.url, service.adminToken, options.concurrency);

    context.log(`ingest: posting ${countBodies(bodies)} records in ${batches.length} requests, ${options.concurrency} in flight`);
    const cpu = trackCpu({ service: service.pid, driver: process.pid });
    const started = performance.now();
    const posted = await client.postAll(batches, options.concurrency);
    const seconds = (performance.now() - started) / 1000;
    const cpuPercent = cpu();
    await client.close();

    const records = countBodies(bodies);
    const latency = summarizeLatencies(posted.map((batch) => batch.latencyMs));
    return {
      figures: [
        { scenario: 'Ingest', measure: 'throughput', value: rate(records, seconds), unit: 'records/s' },
        { scenario: 'Ingest', measure: `request latency p50 (${options.batchSize} records)`, value: latency.p50Ms, unit: 'ms' },
        { scenario: 'Ingest', measure: `request latency p99 (${options.batchSize} records)`, value: latency.p99Ms, unit: 'ms' },
      ],
      details: { records, requests: batches.length, batchSize: options.batchSize, concurrency: options.concurrency, seconds, latency, cpuPercent },
    };
  } finally {
    await service.stop();
  }
}
