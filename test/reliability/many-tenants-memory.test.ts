import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { startLocalAws, type LocalAws } from '../../src/emulators/local-aws.js';
import { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { StreamStatus } from '../../src/storage/types.js';
import { waitFor } from '../support/harness.js';
import { ApiClient } from './support/api-client.js';
import { buildRecord } from './support/feeder.js';
import { ServiceProcess, childEnvironment, freePort } from './support/service-process.js';
import { addDeliveryRole, restDestination, s3Destination } from './support/streams.js';

const BUCKET = 'tenants-bucket';
const ORGANISATIONS = 2000;
const ACTIVE_ORGANISATIONS = 200;
const TRAFFIC_ROUNDS = 8;
const RECORDS_PER_ORGANISATION_PER_ROUND = 20;
const TRAFFIC_PERIODS = 3;
const SETTLE_MS = 5000;
/**
 * V8 heap limit of the service in this test, in MiB. Without it V8 collects
 * lazily and resident memory grows for minutes with no leak behind it. With
 * it, garbage is collected, and a leak ends the process with an out-of-memory
 * error instead of passing unnoticed.
 */
const HEAP_LIMIT_MIB = 192;
/** A generous bound on resident memory; memory targets belong to the benchmarks. */
const MAX_RESIDENT_MIB = 600;

describe('many tenants', () => {
  let aws: LocalAws;
  let directory: string;
  let service: ServiceProcess | undefined;
  let webhook: http.Server;

  before(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'datastreamer-reliability-tenants-'));
    aws = await startLocalAws({ directory: path.join(directory, 's3') });
    await aws.createBucket(BUCKET);
    webhook = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => response.end());
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    await service?.stop('SIGKILL');
    webhook.closeAllConnections();
    await new Promise((resolve) => webhook.close(resolve));
    await aws.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('2,000 streams: resident memory stays bounded across traffic periods', async (t) => {
    const port = await freePort();
    const client = new ApiClient(`http://127.0.0.1:${port}`);
    // The default idle poll of 60 s, not the tests' 200 ms: 2,000 workers polling 5 times a second would measure the polling.
    const environment = childEnvironment(aws, path.join(directory, 'tenants.db'), port, { DATASTREAMER_REST_ALLOW_LOCAL: 'true', DATASTREAMER_IDLE_POLL_MS: '60000',
      NODE_OPTIONS: `--max-old-space-size=${HEAP_LIMIT_MIB}`,
    });
    const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;

    // Even organisations deliver to S3 through their own role, odd ones to a webhook.
    const storage = new SqliteStorage(environment.DATASTREAMER_DATABASE);
    const organisationIds: number[] = [];
    for (let index = 0; index < ORGANISATIONS; index++) {
      const organisation = storage.createOrganisation(`Tenant ${index}`);
      const destination =
        index % 2 === 0
          ? s3Destination(aws, BUCKET, addDeliveryRole(aws, organisation.id, `tenant-${organisation.id}`, { bucket: BUCKET }), { prefix: `tenant-${organisation.id}/`, flush_size: 100, rotate_interval: 1000 })
          : restDestination(webhookUrl, 100);
      storage.createDataStream({ organisation_id: organisation.id, name: 'tenant', data_stream_type: 1, status: StreamStatus.Running, destination, filters: [], stream_historic_data: false });
      organisationIds.push(organisation.id);
    }
    storage.close();

    service = await ServiceProcess.start(environment, client.baseUrl);
    await sleep(6000);
    const idle = service.residentMemoryMiB();

    const active = organisationIds.slice(0, ACTIVE_ORGANISATIONS);
    let nextId = 8_000_000;
    const runTraffic = async () => {
      let peak = 0;
      for (let round = 0; round < TRAFFIC_ROUNDS; round++) {
        const records = active.flatMap((organisationId) => Array.from({ length: RECORDS_PER_ORGANISATION_PER_ROUND }, () => buildRecord('usage', nextId++, organisationId)));
        for (let start = 0; start < records.length; start += 500) {
          const response = await client.ingest('usage', records.slice(start, start + 500));
          assert.equal(response.status, 200, `ingest answered ${response.status}: ${JSON.stringify(response.body)}`);
        }
        peak = Math.max(peak, service!.residentMemoryMiB());
        await sleep(1000);
        peak = Math.max(peak, service!.residentMemoryMiB());
      }

      const drained = await waitFor(async () => {
        const waitingS3 = await client.metric('datastreamer_records_waiting', { destination: 'S3' });
        const waitingRest = await client.metric('datastreamer_records_waiting', { destination: 'RestAPI' });
        peak = Math.max(peak, service!.residentMemoryMiB());
        return waitingS3 === 0 && waitingRest === 0;
      }, 60_000, 1000);
      assert.ok(drained, 'every stream delivered its records');

      await sleep(SETTLE_MS);
      return { peak, settled: service!.residentMemoryMiB() };
    };

    const periods: { peak: number; settled: number }[] = [];
    for (let period = 0; period < TRAFFIC_PERIODS; period++) periods.push(await runTraffic());
    const peak = Math.max(...periods.map((period) => period.peak));
    const settled = periods.at(-1)!.settled;
    const ingested = nextId - 8_000_000;
    const delivered =
      (await client.metric('datastreamer_records_delivered_total', { destination: 'S3' })) +
      (await client.metric('datastreamer_records_delivered_total', { destination: 'RestAPI' }));
    const running = (await client.metric('datastreamer_streams', { destination: 'S3', status: 'running' })) + (await client.metric('datastreamer_streams', { destination: 'RestAPI', status: 'running' }));

    const mib = (value: number) => `${value.toFixed(0)} MiB`;
    t.diagnostic(`${ORGANISATIONS} streams (${running} running), ${ACTIVE_ORGANISATIONS} with traffic; records ingested ${ingested}, delivered ${delivered}`);
    t.diagnostic(`resident memory with a ${HEAP_LIMIT_MIB} MiB heap limit: idle ${mib(idle)}; ${periods.map((period, index) => `traffic period ${index + 1} peak ${mib(period.peak)}, settled ${mib(period.settled)}`).join('; ')}`);

    assert.ok(service.running, 'the service is still running, so its heap never exceeded the limit');
    assert.equal(running, ORGANISATIONS, 'every stream has a running worker');
    assert.equal(delivered, ingested, 'every record was delivered');
    assert.ok(peak < MAX_RESIDENT_MIB, `peak resident memory ${mib(peak)} stays below ${MAX_RESIDENT_MIB} MiB`);
    assert.ok(settled < MAX_RESIDENT_MIB, `settled resident memory ${mib(settled)} stays below ${MAX_RESIDENT_MIB} MiB`);
  });
});
