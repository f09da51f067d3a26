import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { issueApplicationToken } from '../../src/auth/index.js';
import { DeliveryError } from '../../src/delivery/delivery-error.js';
import { NOTHING_TO_DO, type DeliveryOutcome, type Sink } from '../../src/delivery/sink.js';
import type { SinkFactory } from '../../src/delivery/sink-factory.js';
import { StreamWorker } from '../../src/delivery/stream-worker.js';
import { countDeliveries } from '../../src/demo/delivery-check.js';
import type { FaultInjector } from '../../src/emulators/gate.js';
import { startLocalAws, type LocalAws } from '../../src/emulators/local-aws.js';
import { createLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import type { RecordKind } from '../../src/records/types.js';
import { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { StreamStatus } from '../../src/storage/types.js';
import { waitFor } from '../support/harness.js';
import { Receiver } from '../support/receiver.js';
import { ApiClient } from './support/api-client.js';
import { buildRecord, IngestFeeder } from './support/feeder.js';
import { ServiceProcess, childEnvironment, freePort } from './support/service-process.js';
import { addDeliveryRole, kinesisDestination, restDestination, s3Destination } from './support/streams.js';

const BUCKET = 'stop-bucket';
const KINESIS_STREAM = 'stop-stream';
/** The serve command exits with code 1 when a graceful stop takes longer than this, in ms. */
const SERVE_STOP_LIMIT_MS = 30_000;

describe('graceful stop with SIGTERM', () => {
  let aws: LocalAws;
  let directory: string;
  let receiver: Receiver;
  let service: ServiceProcess | undefined;
  let client: ApiClient;
  let environment: Record<string, string>;
  let authToken: string;
  let streams: { s3: number; kinesis: number; rest: number };
  const feeders: IngestFeeder[] = [];
  let organisationId: number;
  let applicationToken: string;
  let releaseHangingUploads: () => void = () => {};

  before(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'datastreamer-reliability-stop-'));
    aws = await startLocalAws({ directory: path.join(directory, 's3') });
    await aws.createBucket(BUCKET);
    await aws.createKinesisStream(KINESIS_STREAM, 1);
    receiver = await Receiver.start();

    const port = await freePort();
    client = new ApiClient(`http://127.0.0.1:${port}`);
    environment = childEnvironment(aws, path.join(directory, 'stop.db'), port, { DATASTREAMER_REST_ALLOW_LOCAL: 'true' });

    const storage = new SqliteStorage(environment.DATASTREAMER_DATABASE);
    const organisation = storage.createOrganisation('Stopper');
    organisationId = organisation.id;
    applicationToken = issueApplicationToken(storage, organisation.id, 'stop test').token;
    const roleArn = addDeliveryRole(aws, organisation.id, 'stopper', { bucket: BUCKET, kinesisStream: KINESIS_STREAM });
    const create = (name: string, destination: Parameters<typeof storage.createDataStream>[0]['destination']) =>
      storage.createDataStream({ organisation_id: organisation.id, name, data_stream_type: 3, status: StreamStatus.Running, destination, filters: [], stream_historic_data: false }).id;
    streams = {
      s3: create('files', s3Destination(aws, BUCKET, roleArn, { flush_size: 100, rotate_interval: 500 })),
      kinesis: create('kinesis', kinesisDestination(aws, KINESIS_STREAM, roleArn)),
      rest: create('webhook', restDestination(receiver.url, 100)),
    };
    storage.close();
  });

  after(async () => {
    releaseHangingUploads();
    for (const feeder of feeders) await feeder.abandon();
    await service?.stop('SIGKILL');
    await receiver.stop();
    await aws.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  /** Starts the service unless it runs, authenticates and starts a feeder whose ids follow the previous feeder's. */
  async function startWithIngest(): Promise<IngestFeeder> {
    if (!service?.running) service = await ServiceProcess.start(environment, client.baseUrl);
    authToken = await client.authenticate(applicationToken);
    const feeder = new IngestFeeder(client, { organisationIds: [organisationId], kinds: ['usage', 'event'], batchSize: 50, intervalMs: 50, firstId: 2_000_000 + feeders.length * 100_000 });
    feeders.push(feeder);
    feeder.start();
    return feeder;
  }

  /** Sends SIGTERM, then keeps trying to ingest until the process exits; returns exit, stop time and probe outcomes. */
  async function stopWithProbes(running: ServiceProcess) {
    const signalledAt = Date.now();
    const exited = running.stop('SIGTERM');

    // Give the signal handler a moment to close the port, then probe until the process is gone.
    await sleep(100);
    const probes = { refused: 0, accepted: 0 };
    for (let probeId = 9_000_000 + feeders.length * 1000; running.running; probeId++) {
      try {
        const response = await client.ingest('usage', [buildRecord('usage', probeId, organisationId)]);
        if (response.status === 200) probes.accepted += 1;
        else probes.refused += 1;
      } catch {
        probes.refused += 1;
      }
      await sleep(50);
    }
    const exit = await exited;
    return { exit, stopMs: Date.now() - signalledAt, probes };
  }

  async function restartAndCatchUp(): Promise<void> {
    service = await ServiceProcess.start(environment, client.baseUrl);
    authToken = await client.authenticate(applicationToken);
    for (const feeder of feeders) await feeder.stop();

    const caughtUp = await waitFor(async () => {
      for (const id of Object.values(streams)) if ((await client.recordsWaiting(id, authToken)) > 0) return false;
      return true;
    }, 60_000, 250);
    assert.ok(caughtUp, 'every stream caught up after the restart');
  }

  function expectedIds(): Record<RecordKind, number[]> {
    return { usage: feeders.flatMap((feeder) => feeder.ids('usage')), event: feeders.flatMap((feeder) => feeder.ids('event')) };
  }

  /** Record ids the receiver got for one kind, once per request id, in arrival order. */
  function restIds(kind: RecordKind): number[] {
    const seenRequests = new Set<string>();
    const ids: number[] = [];
    for (const request of receiver.requests) {
      const requestId = String(request.headers['x-datastreamer-id']);
      if (!requestId.includes(`-${kind}-`) || seenRequests.has(requestId)) continue;
      seenRequests.add(requestId);
      ids.push(...(JSON.parse(request.body) as { id: number }[]).map((record) => record.id));
    }
    return ids;
  }

  it('finishes running uploads, exits 0', async (t) => {
    // Slow S3 down, so that uploads are running when the signal arrives.
    let uploadsRunning = 0;
    const slowUploads: FaultInjector = async ({ action, principal }) => {
      if (action !== 's3:PutObject' || !principal.includes(':assumed-role/')) return undefined;
      uploadsRunning += 1;
      await sleep(1500);
      uploadsRunning -= 1;
      return undefined;
    };
    aws.s3Gate.setFault(slowUploads);

    await startWithIngest();
    assert.ok(await waitFor(() => uploadsRunning > 0, 20_000, 20), 'an upload is running');
    const uploadsAtSignal = uploadsRunning;
    const putsBefore = deliveryPutsByKey(aws);

    const { exit, stopMs, probes } = await stopWithProbes(service!);
    aws.s3Gate.setFault(null);
    t.diagnostic(`uploads running at SIGTERM: ${uploadsAtSignal}; stop took ${stopMs} ms; exit code ${exit.code}; ingest probes after the signal: ${probes.refused} refused, ${probes.accepted} accepted`);

    assert.equal(exit.code, 0, 'the service exits with code 0');
    assert.equal(exit.signal, null, 'the service ended by itself, not by the signal');
    assert.ok(stopMs < SERVE_STOP_LIMIT_MS, `stop took ${stopMs} ms`);
    assert.ok(probes.refused > 0, 'at least one ingest probe ran during the stop');
    assert.equal(probes.accepted, 0, 'no ingest request was accepted after the signal');

    await restartAndCatchUp();
    const s3 = await countDeliveries.fromS3(aws, BUCKET, await aws.listAllObjects(BUCKET), expectedIds());
    const kinesis = await countDeliveries.fromKinesis(aws, KINESIS_STREAM, expectedIds());
    const putsAfter = deliveryPutsByKey(aws);
    const uploadedAgain = [...putsBefore.keys()].filter((key) => (putsAfter.get(key) ?? 0) > 1);
    t.diagnostic(`records: ${expectedIds().usage.length + expectedIds().event.length}; S3 missing ${s3.missing}, duplicated ${s3.duplicated}; Kinesis missing ${kinesis.missing}, duplicated ${kinesis.duplicated}`);

    assert.equal(s3.missing, 0, 'no record missing in S3');
    assert.equal(s3.duplicated, 0, 'no record in two S3 objects');
    assert.deepEqual(uploadedAgain, [], 'the stop waited for running uploads, so no file was uploaded again');
    assert.equal(kinesis.missing, 0, 'no record missing in Kinesis');
    assert.equal(kinesis.duplicated, 0, 'the stop waited for the running PutRecords call, so Kinesis got no record twice');
    for (const kind of ['usage', 'event'] as const) {
      assert.deepEqual(restIds(kind), expectedIds()[kind], `the REST endpoint got every ${kind} record once, in ingest order`);
    }
  });

  it('abandons a hanging upload in time', async (t) => {
    let uploadsHanging = 0;
    const released = new Promise<void>((resolve) => (releaseHangingUploads = resolve));
    const hangingUploads: FaultInjector = async ({ action, principal }) => {
      if (action !== 's3:PutObject' || !principal.includes(':assumed-role/')) return undefined;
      uploadsHanging += 1;
      await released;
      // Sent only after the test, and an error, so the abandoned upload cannot be written late.
      return { status: 503, body: '<Error><Code>SlowDown</Code><Message>released</Message></Error>' };
    };
    aws.s3Gate.setFault(hangingUploads);

    await startWithIngest();
    assert.ok(await waitFor(() => uploadsHanging > 0, 20_000, 20), 'an upload hangs');

    const { exit, stopMs } = await stopWithProbes(service!);
    aws.s3Gate.setFault(null);
    releaseHangingUploads();
    t.diagnostic(`uploads hanging at SIGTERM: ${uploadsHanging}; stop took ${stopMs} ms; exit code ${exit.code}`);

    assert.equal(exit.code, 0, 'the service exits with code 0 after abandoning the upload');
    assert.ok(stopMs < SERVE_STOP_LIMIT_MS, `stop took ${stopMs} ms, less than the serve command's limit`);

    await restartAndCatchUp();
    const s3 = await countDeliveries.fromS3(aws, BUCKET, await aws.listAllObjects(BUCKET), expectedIds());
    const kinesis = await countDeliveries.fromKinesis(aws, KINESIS_STREAM, expectedIds());
    t.diagnostic(`records: ${expectedIds().usage.length + expectedIds().event.length}; S3 missing ${s3.missing}, duplicated ${s3.duplicated}; Kinesis missing ${kinesis.missing}, duplicated ${kinesis.duplicated}`);
    assert.equal(s3.missing, 0, 'the abandoned file was uploaded after the restart');
    assert.equal(s3.duplicated, 0, 'no record in two S3 objects');
    assert.equal(kinesis.missing, 0, 'no record missing in Kinesis');
  });
});

describe('stream worker stop', () => {
  const config = { retryBaseMs: 600_000, retryMaxMs: 600_000, errorAfterMs: 600_000, errorProbeMs: 600_000, idlePollMs: 600_000, restTimeoutMs: 1000, restAllowLocal: true };

  /** Builds a worker over a stream in an in-memory database, with `deliverNext` as its sink. */
  function workerWith(deliverNext: (kind: RecordKind, signal?: AbortSignal) => Promise<DeliveryOutcome>) {
    const storage = new SqliteStorage(':memory:');
    const organisation = storage.createOrganisation('Worker');
    const stream = storage.createDataStream({
      organisation_id: organisation.id,
      name: 'worker',
      data_stream_type: 1,
      status: StreamStatus.Running,
      destination: restDestination('http://127.0.0.1:9/hook', 10),
      filters: [],
      stream_historic_data: false,
    });
    // A waiting record, because a worker builds no sink while nothing waits.
    storage.appendRecords('usage', [{ organisation_id: organisation.id, record_id: 1, body: '{"id":1}' }]);
    const sink: Sink = { deliverNext };
    const sinks = { create: () => sink } as unknown as SinkFactory;
    const worker = new StreamWorker(stream, { storage, sinks, config, logger: createLogger('silent'), metrics: new Metrics() });
    return { worker, storage, streamId: stream.id };
  }

  /** Resolves to 'stopped' when stop() resolves within 5 s, else to 'still running'. */
  function stopWithin5Seconds(worker: StreamWorker, graceMs?: number): Promise<string> {
    return Promise.race([worker.stop(graceMs).then(() => 'stopped'), sleep(5000).then(() => 'still running')]);
  }

  it('waits for the running step', async () => {
    let calls = 0;
    let stepFinished = false;
    const { worker, storage } = workerWith(async () => {
      calls += 1;
      if (calls > 1) return NOTHING_TO_DO;
      await sleep(300);
      stepFinished = true;
      return { delivered: 10, progressed: true };
    });

    worker.start();
    await waitFor(() => calls > 0, 5000, 5);
    await worker.stop();

    assert.equal(stepFinished, true, 'stop resolved after the running step finished');
    const callsAtStop = calls;
    await sleep(100);
    assert.equal(calls, callsAtStop, 'no step ran after stop resolved');
    storage.close();
  });

  it('wakes a sleeping worker', async () => {
    let calls = 0;
    const { worker, storage } = workerWith(async () => {
      calls += 1;
      return NOTHING_TO_DO;
    });

    worker.start();
    await waitFor(() => calls > 0, 5000, 5);
    assert.equal(await stopWithin5Seconds(worker), 'stopped', 'the 10-minute idle poll did not delay the stop');
    storage.close();
  });

  it('wakes a worker in backoff', async () => {
    let calls = 0;
    const { worker, storage } = workerWith(async () => {
      calls += 1;
      throw new DeliveryError('transient', 'server_error', 'Server error 503');
    });

    worker.start();
    await waitFor(() => calls > 0, 5000, 5);
    assert.equal(await stopWithin5Seconds(worker), 'stopped', 'the 10-minute backoff did not delay the stop');
    storage.close();
  });

  it('abandons a hanging step quietly', async () => {
    let abortedBy: unknown;
    const { worker, storage, streamId } = workerWith(
      (_kind, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => {
            abortedBy = signal.reason;
            reject(new DeliveryError('transient', 'network_error', 'aborted'));
          });
        }),
    );

    worker.start();
    await sleep(50);
    assert.equal(await stopWithin5Seconds(worker, 200), 'stopped');

    assert.ok(abortedBy !== undefined, 'the step was aborted when the grace period ended');
    const stream = storage.getDataStreamById(streamId)!;
    assert.equal(stream.status, StreamStatus.Running, 'an abandoned step does not move the stream to Error');
    assert.equal(stream.last_error, null, 'an abandoned step is not recorded as a delivery failure');
    storage.close();
  });
});

/** Counts PutObject requests of assumed-role sessions per object key. */
function deliveryPutsByKey(aws: LocalAws): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of aws.s3Gate.requests) {
    if (entry.action !== 's3:PutObject' || !entry.principal.includes(':assumed-role/') || entry.resource.endsWith('datastreamer-setup-check.txt')) continue;
    counts.set(entry.resource, (counts.get(entry.resource) ?? 0) + 1);
  }
  return counts;
}
