import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutRecordsCommand, type PutRecordsResultEntry } from '@aws-sdk/client-kinesis';

import { countDeliveries } from '../../src/demo/delivery-check.js';
import type { FaultInjector, FaultResponse } from '../../src/emulators/gate.js';
import { StreamStatus } from '../../src/storage/types.js';
import { Harness, waitFor } from '../support/harness.js';
import { ApiClient } from './support/api-client.js';
import { kinesisOrderViolations } from './support/delivery-checks.js';
import { buildRecord } from './support/feeder.js';
import { addDeliveryRole, kinesisDestination } from './support/streams.js';

const STREAM = 'faulty-stream';
const THROTTLED_CALLS = 3;
const PARTIAL_CALLS = 4;
const RECORDS = 1500;

const THROTTLED: FaultResponse = {
  status: 400,
  headers: { 'content-type': 'application/x-amz-json-1.1' },
  body: JSON.stringify({ __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for stream faulty-stream.' }),
};

interface RequestEntry {
  Data: string;
  PartitionKey: string;
}

describe('Kinesis throttling and partial failures', () => {
  let harness: Harness;

  before(async () => {
    harness = await Harness.start();
  });

  after(async () => {
    await harness.close();
  });

  it('retries only rejected entries', async (t) => {
    const { storage, delivery } = harness.service;
    const organisation = storage.createOrganisation('Throttled');
    await harness.aws.createKinesisStream(STREAM, 2);
    const roleArn = addDeliveryRole(harness.aws, organisation.id, 'throttled', { kinesisStream: STREAM });

    // A stub in front of kinesalite, which never fails single entries. The first calls of the service's
    // role are throttled as a whole. The next ones fail partly: the stub writes the other entries to
    // kinesalite itself through the admin client, whose calls it lets through. It then responds with their
    // real sequence numbers, so an "accepted" entry is really stored, as with Kinesis.
    const admin = harness.aws.adminKinesisClient();
    const calls: number[][] = [];
    const failedByCall: number[][] = [];
    const stub: FaultInjector = async ({ action, principal, body }) => {
      if (action !== 'kinesis:PutRecords' || !principal.includes('/throttled/')) return undefined;
      const entries = (JSON.parse(body.toString('utf8')) as { Records: RequestEntry[] }).Records;
      const idOf = (entry: RequestEntry) => (JSON.parse(Buffer.from(entry.Data, 'base64').toString('utf8')) as { id: number }).id;
      calls.push(entries.map(idOf));

      if (calls.length <= THROTTLED_CALLS) return THROTTLED;
      if (calls.length > THROTTLED_CALLS + PARTIAL_CALLS) return undefined;

      const rejected = (index: number) => index % 3 === 2;
      const accepted = entries.filter((_entry, index) => !rejected(index));
      const written = await admin.send(
        new PutRecordsCommand({ StreamName: STREAM, Records: accepted.map((entry) => ({ Data: Buffer.from(entry.Data, 'base64'), PartitionKey: entry.PartitionKey })) }),
      );
      const writtenResults = [...(written.Records ?? [])];
      const results: PutRecordsResultEntry[] = entries.map((_entry, index) =>
        rejected(index) ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard shardId-000000000000.' } : writtenResults.shift()!,
      );
      failedByCall.push(entries.filter((_entry, index) => rejected(index)).map(idOf));
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ FailedRecordCount: failedByCall.at(-1)!.length, Records: results }),
      };
    };
    harness.aws.kinesisGate.setFault(stub);

    const stream = storage.createDataStream({
      organisation_id: organisation.id,
      name: 'throttled',
      data_stream_type: 1,
      status: StreamStatus.Running,
      destination: kinesisDestination(harness.aws, STREAM, roleArn),
      filters: [],
      stream_historic_data: false,
    });
    delivery.streamChanged(stream.id);

    const ids: number[] = [];
    for (let batch = 0; batch < RECORDS / 500; batch++) {
      const records = Array.from({ length: 500 }, (_record, index) => buildRecord('usage', 5_000_000 + batch * 500 + index, organisation.id));
      await harness.ingest('usage', records);
      ids.push(...records.map((record) => record.id));
    }
    assert.ok(await waitFor(() => storage.getDataStreamById(stream.id)!.records_delivered === RECORDS, 30_000), 'every record was delivered');
    harness.aws.kinesisGate.setFault(null);

    const records = await harness.aws.readAllKinesisRecords(STREAM);
    const counted = await countDeliveries.fromKinesis(harness.aws, STREAM, { usage: ids, event: [] });
    const failedIds = new Set(failedByCall.flat());
    const metrics = new ApiClient(harness.service.url);
    const retriedMetric = await metrics.metric('datastreamer_records_retried_total', { destination: 'AwsKinesis' });
    const throttledMetric = await metrics.metric('datastreamer_delivery_failures_total', { destination: 'AwsKinesis', code: 'throttled' });
    t.diagnostic(`PutRecords calls: ${calls.length} (${THROTTLED_CALLS} throttled, ${PARTIAL_CALLS} partial failures rejecting ${failedByCall.map((failed) => failed.length).join(' + ')} entries)`);
    t.diagnostic(`metrics: records_retried_total ${retriedMetric}, delivery_failures_total{code="throttled"} ${throttledMetric}`);
    t.diagnostic(`records ${RECORDS}: missing ${counted.missing}, duplicated ${counted.duplicated}; order violations ${kinesisOrderViolations(records)} with retried entries, ${kinesisOrderViolations(records, failedIds)} without`);

    assert.equal(counted.missing, 0, 'no record lost');
    assert.equal(counted.duplicated, 0, 'accepted entries were not sent again');
    assert.equal(counted.unexpected, 0);
    for (let partial = 0; partial < PARTIAL_CALLS; partial++) {
      const next = calls[THROTTLED_CALLS + partial + 1];
      assert.deepEqual(next, failedByCall[partial], `the call after partial failure ${partial + 1} carried exactly its rejected entries`);
    }
    // An entry rejected in two calls was sent again twice, so the metric counts rejections, not distinct records.
    assert.equal(retriedMetric, failedByCall.flat().length, 'records_retried_total counts each rejected entry sent again');
    assert.equal(throttledMetric, THROTTLED_CALLS, 'delivery_failures_total counts each throttled call');
    assert.equal(kinesisOrderViolations(records, failedIds), 0, 'per partition key, records that were never rejected kept ingest order');
  });

  it('keeps partial batch across steps', async (t) => {
    const { storage, delivery } = harness.service;
    const organisation = storage.createOrganisation('Stubborn');
    await harness.aws.createKinesisStream('stubborn-stream', 1);
    const roleArn = addDeliveryRole(harness.aws, organisation.id, 'stubborn', { kinesisStream: 'stubborn-stream' });

    // Each of the first 12 calls accepts only its first entry, so one step runs out of partial-failure
    // rounds and fails. The next step must go on with the entries still rejected, not the whole batch.
    const admin = harness.aws.adminKinesisClient();
    let calls = 0;
    harness.aws.kinesisGate.setFault(async ({ action, principal, body }) => {
      if (action !== 'kinesis:PutRecords' || !principal.includes('/stubborn/')) return undefined;
      calls += 1;
      if (calls > 12) return undefined;

      const entries = (JSON.parse(body.toString('utf8')) as { Records: RequestEntry[] }).Records;
      const written = await admin.send(
        new PutRecordsCommand({ StreamName: 'stubborn-stream', Records: [{ Data: Buffer.from(entries[0].Data, 'base64'), PartitionKey: entries[0].PartitionKey }] }),
      );
      const results: PutRecordsResultEntry[] = entries.map((_entry, index) =>
        index === 0 ? written.Records![0] : { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service failure.' },
      );
      return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ FailedRecordCount: entries.length - 1, Records: results }) };
    });

    const stream = storage.createDataStream({
      organisation_id: organisation.id,
      name: 'stubborn',
      data_stream_type: 1,
      status: StreamStatus.Running,
      destination: kinesisDestination(harness.aws, 'stubborn-stream', roleArn),
      filters: [],
      stream_historic_data: false,
    });
    delivery.streamChanged(stream.id);
    const records = Array.from({ length: 100 }, (_record, index) => buildRecord('usage', 6_000_000 + index, organisation.id));
    await harness.ingest('usage', records);
    assert.ok(await waitFor(() => storage.getDataStreamById(stream.id)!.records_delivered === records.length, 60_000), 'every record was delivered');
    harness.aws.kinesisGate.setFault(null);

    const counted = await countDeliveries.fromKinesis(harness.aws, 'stubborn-stream', { usage: records.map((record) => record.id), event: [] });
    const rejectedSteps = await new ApiClient(harness.service.url).metric('datastreamer_delivery_failures_total', { destination: 'AwsKinesis', code: 'kinesis_records_rejected' });
    t.diagnostic(`PutRecords calls: ${calls}; steps failed after too many partial failures: ${rejectedSteps}; missing ${counted.missing}, duplicated ${counted.duplicated}`);

    assert.ok(rejectedSteps >= 1, 'a step failed after its partial-failure rounds');
    assert.equal(counted.missing, 0, 'no record lost');
    assert.equal(counted.duplicated, 0, 'entries accepted before the failed step were not sent again');
  });
});
