import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { issueApplicationToken } from '../../src/auth/index.js';
import { CHECK_PARTITION_KEY } from '../../src/aws/setup-check-writes.js';
import { countDeliveries } from '../../src/demo/delivery-check.js';
import type { KinesisRecordRead } from '../../src/emulators/admin-operations.js';
import { startLocalAws, type LocalAws } from '../../src/emulators/local-aws.js';
import { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { CUSTOMER_ACCOUNT, waitFor } from '../support/harness.js';
import { ApiClient } from './support/api-client.js';
import { kinesisOrderViolations, overlappingRanges, s3FileRanges } from './support/delivery-checks.js';
import { IngestFeeder } from './support/feeder.js';
import { ServiceProcess, childEnvironment, freePort } from './support/service-process.js';

const BUCKET = 'crash-bucket';
const KINESIS_STREAM = 'crash-stream';
const KILLS = 20;
/** Most records one Kinesis batch can carry, and so the most that one kill can make Kinesis receive twice. */
const KINESIS_BATCH_LIMIT = 500;
/** Window before a kill in which a delivery request at a gate counts as "in flight", in ms. */
const IN_FLIGHT_WINDOW_MS = 300;

describe('service killed with SIGKILL while delivering', () => {
  let aws: LocalAws;
  let directory: string;
  let service: ServiceProcess | undefined;
  let feeder: IngestFeeder | undefined;
  let environment: Record<string, string>;
  let client: ApiClient;
  /** Record ids of every PutRecords call of the service, in arrival order at the gate. */
  const kinesisCalls: { at: number; ids: number[] }[] = [];

  before(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'datastreamer-reliability-crash-'));
    aws = await startLocalAws({ directory: path.join(directory, 's3') });
    await aws.createBucket(BUCKET);
    await aws.createKinesisStream(KINESIS_STREAM, 2);

    const port = await freePort();
    client = new ApiClient(`http://127.0.0.1:${port}`);
    environment = childEnvironment(aws, path.join(directory, 'crash.db'), port);

    // Passes every request through and notes which records each PutRecords call of the service carried.
    aws.kinesisGate.setFault(({ action, principal, body }) => {
      if (action === 'kinesis:PutRecords' && principal.includes(':assumed-role/')) {
        const entries = (JSON.parse(body.toString('utf8')) as { Records: { Data: string }[] }).Records;
        kinesisCalls.push({ at: Date.now(), ids: entries.map((entry) => (JSON.parse(Buffer.from(entry.Data, 'base64').toString('utf8')) as { id: number }).id) });
      }
      return undefined;
    });
  });

  after(async () => {
    await feeder?.abandon();
    await service?.stop('SIGKILL');
    await aws.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('loses nothing across 20 kills', async (t) => {
    const storage = new SqliteStorage(environment.DATASTREAMER_DATABASE);
    const organisation = storage.createOrganisation('Crashy');
    const { token } = issueApplicationToken(storage, organisation.id, 'crash test');
    storage.close();

    const roleArn = `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/crashy`;
    aws.addCustomerRole({
      roleArn,
      externalId: `org-${organisation.id}`,
      permissions: [
        { action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}/*` },
        { action: 'kinesis:PutRecords', resource: `arn:aws:kinesis:${aws.region}:${CUSTOMER_ACCOUNT}:stream/${KINESIS_STREAM}` },
      ],
    });

    service = await ServiceProcess.start(environment, client.baseUrl);
    const authToken = await client.authenticate(token);
    const s3Stream = (await client.call(
      'POST',
      '/api/v2/data_stream',
      {
        data_stream_type: { id: 3 },
        destination: { connection_type: 'S3', credentials: { region: aws.region, bucket_name: BUCKET, role_arn: roleArn, flush_size: 100 } },
      },
      authToken,
    )) as { id: number };
    const kinesisStream = (await client.call(
      'POST',
      '/api/v2/data_stream',
      {
        data_stream_type: { id: 3 },
        destination: { connection_type: 'AwsKinesis', credentials: { region: aws.region, stream_name: KINESIS_STREAM, role_arn: roleArn } },
      },
      authToken,
    )) as { id: number };

    // Batches of 30 do not divide the 100 records of an S3 file, so a kill rarely finds both streams with nothing waiting.
    feeder = new IngestFeeder(client, { organisationIds: [organisation.id], kinds: ['usage', 'event'], batchSize: 30, intervalMs: 50, firstId: 1_000_000 });
    feeder.start();

    // Kill at random moments while ingest goes on, and start again at once.
    const waitingAtKills: number[] = [];
    const killTimes: number[] = [];
    let killsWithRequestInFlight = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      await sleep(200 + Math.random() * 1300);
      const waiting = (await client.recordsWaiting(s3Stream.id, authToken)) + (await client.recordsWaiting(kinesisStream.id, authToken));
      waitingAtKills.push(waiting);

      const killedAt = Date.now();
      killTimes.push(killedAt);
      await service.stop('SIGKILL');
      if (deliveryRequestsSince(aws, killedAt - IN_FLIGHT_WINDOW_MS, killedAt) > 0) killsWithRequestInFlight += 1;
      service = await ServiceProcess.start(environment, client.baseUrl);
    }

    await feeder.stop();
    const caughtUp = await waitFor(
      async () => (await client.recordsWaiting(s3Stream.id, authToken)) === 0 && (await client.recordsWaiting(kinesisStream.id, authToken)) === 0,
      120_000,
      500,
    );
    assert.ok(caughtUp, 'both streams caught up after the last restart');

    const expected = { usage: feeder.ids('usage'), event: feeder.ids('event') };
    const keys = await aws.listAllObjects(BUCKET);
    const s3 = await countDeliveries.fromS3(aws, BUCKET, keys, expected);
    const kinesisRecords = await aws.readAllKinesisRecords(KINESIS_STREAM);
    const kinesis = await countDeliveries.fromKinesis(aws, KINESIS_STREAM, expected);
    const killsWhileWaiting = waitingAtKills.filter((waiting) => waiting > 0).length;
    const inFlightIds = new Set(killTimes.flatMap((killedAt) => lastCallBefore(kinesisCalls, killedAt + IN_FLIGHT_WINDOW_MS)));
    const repeatedIds = repeatedRecordIds(kinesisRecords);

    t.diagnostic(`kills: ${KILLS}; kills while records were waiting: ${killsWhileWaiting}; kills within ${IN_FLIGHT_WINDOW_MS} ms of a delivery request: ${killsWithRequestInFlight}`);
    t.diagnostic(`records waiting at each kill: ${waitingAtKills.join(', ')}`);
    t.diagnostic(`records ingested: ${feeder.accepted.length}; ingest requests sent again: ${feeder.resends}; records reported as duplicates on resend: ${feeder.duplicates}`);
    t.diagnostic(`S3: ${s3FileRanges(keys, s3Stream.id).length} files, ${s3.received} records, ${s3.missing} missing, ${s3.duplicated} duplicated`);
    t.diagnostic(`Kinesis: ${kinesis.received} records, ${kinesis.missing} missing, ${kinesis.duplicated} duplicated (bound ${KINESIS_BATCH_LIMIT * KILLS}), ${inFlightIds.size} records in calls in flight at a kill`);

    assert.ok(killsWhileWaiting >= 15, `${killsWhileWaiting} of ${KILLS} kills hit while records were waiting`);

    assert.equal(s3.missing, 0, 'no record missing in S3');
    assert.equal(s3.duplicated, 0, 'no record in two S3 objects');
    assert.equal(s3.unexpected, 0, 'no record in S3 that was not ingested');
    assert.equal(overlappingRanges(s3FileRanges(keys, s3Stream.id)), 0, 'S3 file ranges do not overlap');

    assert.equal(kinesis.missing, 0, 'no record missing in Kinesis');
    assert.equal(kinesis.unexpected, 0, 'no record in Kinesis that was not ingested');
    assert.ok(kinesis.duplicated <= KINESIS_BATCH_LIMIT * KILLS, `Kinesis duplicates (${kinesis.duplicated}) stay within one batch per kill`);
    assert.deepEqual(
      repeatedIds.filter((id) => !inFlightIds.has(id)),
      [],
      'every record that Kinesis received twice was in the last PutRecords call before a kill',
    );
    assert.equal(kinesisOrderViolations(kinesisRecords), 0, 'per partition key, Kinesis received records in ingest order');
  });
});

/**
 * Returns the ids of the last PutRecords call that reached the gate before `time`. A stream sends one call
 * at a time and moves its cursor right after the response, so this call is the only one a kill can leave
 * unconfirmed. The kill's time plus IN_FLIGHT_WINDOW_MS also covers a call still on its way to the gate.
 */
function lastCallBefore(calls: { at: number; ids: number[] }[], time: number): number[] {
  return calls.filter((call) => call.at <= time).at(-1)?.ids ?? [];
}

function repeatedRecordIds(records: KinesisRecordRead[]): number[] {
  const seen = new Set<number>();
  const repeated: number[] = [];
  for (const record of records) {
    if (record.partitionKey === CHECK_PARTITION_KEY) continue;
    const id = (JSON.parse(record.data.toString('utf8')) as { id: number }).id;
    if (seen.has(id)) repeated.push(id);
    seen.add(id);
  }
  return repeated;
}

/** Counts S3 uploads and Kinesis PutRecords calls of assumed-role sessions that reached a gate between the two times. */
function deliveryRequestsSince(aws: LocalAws, from: number, to: number): number {
  const delivery = (entry: { at: number; action: string; principal: string }) =>
    entry.at >= from && entry.at <= to && entry.principal.includes(':assumed-role/') && (entry.action === 's3:PutObject' || entry.action === 'kinesis:PutRecords');
  return aws.s3Gate.requests.filter(delivery).length + aws.kinesisGate.requests.filter(delivery).length;
}
