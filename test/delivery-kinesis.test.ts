import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';

import { CHECK_PARTITION_KEY } from '../src/aws/setup-check-writes.js';
import { KinesisSink } from '../src/delivery/kinesis/kinesis-sink.js';
import type { KinesisService, PutRecordsResult } from '../src/delivery/kinesis/kinesis-service.js';
import { Metrics } from '../src/metrics.js';
import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import type { KinesisDestination } from '../src/storage/types.js';
import { sampleEvent, sampleUsage } from './fixtures.js';
import { Harness, waitFor } from './support/harness.js';

describe('Kinesis delivery', () => {
  let harness: Harness;
  let organisation: { id: number; name: string; authToken: string };

  before(async () => {
    harness = await Harness.start();
    organisation = await harness.createOrganisation('Globex');
  });

  after(async () => {
    await harness.close();
  });

  it('delivers records equal to the ingested JSON with the documented partition keys', async () => {
    await harness.aws.createKinesisStream('globex-events', 2);
    const roleArn = harness.addCustomerRole(organisation.id, 'globex-kinesis', { kinesisStream: 'globex-events' });
    const stream = await harness.createStream(organisation.authToken, {
      data_stream_type: { id: 2 },
      destination: { connection_type: 'AwsKinesis', credentials: { region: harness.aws.region, stream_name: 'globex-events', role_arn: roleArn } },
    });

    const withEndpoint = sampleEvent({ id: 1, organisation_id: organisation.id });
    const simOnly = sampleEvent({ id: 2, organisation_id: organisation.id, endpoint: null });
    const neither = sampleEvent({ id: 3, organisation_id: organisation.id, endpoint: null, sim: null });
    const many = Array.from({ length: 1200 }, (_, index) => sampleEvent({ id: 100 + index, organisation_id: organisation.id, description: `event ${index} – ü` }));
    const events = [withEndpoint, simOnly, neither, ...many];
    await harness.ingest('events', events);

    assert.ok(await waitFor(async () => (await harness.getStream(organisation.authToken, stream.id)).delivery.records_delivered === events.length));

    const all = await harness.aws.readAllKinesisRecords('globex-events');
    const checks = all.filter((record) => record.partitionKey === CHECK_PARTITION_KEY);
    assert.equal(checks.length, 1, 'stream creation wrote one setup check record');
    const received = all.filter((record) => record.partitionKey !== CHECK_PARTITION_KEY);
    assert.equal(received.length, events.length);

    const byId = new Map(received.map((record) => [JSON.parse(record.data.toString('utf8')).id as number, record]));
    for (const event of events) {
      const record = byId.get(event.id);
      assert.ok(record, `event ${event.id} arrived`);
      assert.deepEqual(JSON.parse(record.data.toString('utf8')), event);
    }
    assert.equal(byId.get(1)!.partitionKey, String(withEndpoint.endpoint!.id));
    assert.equal(byId.get(2)!.partitionKey, String(simOnly.sim!.id));
    assert.equal(byId.get(3)!.partitionKey, '3');

    const puts = harness.aws.kinesisGate.requests.filter((request) => request.action === 'kinesis:PutRecords');
    assert.ok(puts.length >= 3, '1203 records need at least three PutRecords calls of at most 500');
    for (const request of puts) assert.match(request.principal, /assumed-role\/globex-kinesis\//);
  });

  it('retries only the records a partial failure rejected', async () => {
    // kinesalite never rejects single entries, so a stub service in front of
    // the real kinesalite client rejects every third entry of the first call.
    await harness.aws.createKinesisStream('partial-failures', 1);
    const kinesis = harness.aws.adminKinesisClient();
    const sent: number[][] = [];
    let calls = 0;
    const stubService = {
      async putRecords(entries: PutRecordsRequestEntry[]): Promise<PutRecordsResult> {
        calls += 1;
        sent.push(entries.map((entry) => JSON.parse(Buffer.from(entry.Data!).toString('utf8')).id));
        const rejected = calls === 1 ? entries.filter((_, index) => index % 3 === 0) : [];
        const accepted = entries.filter((entry) => !rejected.includes(entry));
        if (accepted.length > 0) await kinesis.send(new PutRecordsCommand({ StreamName: 'partial-failures', Records: accepted }));
        return { failed: rejected, firstErrorCode: rejected.length > 0 ? 'ProvisionedThroughputExceededException' : undefined };
      },
    } as unknown as KinesisService;

    const storage = new SqliteStorage(':memory:');
    const org = storage.createOrganisation('Partial');
    const destination: KinesisDestination = { connection_type: 'AwsKinesis', region: harness.aws.region, stream_name: 'partial-failures', role_arn: 'arn:aws:iam::222222222222:role/x' };
    const stream = storage.createDataStream({
      organisation_id: org.id,
      name: 'partial',
      data_stream_type: 1,
      status: 1,
      destination,
      filters: [],
      stream_historic_data: false,
    });
    const records = Array.from({ length: 30 }, (_, index) => sampleUsage({ id: 700 + index, organisation_id: org.id }));
    storage.appendRecords('usage', records.map((record) => ({ organisation_id: org.id, record_id: record.id, body: JSON.stringify(record) })));

    const metrics = new Metrics();
    const sink = new KinesisSink(stream, storage, stubService, { organisationId: org.id, roleArn: destination.role_arn, region: destination.region, operatorPrincipalArn: 'x' }, metrics);
    const outcome = await sink.deliverNext('usage');

    assert.equal(outcome.delivered, 30);
    assert.equal(sent.length, 2);
    assert.equal(sent[0].length, 30);
    assert.deepEqual(sent[1], records.filter((_, index) => index % 3 === 0).map((record) => record.id), 'second call carries only the 10 rejected records');

    const arrived = (await harness.aws.readAllKinesisRecords('partial-failures')).map((record) => JSON.parse(record.data.toString('utf8')).id as number);
    assert.deepEqual(arrived.sort((a, b) => a - b), records.map((record) => record.id), 'each record arrived exactly once');

    const retried = (await metrics.registry.getSingleMetric('datastreamer_records_retried_total')!.get()).values[0]?.value;
    assert.equal(retried, 10);
    assert.equal(storage.getCursor(stream.id, 'usage'), storage.newestSeq(org.id, 'usage'), 'cursor moved past the batch');
    storage.close();
  });
});
