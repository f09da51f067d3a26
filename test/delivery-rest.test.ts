import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import type { RestApiDestination } from '../src/storage/types.js';
import { sampleEvent, sampleUsage } from './fixtures.js';
import { Harness, waitFor } from './support/harness.js';
import { Receiver } from './support/receiver.js';

const SECRET = 'whsec-test-secret';

describe('REST API delivery', () => {
  let harness: Harness;

  before(async () => {
    harness = await Harness.start({ DATASTREAMER_REST_ALLOW_LOCAL: 'true', DATASTREAMER_REST_TIMEOUT_MS: '500' });
  });

  after(async () => {
    await harness.close();
  });

  /** Creates a RestAPI stream directly in storage and starts its worker. */
  function createRestStream(organisationId: number, destination: Partial<RestApiDestination> & { url: string }, dataStreamType: 1 | 2 = 1): number {
    const stream = harness.service.storage.createDataStream({
      organisation_id: organisationId,
      name: 'webhook',
      data_stream_type: dataStreamType,
      status: 1,
      destination: { connection_type: 'RestAPI', method: 'POST', headers: [], size: 3000, signing_secret: null, ...destination },
      filters: [],
      stream_historic_data: false,
    });
    harness.service.delivery.streamChanged(stream.id);
    return stream.id;
  }

  function delivered(streamId: number): number {
    return harness.service.storage.getDataStreamById(streamId)!.records_delivered;
  }

  it('delivers batches of at most size with headers and a valid signature', async () => {
    const receiver = await Receiver.start();
    const organisation = harness.service.storage.createOrganisation('Webhook Co');
    const streamId = createRestStream(organisation.id, {
      url: receiver.url,
      method: 'PUT',
      size: 7,
      headers: ['X-Api-Key: key-123', 'X-Tenant: acme'],
      signing_secret: SECRET,
    });

    const records = Array.from({ length: 30 }, (_, index) => sampleUsage({ id: 100 + index, organisation_id: organisation.id }));
    await harness.ingest('usage', records);
    assert.ok(await waitFor(() => delivered(streamId) === 30));

    assert.deepEqual(receiver.records().map((record) => record.id), records.map((record) => record.id));
    for (const request of receiver.requests) {
      const batch = JSON.parse(request.body) as unknown[];
      assert.ok(Array.isArray(batch));
      assert.ok(batch.length <= 7, `a batch holds ${batch.length} records`);
      assert.equal(request.method, 'PUT');
      assert.equal(request.headers['x-api-key'], 'key-123');
      assert.equal(request.headers['x-tenant'], 'acme');
      assert.equal(request.headers['content-type'], 'application/json');

      // The documented verification: HMAC-SHA256 over "<id>.<timestamp>.<body>".
      const id = request.headers['x-datastreamer-id'] as string;
      const timestamp = request.headers['x-datastreamer-timestamp'] as string;
      const expected = 'v1=' + createHmac('sha256', SECRET).update(`${id}.${timestamp}.${request.body}`).digest('hex');
      assert.equal(request.headers['x-datastreamer-signature'], expected);
      assert.ok(Math.abs(Date.now() / 1000 - Number(timestamp)) < 60, 'timestamp is current');
    }
    await receiver.stop();
  });

  it('delivers to a stream created through the API', async () => {
    const receiver = await Receiver.start();
    const organisation = await harness.createOrganisation('API Webhook Co');
    const created = await harness.createStream(organisation.authToken, {
      name: 'events webhook',
      data_stream_type: { id: 2 },
      destination: {
        connection_type: 'RestAPI',
        credentials: { url: receiver.url, size: 4, headers: ['X-Api-Key: key-e2e'], signing_secret: SECRET },
      },
      filters: [{ field: 'event_type_id', value: [1] }],
    });

    const updateLocation = { id: 1, description: 'Update location' };
    const createPdpContext = { id: 3, description: 'Create PDP Context' };
    const events = Array.from({ length: 10 }, (_, index) =>
      sampleEvent({ id: 900 + index, organisation_id: organisation.id, event_type: index % 2 === 0 ? updateLocation : createPdpContext }),
    );
    await harness.ingest('events', events);
    const expectedIds = events.filter((event) => event.event_type.id === updateLocation.id).map((event) => event.id);
    assert.ok(await waitFor(() => receiver.records().length === expectedIds.length), 'the filtered events arrived');

    assert.deepEqual(receiver.records().map((record) => record.id), expectedIds);
    for (const request of receiver.requests) {
      assert.equal(request.method, 'POST');
      assert.equal(request.headers['x-api-key'], 'key-e2e');
      const id = request.headers['x-datastreamer-id'] as string;
      const timestamp = request.headers['x-datastreamer-timestamp'] as string;
      const expected = 'v1=' + createHmac('sha256', SECRET).update(`${id}.${timestamp}.${request.body}`).digest('hex');
      assert.equal(request.headers['x-datastreamer-signature'], expected);
    }

    // The cursor moves after the receiver responded, so the count may lag behind the requests briefly.
    const view = await waitFor(async () => {
      const current = await harness.getStream(organisation.authToken, created.id);
      return current.delivery.records_delivered === expectedIds.length ? current : undefined;
    });
    assert.ok(view, 'the stream counts the delivered events');
    assert.equal(view.delivery.last_error, null);
    await receiver.stop();
  });

  it('sends one object per request when size is 1', async () => {
    const receiver = await Receiver.start();
    const organisation = harness.service.storage.createOrganisation('Single Co');
    const streamId = createRestStream(organisation.id, { url: receiver.url, size: 1 }, 2);

    const events = Array.from({ length: 5 }, (_, index) => sampleEvent({ id: 200 + index, organisation_id: organisation.id }));
    await harness.ingest('events', events);
    assert.ok(await waitFor(() => delivered(streamId) === 5));

    assert.equal(receiver.requests.length, 5);
    for (const [index, request] of receiver.requests.entries()) {
      assert.deepEqual(JSON.parse(request.body), events[index]);
    }
    await receiver.stop();
  });

  it('retries a 500 and a timeout with the same request id', async () => {
    const receiver = await Receiver.start();
    receiver.responder = async (_request, index) => {
      if (index === 0) return { status: 500, body: 'database is down' };
      if (index === 1) {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return { status: 200 };
      }
      return { status: 204 };
    };
    const organisation = harness.service.storage.createOrganisation('Flaky Co');
    const streamId = createRestStream(organisation.id, { url: receiver.url, size: 10 });

    const records = Array.from({ length: 10 }, (_, index) => sampleUsage({ id: 300 + index, organisation_id: organisation.id }));
    await harness.ingest('usage', records);
    assert.ok(await waitFor(() => delivered(streamId) === 10));

    assert.equal(receiver.requests.length, 3, 'a 500, a timed-out request, then the success');
    const ids = new Set(receiver.requests.map((request) => request.headers['x-datastreamer-id']));
    assert.equal(ids.size, 1, 'every retry of the batch carries the same id');
    const bodies = new Set(receiver.requests.map((request) => request.body));
    assert.equal(bodies.size, 1, 'every retry sends the same body');

    const uniqueIds = new Set(receiver.records().map((record) => record.id));
    assert.equal(uniqueIds.size, 10, 'deduplicated on the request id, each record arrived once');
    await receiver.stop();
  });

  it('moves to Error while the receiver is down and delivers the backlog after', async () => {
    const receiver = await Receiver.start();
    await receiver.stop();
    const organisation = harness.service.storage.createOrganisation('Down Co');
    const streamId = createRestStream(organisation.id, { url: receiver.url, size: 50 });

    const records = Array.from({ length: 120 }, (_, index) => sampleUsage({ id: 400 + index, organisation_id: organisation.id }));
    await harness.ingest('usage', records);

    const failed = await waitFor(() => {
      const stream = harness.service.storage.getDataStreamById(streamId)!;
      return stream.status === 3 ? stream : undefined;
    });
    assert.ok(failed, 'stream reached Error');
    assert.equal(failed.last_error?.code, 'endpoint_unreachable');
    assert.match(failed.last_error!.message, /ECONNREFUSED/);

    await receiver.restart();
    assert.ok(await waitFor(() => delivered(streamId) === 120), 'the whole backlog arrived');
    assert.deepEqual(receiver.records().map((record) => record.id), records.map((record) => record.id), 'in order, once');
    assert.equal(harness.service.storage.getDataStreamById(streamId)!.status, 1, 'back to Running');
    await receiver.stop();
  });

  it('shows the status code and an excerpt when the receiver keeps failing', async () => {
    const receiver = await Receiver.start();
    receiver.responder = () => ({ status: 503, body: 'maintenance window until 22:00 UTC' });
    const organisation = harness.service.storage.createOrganisation('Busy Co');
    const streamId = createRestStream(organisation.id, { url: receiver.url });
    await harness.ingest('usage', [sampleUsage({ id: 500, organisation_id: organisation.id })]);

    const failed = await waitFor(() => {
      const stream = harness.service.storage.getDataStreamById(streamId)!;
      return stream.status === 3 ? stream : undefined;
    });
    assert.ok(failed);
    assert.equal(failed.last_error?.code, 'endpoint_http_503');
    assert.match(failed.last_error!.message, /answered 503: maintenance window until 22:00 UTC/);
    await receiver.stop();
  });

  it('a hanging receiver does not delay another organisation', async () => {
    const slow = await Receiver.start();
    let releaseSlow: () => void = () => {};
    const slowAnswered = new Promise<void>((resolve) => (releaseSlow = resolve));
    slow.responder = async () => {
      await slowAnswered;
      return { status: 200 };
    };
    const fast = await Receiver.start();

    const slowOrganisation = harness.service.storage.createOrganisation('Slow Co');
    const fastOrganisation = harness.service.storage.createOrganisation('Fast Co');
    createRestStream(slowOrganisation.id, { url: slow.url });
    const fastStream = createRestStream(fastOrganisation.id, { url: fast.url, size: 5 });

    await harness.ingest('usage', [sampleUsage({ id: 600, organisation_id: slowOrganisation.id })]);
    await waitFor(() => slow.requests.length > 0);
    await harness.ingest('usage', Array.from({ length: 20 }, (_, index) => sampleUsage({ id: 700 + index, organisation_id: fastOrganisation.id })));

    assert.ok(await waitFor(() => delivered(fastStream) === 20), 'the other organisation got all 20 records');
    assert.equal(fast.records().length, 20);
    releaseSlow();
    await slow.stop();
    await fast.stop();
  });
});
