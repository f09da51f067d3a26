import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';

import { buildApi } from '../src/api/server.js';
import { issueApplicationToken, resolveJwtSecret } from '../src/auth/index.js';
import { loadConfig } from '../src/config.js';
import type { DeliveryEvents } from '../src/delivery/events.js';
import { NO_DELIVERY } from '../src/delivery/events.js';
import type { RecordKind } from '../src/records/types.js';
import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import { sampleEvent, sampleUsage } from './fixtures.js';

const ADMIN_TOKEN = 'test-admin-token';
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function startApi(env: Record<string, string> = {}, delivery: DeliveryEvents = NO_DELIVERY) {
  const config = loadConfig({ DATASTREAMER_ADMIN_TOKEN: ADMIN_TOKEN, ...env });
  const storage = new SqliteStorage(':memory:');
  const app = await buildApi({ config, storage, logger: pino({ level: 'silent' }), delivery, jwtSecret: resolveJwtSecret(config, storage) });
  return { config, storage, app };
}

type Api = Awaited<ReturnType<typeof startApi>>;

function ingestJson(api: Api, path: 'events' | 'usage', records: unknown, headers: Record<string, string> = ADMIN) {
  return api.app.inject({
    method: 'POST',
    url: `/api/v1/ingest/${path}`,
    headers: { ...headers, 'content-type': 'application/json' },
    payload: typeof records === 'string' ? records : JSON.stringify(records),
  });
}

function ingestNdjson(api: Api, path: 'events' | 'usage', text: string) {
  return api.app.inject({
    method: 'POST',
    url: `/api/v1/ingest/${path}`,
    headers: { ...ADMIN, 'content-type': 'application/x-ndjson' },
    payload: text,
  });
}

function storedIds(api: Api, organisationId: number, kind: RecordKind): number[] {
  return api.storage.readRecords(organisationId, kind, 0, 1000).map((record) => record.record_id);
}

describe('POST /api/v1/ingest', () => {
  let api: Api;
  let organisationId: number;
  const appended: { organisationIds: number[]; kind: RecordKind }[] = [];

  before(async () => {
    api = await startApi({}, {
      recordsAppended(organisationIds, kind) {
        appended.push({ organisationIds: [...organisationIds], kind });
      },
      streamChanged() {},
      retryNow() {},
    });
    organisationId = api.storage.createOrganisation('Acme IoT').id;
  });

  after(async () => {
    await api.app.close();
    api.storage.close();
  });

  it('stores a JSON array of events', async () => {
    const records = [1, 2, 3].map((id) => sampleEvent({ id, organisation_id: organisationId }));
    appended.length = 0;

    const response = await ingestJson(api, 'events', records);

    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { accepted: 3, duplicates: 0 });
    const stored = api.storage.readRecords(organisationId, 'event', 0, 10);
    assert.deepEqual(stored.map((record) => record.record_id), [1, 2, 3]);
    assert.deepEqual(JSON.parse(stored[0].body), records[0]);
    assert.deepEqual(appended, [{ organisationIds: [organisationId], kind: 'event' }]);
  });

  it('stores NDJSON, skipping blank lines', async () => {
    const records = [11, 12].map((id) => sampleUsage({ id, organisation_id: organisationId }));
    const text = `\n${JSON.stringify(records[0])}\r\n\n${JSON.stringify(records[1])}\n`;

    const response = await ingestNdjson(api, 'usage', text);

    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { accepted: 2, duplicates: 0 });
    assert.deepEqual(storedIds(api, organisationId, 'usage'), [11, 12]);
  });

  it('counts resent records as duplicates', async () => {
    const records = [21, 22].map((id) => sampleUsage({ id, organisation_id: organisationId }));
    assert.deepEqual((await ingestJson(api, 'usage', records)).json(), { accepted: 2, duplicates: 0 });
    const newestSeq = api.storage.newestSeq(organisationId, 'usage');

    const again = await ingestJson(api, 'usage', records);

    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), { accepted: 0, duplicates: 2 });
    assert.equal(api.storage.newestSeq(organisationId, 'usage'), newestSeq);
  });

  it('counts a repeated id within one request as a duplicate', async () => {
    const record = sampleEvent({ id: 31, organisation_id: organisationId });
    const other = sampleEvent({ id: 32, organisation_id: organisationId });

    const response = await ingestJson(api, 'events', [record, record, other]);

    assert.deepEqual(response.json(), { accepted: 2, duplicates: 1 });
    assert.deepEqual(storedIds(api, organisationId, 'event').filter((id) => id > 30), [31, 32]);
  });

  it('keeps the same id apart for usage and events', async () => {
    const response = await ingestJson(api, 'usage', [sampleUsage({ id: 1, organisation_id: organisationId })]);

    assert.deepEqual(response.json(), { accepted: 1, duplicates: 0 });
  });

  it('accepts an empty array', async () => {
    const response = await ingestJson(api, 'events', []);

    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { accepted: 0, duplicates: 0 });
  });
});

