import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { countDeliveries } from '../../src/demo/delivery-check.js';
import type { GateRequestLogEntry } from '../../src/emulators/gate.js';
import { StreamStatus } from '../../src/storage/types.js';
import { Harness, waitFor } from '../support/harness.js';
import { buildRecord } from './support/feeder.js';
import { addDeliveryRole, kinesisDestination, s3Destination } from './support/streams.js';

/** Lifetime of the sessions that the STS emulator issues in this test, in seconds. */
const SESSION_SECONDS = 5;
const RUN_MS = 22_000;

describe('expiring assumed-role credentials', () => {
  let harness: Harness;

  before(async () => {
    harness = await Harness.start();
    // The service requests 3600 s sessions (its configuration allows no less than 900 s). STS caps them at 5 s, as a role's MaxSessionDuration would.
    harness.aws.sts.setCredentialLifetime(SESSION_SECONDS);
  });

  after(async () => {
    await harness.close();
  });

  it('delivers across credential expiries', async (t) => {
    const { storage, delivery } = harness.service;
    const organisation = storage.createOrganisation('Short Sessions');
    await harness.aws.createBucket('short-sessions');
    await harness.aws.createKinesisStream('short-sessions', 1);
    const roleArn = addDeliveryRole(harness.aws, organisation.id, 'short-sessions', { bucket: 'short-sessions', kinesisStream: 'short-sessions' });
    const create = (destination: Parameters<typeof storage.createDataStream>[0]['destination']) => {
      const stream = storage.createDataStream({ organisation_id: organisation.id, name: 'short', data_stream_type: 1, status: StreamStatus.Running, destination, filters: [], stream_historic_data: false });
      delivery.streamChanged(stream.id);
      return stream.id;
    };
    const s3Stream = create(s3Destination(harness.aws, 'short-sessions', roleArn, { flush_size: 20, rotate_interval: 300 }));
    const kinesisStream = create(kinesisDestination(harness.aws, 'short-sessions', roleArn));

    const ids: number[] = [];
    const startedAt = Date.now();
    for (let nextId = 4_000_000; Date.now() - startedAt < RUN_MS; ) {
      const records = Array.from({ length: 20 }, () => buildRecord('usage', nextId++, organisation.id));
      await harness.ingest('usage', records);
      ids.push(...records.map((record) => record.id));
      await sleep(200);
    }
    const delivered = (id: number) => storage.getDataStreamById(id)!.records_delivered === ids.length;
    assert.ok(await waitFor(() => delivered(s3Stream) && delivered(kinesisStream), 30_000), 'both streams delivered every record');

    const ofRole = (entry: GateRequestLogEntry) => entry.principal.includes('/short-sessions/') || (!entry.allowed && entry.rejection === 'expired');
    const requests = [...harness.aws.s3Gate.requests, ...harness.aws.kinesisGate.requests].filter(ofRole);
    const expiredRejections = requests.filter((entry) => entry.rejection === 'expired').length;
    const sessionsUsed = new Set(requests.map((entry) => entry.accessKeyId)).size;
    const assumeRoleCalls = harness.aws.sts.assumeRoleCount(roleArn);
    const s3 = await countDeliveries.fromS3(harness.aws, 'short-sessions', await harness.aws.listAllObjects('short-sessions'), { usage: ids, event: [] });
    const kinesis = await countDeliveries.fromKinesis(harness.aws, 'short-sessions', { usage: ids, event: [] });
    t.diagnostic(`run ${RUN_MS} ms with ${SESSION_SECONDS} s sessions: ${requests.length} delivery requests, ${sessionsUsed} sessions used, ${assumeRoleCalls} AssumeRole calls, ${expiredRejections} rejected as expired`);
    t.diagnostic(`records ${ids.length}; S3 missing ${s3.missing}, duplicated ${s3.duplicated}; Kinesis missing ${kinesis.missing}, duplicated ${kinesis.duplicated}`);

    assert.equal(expiredRejections, 0, 'no request was rejected for an expired token');
    assert.ok(sessionsUsed >= RUN_MS / 1000 / SESSION_SECONDS, `credentials were refreshed across expiries: ${sessionsUsed} sessions`);
    assert.equal(s3.missing, 0, 'no record missing in S3');
    assert.equal(s3.duplicated, 0, 'no record in two S3 objects');
    assert.equal(kinesis.missing, 0, 'no record missing in Kinesis');
    assert.equal(kinesis.duplicated, 0, 'no record twice in Kinesis');
  });
});
