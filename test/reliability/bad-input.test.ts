import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { StreamStatus } from '../../src/storage/types.js';
import { ADMIN_TOKEN, Harness, waitFor } from '../support/harness.js';
import { Receiver } from '../support/receiver.js';
import { ApiClient } from './support/api-client.js';
import { buildRecord } from './support/feeder.js';
import { restDestination } from './support/streams.js';

const BODY_LIMIT_BYTES = 64 * 1024;
const GOOD_BATCHES = 200;
const RECORDS_PER_BATCH = 25;
const CONCURRENCY = 8;

interface IngestCase {
  name: string;
  send: () => Promise<{ status: number; body: unknown }>;
  expectedStatus: number;
  /** error_token of the rejection, or undefined for an accepted request. */
  expectedToken?: string;
  /** Ids this request may store when it is accepted. */
  goodIds?: number[];
}

describe('bad ingest input under load', () => {
  let harness: Harness;
  let receiver: Receiver;

  before(async () => {
    harness = await Harness.start({ DATASTREAMER_INGEST_BODY_LIMIT: String(BODY_LIMIT_BYTES), DATASTREAMER_REST_ALLOW_LOCAL: 'true' });
    receiver = await Receiver.start();
  });

  after(async () => {
    await receiver.stop();
    await harness.close();
  });

  it('rejects bad requests, delivers good ones', async (t) => {
    const { storage, delivery } = harness.service;
    const organisation = storage.createOrganisation('Mixed Input');
    const stream = storage.createDataStream({
      organisation_id: organisation.id,
      name: 'webhook',
      data_stream_type: 1,
      status: StreamStatus.Running,
      destination: restDestination(receiver.url, 100),
      filters: [],
      stream_historic_data: false,
    });
    delivery.streamChanged(stream.id);

    const client = new ApiClient(harness.service.url);
    let nextId = 7_000_000;
    const batch = (count: number, organisationId = organisation.id) => Array.from({ length: count }, () => buildRecord('usage', nextId++, organisationId));
    const post = (body: unknown, options: { contentType?: string; withoutToken?: boolean; rawBody?: string } = {}) =>
      client.request('POST', '/api/v1/ingest/usage', { body, rawBody: options.rawBody, contentType: options.contentType, token: options.withoutToken ? undefined : ADMIN_TOKEN });

    const goodBatches = Array.from({ length: GOOD_BATCHES }, () => batch(RECORDS_PER_BATCH));
    const badRecordIds: number[] = [];
    const rejected = <T extends { id: number }>(records: T[]): T[] => {
      badRecordIds.push(...records.map((record) => record.id));
      return records;
    };
    const wrongTyped = () => rejected([{ ...batch(1)[0], volume: { total: 'lots', rx: 1, tx: 2 } }]);
    const badCases: (() => IngestCase)[] = [
      () => ({ name: 'malformed JSON', send: () => post(undefined, { rawBody: '[{"id": 1, "traffic_type":' }), expectedStatus: 400, expectedToken: 'malformed_json' }),
      () => {
        const records = rejected(batch(120));
        return { name: 'oversized body', send: () => post(records), expectedStatus: 413, expectedToken: 'body_too_large' };
      },
      () => {
        const records = wrongTyped();
        return { name: 'wrong-typed field', send: () => post(records), expectedStatus: 400, expectedToken: 'invalid_records' };
      },
      () => {
        const records = rejected([...batch(3), ...wrongTyped()]);
        return { name: 'good records next to a bad one', send: () => post(records), expectedStatus: 400, expectedToken: 'invalid_records' };
      },
      () => ({ name: 'object instead of array', send: () => post(rejected(batch(1))[0]), expectedStatus: 400, expectedToken: 'invalid_ingest_body' }),
      () => ({ name: 'unknown organisation', send: () => post(batch(2, 999_999)), expectedStatus: 400, expectedToken: 'invalid_records' }),
      () => ({ name: 'text/plain body', send: () => post(undefined, { contentType: 'text/plain', rawBody: JSON.stringify(rejected(batch(1))) }), expectedStatus: 415, expectedToken: 'unsupported_media_type' }),
      () => ({ name: 'no admin token', send: () => post(rejected(batch(1)), { withoutToken: true }), expectedStatus: 401, expectedToken: 'missing_bearer_token' }),
    ];

    // Good and bad requests take turns, CONCURRENCY at a time, while /healthz is polled.
    const firstWave: IngestCase[] = [];
    goodBatches.forEach((records, index) => {
      firstWave.push({ name: 'good batch', send: () => post(records), expectedStatus: 200, goodIds: records.map((record) => record.id) });
      firstWave.push(badCases[index % badCases.length]());
    });
    // Sent after the first wave: the same ids as accepted batches, with other content.
    const duplicates: IngestCase[] = goodBatches.slice(0, 10).map((records) => ({
      name: 'duplicate batch',
      send: () => post(records.map((record) => ({ ...record, cost: 999 }))),
      expectedStatus: 200,
    }));

    const health = pollHealth(client);
    const outcomes = [...(await runConcurrently(firstWave)), ...(await runConcurrently(duplicates))];
    const healthResults = await health.stop();

    const byName = new Map<string, { sent: number; unexpected: string[] }>();
    for (const { testCase, status, body } of outcomes) {
      const entry = byName.get(testCase.name) ?? { sent: 0, unexpected: [] };
      entry.sent += 1;
      const token = (body as { error_token?: string } | undefined)?.error_token;
      if (status !== testCase.expectedStatus || token !== testCase.expectedToken) entry.unexpected.push(`${status} ${token ?? JSON.stringify(body)}`);
      byName.set(testCase.name, entry);
    }
    t.diagnostic(`requests: ${[...byName].map(([name, entry]) => `${name} ${entry.sent}`).join(', ')}; /healthz polls: ${healthResults.ok} ok, ${healthResults.failed} failed`);
    for (const [name, entry] of byName) {
      assert.deepEqual(entry.unexpected, [], `every "${name}" request got its expected status and error_token`);
    }
    const duplicateCounts = outcomes.filter(({ testCase }) => testCase.name === 'duplicate batch').map(({ body }) => body);
    assert.ok(duplicateCounts.every((body) => (body as { accepted: number; duplicates: number }).accepted === 0), 'duplicates stored nothing');
    assert.ok(duplicateCounts.every((body) => (body as { duplicates: number }).duplicates === RECORDS_PER_BATCH), 'every duplicate was counted');

    const goodIds = goodBatches.flat().map((record) => record.id);
    const stored = storage.readRecords(organisation.id, 'usage', 0, 1_000_000);
    assert.deepEqual(stored.map((record) => record.record_id).sort((a, b) => a - b), goodIds, 'exactly the good records are stored');
    assert.ok(badRecordIds.every((id) => !stored.some((record) => record.record_id === id)), 'no record of a rejected request is stored');

    assert.ok(await waitFor(() => storage.getDataStreamById(stream.id)!.records_delivered === goodIds.length, 30_000), 'every good record was delivered');
    const originals = new Map(goodBatches.flat().map((record) => [record.id, record]));
    const received = receiver.records();
    assert.equal(received.length, goodIds.length, 'each good record arrived once');
    for (const record of received) assert.deepEqual(record, originals.get(record.id), `record ${record.id} arrived as first ingested`);
    assert.equal(healthResults.failed, 0, '/healthz answered 200 throughout');
    assert.equal((await client.request('GET', '/healthz')).status, 200, 'the service is up after the load');
  });
});

async function runConcurrently(cases: IngestCase[]): Promise<{ testCase: IngestCase; status: number; body: unknown }[]> {
  const outcomes: { testCase: IngestCase; status: number; body: unknown }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const testCase = cases[next++];
      const { status, body } = await testCase.send();
      outcomes.push({ testCase, status, body });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes;
}

/** Polls GET /healthz every 50 ms until stopped; returns how many polls returned 200 and how many did not. */
function pollHealth(client: ApiClient) {
  const results = { ok: 0, failed: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const status = await client.request('GET', '/healthz').then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) results.ok += 1;
      else results.failed += 1;
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return results;
    },
  };
}