describe('POST /api/v1/ingest rejections', () => {
  let api: Api;
  let organisationId: number;

  before(async () => {
    api = await startApi({ DATASTREAMER_INGEST_BODY_LIMIT: '4096' });
    organisationId = api.storage.createOrganisation('Acme IoT').id;
  });

  after(async () => {
    await api.app.close();
    api.storage.close();
  });

  function assertNothingStored(): void {
    assert.equal(api.storage.newestSeq(organisationId, 'event'), 0, 'no event stored');
    assert.equal(api.storage.newestSeq(organisationId, 'usage'), 0, 'no usage record stored');
  }

  it('rejects malformed JSON with 400 naming the position', async () => {
    const response = await ingestJson(api, 'events', '[{"id": 1},');

    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.error_token, 'malformed_json');
    assert.match(body.message, /ends at position 11 \(line 1, column 12\)/);
    assertNothingStored();
  });

  it('rejects a JSON object instead of an array with 400', async () => {
    const response = await ingestJson(api, 'events', sampleEvent({ organisation_id: organisationId }));

    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error_token, 'invalid_ingest_body');
    assert.match(response.json().message, /a JSON object, not an array/);
    assertNothingStored();
  });

  it('reports a bad NDJSON line', async () => {
    const good = JSON.stringify(sampleUsage({ organisation_id: organisationId }));
    const text = `${good}\n\n{"id": 5,\n${good}\n`;

    const response = await ingestNdjson(api, 'usage', text);

    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.error_token, 'invalid_records');
    assert.equal(body.errors.length, 1);
    assert.equal(body.errors[0].index, 1);
    assert.match(body.errors[0].message, /^line 3 is not valid JSON/);
    assertNothingStored();
  });

  it('reports a missing field', async () => {
    const { timestamp: _timestamp, ...withoutTimestamp } = sampleEvent({ organisation_id: organisationId });
    const records = [sampleEvent({ organisation_id: organisationId }), withoutTimestamp];

    const response = await ingestJson(api, 'events', records);

    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.error_token, 'invalid_records');
    assert.deepEqual(body.errors, [{ index: 1, field: 'timestamp', message: 'is required' }]);
    assertNothingStored();
  });

  it('rejects fields of the wrong type', async () => {
    const records = [
      { ...sampleEvent({ organisation_id: organisationId }), alert: 'yes' },
      { ...sampleEvent({ organisation_id: organisationId }), id: '7' },
    ];

    const response = await ingestJson(api, 'events', records);

    assert.equal(response.statusCode, 400);
    const fields = response.json().errors.map((error: { index: number; field: string }) => `${error.index}:${error.field}`);
    assert.deepEqual(fields, ['0:alert', '1:id']);
    assertNothingStored();
  });

  it('rejects a record that is not an object', async () => {
    const response = await ingestJson(api, 'usage', [42]);

    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json().errors, [{ index: 0, field: '', message: 'must be a JSON object' }]);
    assertNothingStored();
  });

  it('rejects an unknown organisation', async () => {
    const records = [
      sampleUsage({ organisation_id: organisationId }),
      sampleUsage({ organisation_id: 99 }),
      sampleUsage({ organisation_id: 99 }),
    ];

    const response = await ingestJson(api, 'usage', records);

    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.error_token, 'invalid_records');
    assert.deepEqual(body.errors.map((error: { index: number }) => error.index), [1, 2]);
    assert.equal(body.errors[0].field, 'organisation.id');
    assert.match(body.errors[0].message, /^organisation 99 does not exist/);
    assertNothingStored();
  });

  it('rejects a body over the limit with 413', async () => {
    const records = Array.from({ length: 10 }, () => sampleEvent({ organisation_id: organisationId }));
    assert.ok(JSON.stringify(records).length > 4096);

    const response = await ingestJson(api, 'events', records);

    assert.equal(response.statusCode, 413);
    assert.equal(response.json().error_token, 'body_too_large');
    assert.match(response.json().message, /4096 bytes/);
    assertNothingStored();
  });

  it('rejects an unsupported content type with 415', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/ingest/events',
      headers: { ...ADMIN, 'content-type': 'text/csv' },
      payload: 'id,timestamp\n1,2026-12-04T19:00:00Z\n',
    });

    assert.equal(response.statusCode, 415);
    assert.equal(response.json().error_token, 'unsupported_media_type');
    assert.match(response.json().message, /application\/x-ndjson/);
    assertNothingStored();
  });

  it('rejects a request without the admin token with 401', async () => {
    const records = [sampleEvent({ organisation_id: organisationId })];

    const missing = await ingestJson(api, 'events', records, {});
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.json().error_token, 'missing_bearer_token');

    const wrong = await ingestJson(api, 'events', records, { authorization: 'Bearer wrong-token' });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error_token, 'invalid_admin_token');
    assertNothingStored();
  });

  it('rejects an organisation auth token with 401', async () => {
    const { token } = issueApplicationToken(api.storage, organisationId, 'test');
    const auth = await api.app.inject({ method: 'POST', url: '/api/v1/authenticate', payload: { application_token: token } });

    const response = await ingestJson(api, 'events', [sampleEvent({ organisation_id: organisationId })], {
      authorization: `Bearer ${auth.json().auth_token}`,
    });

    assert.equal(response.statusCode, 401);
    assertNothingStored();
  });
});

describe('POST /api/v1/ingest without a configured admin token', () => {
  it('answers 503 naming the variable', async () => {
    const api = await startApi({ DATASTREAMER_ADMIN_TOKEN: '' });
    try {
      const organisationId = api.storage.createOrganisation('Acme IoT').id;

      const response = await ingestJson(api, 'events', [sampleEvent({ organisation_id: organisationId })], { authorization: 'Bearer ' });

      assert.equal(response.statusCode, 503);
      assert.equal(response.json().error_token, 'admin_token_not_configured');
      assert.match(response.json().message, /DATASTREAMER_ADMIN_TOKEN/);
      assert.equal(api.storage.newestSeq(organisationId, 'event'), 0);
    } finally {
      await api.app.close();
      api.storage.close();
    }
  });
});
