import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import { CHECK_OBJECT_NAME, CHECK_PARTITION_KEY } from '../src/aws/setup-check-writes.js';
import { sampleEvent, sampleUsage } from './fixtures.js';
import { Harness, waitFor, type StreamView } from './support/harness.js';

// Several idle polls of the harness (DATASTREAMER_IDLE_POLL_MS=200): long enough for a worker to deliver if it were running.
const QUIET_PERIOD_MS = 1_500;

type Organisation = Awaited<ReturnType<Harness['createOrganisation']>>;

describe('pause, filters, historic data and restart end to end', () => {
  let harness: Harness;

  before(async () => {
    // An Error stream probes its destination again only after 10 minutes, so a delivery
    // within the test's timeouts after a restart proves that the restart retried at once.
    harness = await Harness.start({ DATASTREAMER_ERROR_PROBE_MS: '600000' });
  });

  after(async () => {
    await harness.close();
  });

  /** Creates a Kinesis stream and a data stream of the organisation's events that delivers to it. */
  async function kinesisEventStream(organisation: Organisation, streamName: string, extra: Record<string, unknown> = {}) {
    await harness.aws.createKinesisStream(streamName, 1);
    const roleArn = harness.addCustomerRole(organisation.id, `${streamName}-role`, { kinesisStream: streamName });
    return harness.createStream(organisation.authToken, {
      name: streamName,
      data_stream_type: { id: 2 },
      destination: { connection_type: 'AwsKinesis', credentials: { region: harness.aws.region, stream_name: streamName, role_arn: roleArn } },
      ...extra,
    });
  }

  function events(organisation: Organisation, ids: number[], eventTypeId = 3) {
    return ids.map((id) => sampleEvent({ id, organisation_id: organisation.id, event_type: { id: eventTypeId, description: `type ${eventTypeId}` } }));
  }

  async function deliveredEvents(streamName: string): Promise<{ id: number; event_type: { id: number } }[]> {
    // The record the setup check wrote at creation is not an event.
    const records = (await harness.aws.readAllKinesisRecords(streamName)).filter((record) => record.partitionKey !== CHECK_PARTITION_KEY);
    return records.map((record) => JSON.parse(record.data.toString('utf8')));
  }

  async function deliveredIds(streamName: string): Promise<number[]> {
    return (await deliveredEvents(streamName)).map((event) => event.id).sort((a, b) => a - b);
  }

  /** Waits until the stream has delivered `count` records and has none waiting, and returns its view. */
  async function waitForDelivered(organisation: Organisation, streamId: number, count: number): Promise<StreamView> {
    let view = await harness.getStream(organisation.authToken, streamId);
    await waitFor(async () => {
      view = await harness.getStream(organisation.authToken, streamId);
      return view.delivery.records_delivered === count && view.delivery.records_waiting === 0;
    });
    return view;
  }

  function setStatus(organisation: Organisation, streamId: number, status: 1 | 2) {
    return harness.request('PATCH', `/api/v2/data_stream/${streamId}`, { token: organisation.authToken, body: { status: { id: status } } });
  }

  function range(first: number, last: number): number[] {
    return Array.from({ length: last - first + 1 }, (_, index) => first + index);
  }

  it('keeps the place while paused and delivers the backlog once resumed', async () => {
    const organisation = await harness.createOrganisation('Pausing Org');
    const stream = await kinesisEventStream(organisation, 'paused-events');

    await harness.ingest('events', events(organisation, range(1, 5)));
    assert.equal((await waitForDelivered(organisation, stream.id, 5)).delivery.records_delivered, 5, 'delivered before the pause');

    const paused = await setStatus(organisation, stream.id, 2);
    assert.equal(paused.status, 202);
    assert.deepEqual((paused.body as StreamView).status, { id: 2, description: 'Paused' });

    await harness.ingest('events', events(organisation, range(6, 12)));
    await sleep(QUIET_PERIOD_MS);

    const whilePaused = await harness.getStream(organisation.authToken, stream.id);
    assert.equal(whilePaused.status.id, 2);
    assert.equal(whilePaused.delivery.records_delivered, 5);
    assert.equal(whilePaused.delivery.records_waiting, 7);
    assert.deepEqual(await deliveredIds('paused-events'), range(1, 5), 'nothing delivered while paused');

    const resumed = await setStatus(organisation, stream.id, 1);
    assert.equal(resumed.status, 202);
    assert.equal((resumed.body as StreamView).status.id, 1);

    const view = await waitForDelivered(organisation, stream.id, 12);
    assert.equal(view.delivery.records_delivered, 12);
    assert.deepEqual(await deliveredIds('paused-events'), range(1, 12), 'every record exactly once');
  });

  it('delivers only the event types of the filter, also after a change', async () => {
    const organisation = await harness.createOrganisation('Filtering Org');
    const stream = await kinesisEventStream(organisation, 'filtered-events', { filters: [{ field: 'event_type_id', value: [1, 5] }] });

    await harness.ingest('events', [
      ...events(organisation, [1, 2], 1),
      ...events(organisation, [3, 4], 3),
      ...events(organisation, [5, 6], 5),
      ...events(organisation, [7, 8], 18),
    ]);
    await waitForDelivered(organisation, stream.id, 4);

    const delivered = await deliveredEvents('filtered-events');
    assert.deepEqual(delivered.map((event) => event.id).sort((a, b) => a - b), [1, 2, 5, 6]);
    assert.deepEqual([...new Set(delivered.map((event) => event.event_type.id))].sort((a, b) => a - b), [1, 5]);

    const changed = await harness.request('PATCH', `/api/v2/data_stream/${stream.id}`, {
      token: organisation.authToken,
      body: { filters: [{ field: 'event_type_id', value: [18] }] },
    });
    assert.equal(changed.status, 202);

    await harness.ingest('events', [...events(organisation, [9], 1), ...events(organisation, [10, 11], 18)]);
    await waitForDelivered(organisation, stream.id, 6);

    assert.deepEqual(await deliveredIds('filtered-events'), [1, 2, 5, 6, 10, 11]);
  });

  it('delivers older records only to a historic stream', async () => {
    const organisation = await harness.createOrganisation('History Org');
    await harness.ingest('events', events(organisation, range(1, 4)));

    const historic = await kinesisEventStream(organisation, 'historic-events', { stream_historic_data: true });
    const recent = await kinesisEventStream(organisation, 'recent-events', { stream_historic_data: false });
    await harness.ingest('events', events(organisation, range(5, 7)));

    await waitForDelivered(organisation, historic.id, 7);
    await waitForDelivered(organisation, recent.id, 3);

    assert.deepEqual(await deliveredIds('historic-events'), range(1, 7));
    assert.deepEqual(await deliveredIds('recent-events'), range(5, 7));
  });

  it('retries an Error stream at once on restart', async () => {
    const organisation = await harness.createOrganisation('Restarting Org');
    const bucket = 'restart-bucket';
    await harness.aws.createBucket(bucket);
    const roleName = 'restart-s3';
    const roleArn = harness.addCustomerRole(organisation.id, roleName, { bucket });
    const stream = await harness.createStream(organisation.authToken, {
      data_stream_type: { id: 1 },
      destination: { connection_type: 'S3', credentials: { region: harness.aws.region, bucket_name: bucket, role_arn: roleArn, flush_size: 10 } },
    });

    // The role trusts another external id and has no permissions, so delivery fails even with cached credentials.
    harness.addCustomerRole(organisation.id, roleName, {}, 'org-other');
    await harness.ingest('usage', Array.from({ length: 10 }, (_, index) => sampleUsage({ id: 700 + index, organisation_id: organisation.id })));

    const failed = await waitFor(async () => {
      const view = await harness.getStream(organisation.authToken, stream.id);
      return view.status.id === 3 ? view : undefined;
    });
    assert.ok(failed, 'the stream reached Error');
    assert.ok(failed.delivery.last_error, 'the error is shown');

    harness.addCustomerRole(organisation.id, roleName, { bucket });
    await sleep(QUIET_PERIOD_MS);
    const waiting = await harness.getStream(organisation.authToken, stream.id);
    assert.equal(waiting.status.id, 3, 'without a restart the stream waits for its next probe');
    assert.equal(waiting.delivery.records_delivered, 0);

    const restarted = await harness.request('POST', `/api/v2/data_stream/${stream.id}/restart`, { token: organisation.authToken });
    assert.equal(restarted.status, 202);
    assert.equal((restarted.body as StreamView).status.id, 1);

    const view = await waitForDelivered(organisation, stream.id, 10);
    assert.equal(view.delivery.records_delivered, 10);
    assert.equal(view.status.id, 1);
    assert.equal(view.delivery.last_error, null, 'a successful delivery clears the error');
    assert.equal((await harness.aws.listAllObjects(bucket)).filter((key) => !key.endsWith(CHECK_OBJECT_NAME)).length, 1);
  });
});
