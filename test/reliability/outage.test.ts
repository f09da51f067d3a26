import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { countDeliveries } from '../../src/demo/delivery-check.js';
import type { FaultInjector, FaultResponse, GateRequestLogEntry } from '../../src/emulators/gate.js';
import { StreamStatus, type Destination, type StreamStatusId } from '../../src/storage/types.js';
import { Harness, waitFor } from '../support/harness.js';
import { Receiver } from '../support/receiver.js';
import { kinesisOrderViolations, longestGap, overlappingRanges, partitionKeysOf, s3FileRanges } from './support/delivery-checks.js';
import { buildRecord } from './support/feeder.js';
import { addDeliveryRole, kinesisDestination, restDestination, s3Destination } from './support/streams.js';

const RETRY_MAX_MS = 1000;
const ERROR_PROBE_MS = 1000;
/** Time a failed attempt, the timer and the next request may add to the backoff delay, in ms. */
const TIMING_TOLERANCE_MS = 400;
const OUTAGE_MS = 6000;
const FAILING_STREAMS = 10;
const HEALTHY_STREAMS = 4;
const MIN_THROUGHPUT_RATIO = 0.5;
const RECORDS_PER_HEALTHY_STREAM = 15_000;
/** Records per request of the healthy REST streams; small batches make each phase last seconds, not milliseconds. */
const HEALTHY_BATCH_SIZE = 50;
const PHASES = ['without', 'with', 'with', 'without', 'with', 'without', 'without', 'with'] as const;

