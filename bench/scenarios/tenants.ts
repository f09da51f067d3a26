import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { waitForDelivered } from '../lib/delivery-wait.js';
import { IngestClient } from '../lib/ingest-client.js';
import { measureCpuPercent, residentMemory, trackCpu } from '../lib/process-usage.js';
import { rate, round } from '../lib/stats.js';
import { bodiesForOrganisations, countBodies, toIngestBatches } from '../lib/traffic.js';
import type { ScenarioContext, ScenarioOutcome } from './context.js';

const KINESIS_STREAM = 'bench-tenants';
/** Time for the service to settle after it started every worker, before memory is read. */
const SETTLE_MS = 10_000;
const IDLE_PROFILE_MS = 10_000;
const MB = 1024 * 1024;

/**
 * Many tenants: organisations with one Kinesis stream each (usage and
 * events), written to the database before the service starts so that it
 * starts every worker at once, as after a restart. Measures resident memory,
 * delivery throughput while a share of the organisations receive records,
 * and CPU use while no records arrive.
 */
export async function runTenants(context: ScenarioContext): Promise<ScenarioOutcome> {
  const { environment, options } = context;
  await environment.createKinesisStream(KINESIS_STREAM, options.shards);

  context.log(`tenants: writing ${options.tenants} organisations and streams, then starting the service`);
  const seedStarted = performance.now();
  const { service, tenants } = await environment.startService('tenants', {
    count: options.tenants,
    data_stream_type: 3,
    destination: environment.kinesisDestination(KINESIS_STREAM),
  });
  const startSeconds = (performance.now() - seedStarted) / 1000;

  try {
    await environment.addCustomerRoles(tenants.organisationIds);
    await sleep(SETTLE_MS);
    const afterStart = { ...residentMemory(service.pid), ...(await service.memory()) };

    const active = tenants.organisationIds.slice(0, options.activeTenants).map((id, index) => ({ id, name: `Tenant ${index + 1}` }));
    const activeStreams = tenants.streamIds.slice(0, options.activeTenants);
    const bodies = bodiesForOrganisations(active, options.tenantRecords);
    const records = countBodies(bodies);
    const batches = toIngestBatches(bodies, options.batchSize);

    context.log(`tenants: ${records} records for ${active.length} organisations`);
    const client = new IngestClient(service.url, service.adminToken, options.concurrency);
    const callsBefore = await environment.countRequests('kinesis:PutRecords');
    const cpu = trackCpu({ service: service.pid, localAws: environment.awsHostPid });
    const started = performance.now();
    const ingesting = client.postAll(batches, options.concurrency);
    const delivered = waitForDelivered(service, activeStreams, records, { timeoutMs: 300_000, pollMs: 250 });
    const [, deliveredAt] = await Promise.all([ingesting, delivered]);
    await client.close();
    const seconds = (deliveredAt - started) / 1000;
    const cpuPercent = cpu();
    const putRecordsCalls = (await environment.countRequests('kinesis:PutRecords')) - callsBefore;
    const afterTraffic = { ...residentMemory(service.pid), ...(await service.memory()) };

    context.log(`tenants: measuring idle CPU for ${options.idleSeconds} s`);
    await sleep(5000);
    const idle = await measureCpuPercent(service.pid, options.idleSeconds);
    const afterIdle = { ...residentMemory(service.pid), ...(await service.memory()) };

    // The profiler costs CPU itself, so the idle service is profiled after the measurement.
    const profileDirectory = environment.profileDirectory;
    if (profileDirectory) {
      await service.startProfile();
      await sleep(IDLE_PROFILE_MS);
      await service.stopProfile(path.join(profileDirectory, 'service-tenants-idle', 'idle.cpuprofile'));
    }

    const label = `${options.tenants.toLocaleString('en-US')} ${options.tenants === 1 ? 'stream' : 'streams'}`;
    return {
      figures: [
        { scenario: label, measure: 'RSS after start', value: round(afterStart.rssBytes / MB, 0), unit: 'MB', target: { bound: 'max', value: 300 } },
        { scenario: label, measure: 'RSS after traffic', value: round(afterTraffic.rssBytes / MB, 0), unit: 'MB', target: { bound: 'max', value: 300 } },
        { scenario: label, measure: 'RSS after idle window', value: round(afterIdle.rssBytes / MB, 0), unit: 'MB', target: { bound: 'max', value: 300 } },
        { scenario: label, measure: `CPU idle (${options.idleSeconds} s, % of one core)`, value: round(idle.percentOfOneCore, 2), unit: '%', target: { bound: 'max', value: 2 } },
        { scenario: label, measure: `delivery, ${active.length} ${active.length === 1 ? 'organisation' : 'organisations'} active`, value: rate(records, seconds), unit: 'records/s' },
      ],
      details: {
        tenants: options.tenants,
        activeTenants: active.length,
        records,
        seconds,
        cpuPercent,
        putRecordsCalls,
        recordsPerCall: round(records / putRecordsCalls, 1),
        seedAndStartSeconds: startSeconds,
        afterStart: inMegabytes(afterStart),
        afterTraffic: inMegabytes(afterTraffic),
        afterIdle: inMegabytes(afterIdle),
        idle,
      },
    };
  } finally {
    await service.stop();
  }
}

function inMegabytes(memory: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(memory).map(([name, value]) => [name.replace(/Bytes$/, 'Mb'), name.endsWith('Bytes') ? round(value / MB, 0) : value]));
}