describe('destination outages', () => {
  let harness: Harness;
  let nextRecordId = 3_000_000;

  before(async () => {
    harness = await Harness.start({
      DATASTREAMER_RETRY_BASE_MS: '50',
      DATASTREAMER_RETRY_MAX_MS: String(RETRY_MAX_MS),
      // REST faults are configuration faults: after 3 s the stream moves to Error and probes every ERROR_PROBE_MS.
      DATASTREAMER_ERROR_AFTER_MS: '3000',
      DATASTREAMER_ERROR_PROBE_MS: String(ERROR_PROBE_MS),
      DATASTREAMER_REST_ALLOW_LOCAL: 'true',
      DATASTREAMER_REST_TIMEOUT_MS: '1000',
    });
  });

  after(async () => {
    await harness.close();
  });

  function createStream(organisationId: number, destination: Destination, status: StreamStatusId = StreamStatus.Running): number {
    const stream = harness.service.storage.createDataStream({
      organisation_id: organisationId,
      name: destination.connection_type,
      data_stream_type: 1,
      status,
      destination,
      filters: [],
      stream_historic_data: false,
    });
    harness.service.delivery.streamChanged(stream.id);
    return stream.id;
  }

  function setStatus(streamId: number, status: StreamStatusId): void {
    const stream = harness.service.storage.getDataStreamById(streamId)!;
    harness.service.storage.updateDataStream({ ...stream, status });
    harness.service.delivery.streamChanged(streamId);
  }

  function delivered(streamId: number): number {
    return harness.service.storage.getDataStreamById(streamId)!.records_delivered;
  }

  /** Ingests `count` usage records of the organisation in batches of `batchSize`, pausing `pauseMs` between batches; returns their ids. */
  async function ingest(organisationId: number, count: number, batchSize = 500, pauseMs = 0): Promise<number[]> {
    const ids: number[] = [];
    for (let sent = 0; sent < count; sent += batchSize) {
      const records = Array.from({ length: Math.min(batchSize, count - sent) }, () => buildRecord('usage', nextRecordId++, organisationId));
      await harness.ingest('usage', records);
      ids.push(...records.map((record) => record.id));
      if (pauseMs > 0) await sleep(pauseMs);
    }
    return ids;
  }

  /**
   * Runs an outage: installs the fault, ingests records spread over OUTAGE_MS,
   * removes the fault and waits until the stream delivered `before + count` records.
   */
  async function runOutage(streamId: number, organisationId: number, count: number, fault: { start(): void | Promise<void>; end(): void | Promise<void> }) {
    const deliveredBefore = delivered(streamId);
    const startedAt = Date.now();
    await fault.start();
    const ids = await ingest(organisationId, count, count / 6, OUTAGE_MS / 6);
    await sleep(Math.max(0, startedAt + OUTAGE_MS - Date.now()));
    await fault.end();
    const endedAt = Date.now();

    assert.ok(await waitFor(() => delivered(streamId) === deliveredBefore + count, 30_000), 'the backlog was delivered after the outage');
    return { ids, startedAt, endedAt };
  }

  /** Makes every second failure a 503 response and every other one a connection closed without a response. */
  function alternatingFaults(action: string, serviceUnavailable: FaultResponse, roleName: string): FaultInjector {
    let failures = 0;
    return ({ action: requested, principal }) => {
      if (requested !== action || !principal.includes(`/${roleName}/`)) return undefined;
      failures += 1;
      return failures % 2 === 1 ? serviceUnavailable : { resetConnection: true };
    };
  }

  function attemptTimes(requests: GateRequestLogEntry[], action: string, roleName: string, from: number, to: number): number[] {
    return requests.filter((entry) => entry.action === action && entry.principal.includes(`/${roleName}/`) && entry.at >= from && entry.at <= to).map((entry) => entry.at);
  }

  it('S3 backlog after an outage', async (t) => {
    const organisation = harness.service.storage.createOrganisation('S3 Outage');
    await harness.aws.createBucket('outage-bucket');
    const roleArn = addDeliveryRole(harness.aws, organisation.id, 's3-outage', { bucket: 'outage-bucket' });
    const streamId = createStream(organisation.id, s3Destination(harness.aws, 'outage-bucket', roleArn, { flush_size: 50, rotate_interval: 500 }));
    const warmUp = await ingest(organisation.id, 100);
    assert.ok(await waitFor(() => delivered(streamId) === 100), 'delivers before the outage');

    const slowDown: FaultResponse = { status: 503, headers: { 'content-type': 'application/xml' }, body: '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>' };
    const gate = harness.aws.s3Gate;
    const outage = await runOutage(streamId, organisation.id, 300, {
      start: () => gate.setFault(alternatingFaults('s3:PutObject', slowDown, 's3-outage')),
      end: () => gate.setFault(null),
    });

    const keys = await harness.aws.listAllObjects('outage-bucket');
    const counted = await countDeliveries.fromS3(harness.aws, 'outage-bucket', keys, { usage: [...warmUp, ...outage.ids], event: [] });
    const attempts = attemptTimes(gate.requests, 's3:PutObject', 's3-outage', outage.startedAt, Date.now());
    const uploadOrder = firstAttemptOrder(gate.requests, 's3:PutObject', 's3-outage');
    const ranges = s3FileRanges(uploadOrder, streamId);
    const failedAttempts = attemptTimes(gate.requests, 's3:PutObject', 's3-outage', outage.startedAt, outage.endedAt).length;
    t.diagnostic(`S3 outage ${OUTAGE_MS} ms: ${failedAttempts} failed upload attempts, longest gap ${longestGap(attempts)} ms (cap ${RETRY_MAX_MS} ms); ${ranges.length} files; missing ${counted.missing}, duplicated ${counted.duplicated}`);

    assert.equal(counted.missing, 0, 'no record lost');
    assert.equal(counted.duplicated, 0, 'no record in two files');
    assert.equal(overlappingRanges(ranges), 0, 'file ranges do not overlap');
    assert.ok(ranges.every((range, index) => index === 0 || range.first > ranges[index - 1].last), 'files were first uploaded in increasing log order');
    assert.ok(longestGap(attempts) <= RETRY_MAX_MS + TIMING_TOLERANCE_MS, `attempts never wait longer than the cap: longest gap ${longestGap(attempts)} ms`);
    assert.ok(longestGap(attempts) >= RETRY_MAX_MS / 2, 'the backoff grew to the cap during the outage');
  });

  it('Kinesis backlog after an outage', async (t) => {
    const organisation = harness.service.storage.createOrganisation('Kinesis Outage');
    await harness.aws.createKinesisStream('outage-stream', 2);
    const roleArn = addDeliveryRole(harness.aws, organisation.id, 'kinesis-outage', { kinesisStream: 'outage-stream' });
    const streamId = createStream(organisation.id, kinesisDestination(harness.aws, 'outage-stream', roleArn));
    const warmUp = await ingest(organisation.id, 100);
    assert.ok(await waitFor(() => delivered(streamId) === 100), 'delivers before the outage');

    const unavailable: FaultResponse = {
      status: 503,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ __type: 'ServiceUnavailable', message: 'Service unavailable' }),
    };
    const gate = harness.aws.kinesisGate;
    const outage = await runOutage(streamId, organisation.id, 1200, {
      start: () => gate.setFault(alternatingFaults('kinesis:PutRecords', unavailable, 'kinesis-outage')),
      end: () => gate.setFault(null),
    });

    const records = await harness.aws.readAllKinesisRecords('outage-stream');
    const counted = await countDeliveries.fromKinesis(harness.aws, 'outage-stream', { usage: [...warmUp, ...outage.ids], event: [] });
    const attempts = attemptTimes(gate.requests, 'kinesis:PutRecords', 'kinesis-outage', outage.startedAt, Date.now());
    const failedAttempts = attemptTimes(gate.requests, 'kinesis:PutRecords', 'kinesis-outage', outage.startedAt, outage.endedAt).length;
    t.diagnostic(`Kinesis outage ${OUTAGE_MS} ms: ${failedAttempts} failed PutRecords attempts, longest gap ${longestGap(attempts)} ms (cap ${RETRY_MAX_MS} ms); ${partitionKeysOf(records).size} partition keys; missing ${counted.missing}, duplicated ${counted.duplicated}`);

    assert.equal(counted.missing, 0, 'no record lost');
    assert.equal(counted.duplicated, 0, 'rejected calls wrote nothing, so nothing arrived twice');
    assert.equal(kinesisOrderViolations(records), 0, 'per partition key, records arrived in ingest order');
    assert.ok(longestGap(attempts) <= RETRY_MAX_MS + TIMING_TOLERANCE_MS, `attempts never wait longer than the cap: longest gap ${longestGap(attempts)} ms`);
    assert.ok(longestGap(attempts) >= RETRY_MAX_MS / 2, 'the backoff grew to the cap during the outage');
  });

  it('REST backlog after an outage', async (t) => {
    const receiver = await Receiver.start();
    t.after(() => receiver.stop());
    const arrivals: { at: number; status: number }[] = [];
    let failing = false;
    receiver.responder = () => {
      const status = failing ? 503 : 200;
      arrivals.push({ at: Date.now(), status });
      return { status, body: failing ? 'maintenance' : '' };
    };
    const organisation = harness.service.storage.createOrganisation('REST Outage');
    const streamId = createStream(organisation.id, restDestination(receiver.url, 50));
    const warmUp = await ingest(organisation.id, 100);
    assert.ok(await waitFor(() => delivered(streamId) === 100), 'delivers before the outage');

    // The first half of the outage refuses connections, and the second half responds with 503.
    await receiver.stop();
    const refused = await ingest(organisation.id, 150, 50, OUTAGE_MS / 6);
    failing = true;
    await receiver.restart();
    const failingFrom = Date.now();
    const answered503 = await ingest(organisation.id, 150, 50, OUTAGE_MS / 6);
    const statusDuringOutage = harness.service.storage.getDataStreamById(streamId)!.status;
    failing = false;
    assert.ok(await waitFor(() => delivered(streamId) === 400, 30_000), 'the backlog was delivered after the outage');

    const accepted = receiver.requests.filter((_request, index) => arrivals[index].status === 200);
    const acceptedIds = accepted.flatMap((request) => (JSON.parse(request.body) as { id: number }[]).map((record) => record.id));
    const attempts = arrivals.filter((arrival) => arrival.at >= failingFrom).map((arrival) => arrival.at);
    const bound = Math.max(RETRY_MAX_MS, ERROR_PROBE_MS) + TIMING_TOLERANCE_MS;
    t.diagnostic(`REST outage: ${arrivals.filter((arrival) => arrival.status === 503).length} requests got 503, longest gap ${longestGap(attempts)} ms (bound ${bound} ms); status during the outage ${statusDuringOutage}`);

    assert.deepEqual(acceptedIds, [...warmUp, ...refused, ...answered503], 'accepted requests carried every record once, in ingest order');
    assert.equal(statusDuringOutage, StreamStatus.Error, 'the lasting fault moved the stream to Error');
    assert.equal(harness.service.storage.getDataStreamById(streamId)!.status, StreamStatus.Running, 'back to Running after the outage');
    assert.ok(longestGap(attempts) <= bound, `attempts never wait longer than the retry cap or the Error probe interval: longest gap ${longestGap(attempts)} ms`);
  });

  it('healthy throughput beside failing streams', async (t) => {
    const sink = await startCountingReceiver();
    const hanging = await startHangingReceiver();
    t.after(() => Promise.all([sink.close(), hanging.close()]));
    await harness.aws.createBucket('isolation-bucket');

    const healthy: { organisationId: number; streamId: number }[] = [];
    for (let index = 0; index < HEALTHY_STREAMS; index++) {
      const organisation = harness.service.storage.createOrganisation(`Healthy ${index}`);
      healthy.push({ organisationId: organisation.id, streamId: createStream(organisation.id, restDestination(sink.url, HEALTHY_BATCH_SIZE), StreamStatus.Paused) });
    }

    // Half of the failing streams assume a role whose trust names another external id. The other half post to an endpoint that never responds.
    const failing: number[] = [];
    for (let index = 0; index < FAILING_STREAMS; index++) {
      const organisation = harness.service.storage.createOrganisation(`Failing ${index}`);
      let destination: Destination;
      if (index % 2 === 0) {
        const roleArn = `arn:aws:iam::222222222222:role/broken-trust-${index}`;
        harness.aws.addCustomerRole({ roleArn, externalId: 'org-999999', permissions: [{ action: 's3:PutObject', resource: 'arn:aws:s3:::isolation-bucket/*' }] });
        destination = s3Destination(harness.aws, 'isolation-bucket', roleArn, { flush_size: 10, rotate_interval: 100 });
      } else {
        destination = restDestination(hanging.url, 10);
      }
      failing.push(createStream(organisation.id, destination));
      await ingest(organisation.id, 20);
    }
    const allFailing = await waitFor(() => failing.every((id) => harness.service.storage.getDataStreamById(id)!.last_error !== null), 20_000);
    assert.ok(allFailing, 'all 10 failing streams report a delivery error');

    /** Ingests a backlog into the paused healthy streams, resumes them and returns records per second until all are delivered. */
    async function measureHealthyThroughput(): Promise<number> {
      const before = healthy.map(({ streamId }) => delivered(streamId));
      for (const { organisationId } of healthy) await ingest(organisationId, RECORDS_PER_HEALTHY_STREAM);

      const startedAt = performance.now();
      for (const { streamId } of healthy) setStatus(streamId, StreamStatus.Running);
      const done = await waitFor(() => healthy.every(({ streamId }, index) => delivered(streamId) === before[index] + RECORDS_PER_HEALTHY_STREAM), 60_000, 5);
      const seconds = (performance.now() - startedAt) / 1000;
      assert.ok(done, 'the healthy streams delivered their backlog');

      for (const { streamId } of healthy) setStatus(streamId, StreamStatus.Paused);
      return (HEALTHY_STREAMS * RECORDS_PER_HEALTHY_STREAM) / seconds;
    }

    // The order ABBA BAAB (A without, B with the failing streams) gives both the same mean position,
    // so a steady drift over the run, such as a growing database, affects both alike.
    const without: number[] = [];
    const withFailing: number[] = [];
    for (const phase of PHASES) {
      for (const id of failing) setStatus(id, phase === 'with' ? StreamStatus.Running : StreamStatus.Paused);
      await sleep(500);
      const throughput = await measureHealthyThroughput();
      (phase === 'with' ? withFailing : without).push(throughput);
    }

    const ratio = mean(withFailing) / mean(without);
    t.diagnostic(`healthy throughput without failing streams: ${without.map(Math.round).join(', ')} records/s`);
    t.diagnostic(`healthy throughput with ${FAILING_STREAMS} failing streams: ${withFailing.map(Math.round).join(', ')} records/s`);
    t.diagnostic(`ratio with/without: ${ratio.toFixed(3)}; requests to the hanging endpoint: ${hanging.requests}; AssumeRole calls rejected: ${brokenTrustAttempts(harness)}`);
    assert.ok(failing.every((id) => harness.service.storage.getDataStreamById(id)!.records_delivered === 0), 'the failing streams delivered nothing');
    // NOTE: across local runs on a shared 2-core machine the ratio ranged from 0.88 to 1.35, because single
    // phases vary by up to 3x with the machine's other load. So the test asserts 0.5, which a failing stream
    // that blocks healthy ones (a shared connection pool, a shared queue) would break, and reports the ratio.
    assert.ok(ratio >= MIN_THROUGHPUT_RATIO, `healthy streams kept ${(ratio * 100).toFixed(1)}% of their throughput`);

  });
});

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function brokenTrustAttempts(harness: Harness): number {
  let count = 0;
  for (let index = 0; index < FAILING_STREAMS; index += 2) count += harness.aws.sts.assumeRoleCount(`arn:aws:iam::222222222222:role/broken-trust-${index}`);
  return count;
}

/** Starts an HTTP endpoint that returns 200 at once and keeps no bodies, so it costs the test process little CPU. */
async function startCountingReceiver() {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () => closeServer(server),
  };
}

/** Starts an HTTP endpoint that reads each request and never responds. */
async function startHangingReceiver() {
  const state = { requests: 0 };
  const server = http.createServer((request) => {
    state.requests += 1;
    request.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    get requests() {
      return state.requests;
    },
    close: () => closeServer(server),
  };
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Object keys in the order of their first upload attempt by the role. */
function firstAttemptOrder(requests: GateRequestLogEntry[], action: string, roleName: string): string[] {
  const keys: string[] = [];
  for (const entry of requests) {
    if (entry.action !== action || !entry.principal.includes(`/${roleName}/`)) continue;
    const key = entry.resource.split(':::')[1].split('/').slice(1).join('/');
    if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}
