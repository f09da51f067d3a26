import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';

import { buildApi } from '../src/api/server.js';
import { issueApplicationToken, resolveJwtSecret } from '../src/auth/index.js';
import { loadConfig } from '../src/config.js';
import { NO_DELIVERY } from '../src/delivery/events.js';
import { Metrics } from '../src/metrics.js';
import type { Storage } from '../src/storage/index.js';
import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import { sampleEvent } from './fixtures.js';

const ADMIN_TOKEN = 'test-admin-token';

/** Returns a storage whose named method throws, to stand for a broken database. */
function failing(storage: Storage, method: keyof Storage): Storage {
  return new Proxy(storage, {
    get(target, property, receiver) {
      if (property === method) {
        return () => {
          throw new Error('SQLITE_IOERR: disk I/O error at /var/lib/datastreamer/data.db');
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('service routes and error handling', () => {
  const logLines: string[] = [];
  let storage: SqliteStorage;
  let app: Awaited<ReturnType<typeof buildApi>>;
  let applicationToken: string;
  let authToken: string;

  before(async () => {
    const config = loadConfig({ DATASTREAMER_ADMIN_TOKEN: ADMIN_TOKEN, DATASTREAMER_SETUP_CHECK_ON_CREATE: 'false' });
    storage = new SqliteStorage(':memory:');
    const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });
    const brokenStorage = failing(storage, 'listDataStreams');
    app = await buildApi({ config, storage: brokenStorage, logger, delivery: NO_DELIVERY, metrics: new Metrics(), jwtSecret: resolveJwtSecret(config, storage) });

    const organisationId = storage.createOrganisation('Acme IoT').id;
    applicationToken = issueApplicationToken(storage, organisationId, 'test').token;
    const auth = await app.inject({ method: 'POST', url: '/api/v1/authenticate', payload: { application_token: applicationToken } });
    authToken = auth.json().auth_token;
  });

  after(async () => {
    await app.close();
    storage.close();
  });

  it('answers /healthz and /readyz', async () => {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });

    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ok' });
  });

  it('answers 404 for an unknown route', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v2/nothing?x=1' });

    assert.equal(response.statusCode, 404);
    const body = response.json();
    assert.equal(body.error_token, 'route_not_found');
    assert.equal(typeof body.error_code, 'number');
    assert.equal(body.message, 'There is no call GET /api/v2/nothing. The API reference at /docs lists the calls.');
  });

  it('hides unexpected errors behind 500', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v2/data_stream', headers: { authorization: `Bearer ${authToken}` } });

    assert.equal(response.statusCode, 500);
    const requestId = response.headers['x-request-id'] as string;
    const body = response.json();
    assert.equal(body.error_token, 'internal_error');
    assert.ok(body.message.includes(requestId), 'message names the request id');
    assert.ok(!response.body.includes('SQLITE_IOERR'), 'no internal error text for the client');
    assert.ok(!response.body.includes('.ts:'), 'no stack for the client');

    const logged = logLines.map((line) => JSON.parse(line)).find((entry) => entry.err?.message?.includes('SQLITE_IOERR'));
    assert.ok(logged, 'the error is logged');
    assert.equal(logged.reqId, requestId);
  });

  it('sets and reuses request ids', async () => {
    const generated = await app.inject({ method: 'GET', url: '/healthz' });
    assert.match(generated.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);

    const reused = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'proxy-1234' } });
    assert.equal(reused.headers['x-request-id'], 'proxy-1234');

    const replaced = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id\twith spaces' } });
    assert.notEqual(replaced.headers['x-request-id'], 'bad id\twith spaces');
  });

  it('rejects a __proto__ key in a JSON body', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/authenticate',
      headers: { 'content-type': 'application/json' },
      payload: '{"__proto__": {"admin": true}, "application_token": "dsa_x"}',
    });

    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error_token, 'malformed_json');
    assert.match(response.json().message, /__proto__/);
  });

  it('counts ingested records in /metrics', async () => {
    const organisationId = storage.createOrganisation('Metrics Org').id;
    const records = [sampleEvent({ organisation_id: organisationId }), sampleEvent({ organisation_id: organisationId })];
    const ingest = () =>
      app.inject({ method: 'POST', url: '/api/v1/ingest/events', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: records });
    assert.equal((await ingest()).statusCode, 200);
    assert.equal((await ingest()).statusCode, 200);

    const response = await app.inject({ method: 'GET', url: '/metrics' });

    assert.equal(response.statusCode, 200);
    assert.match(response.body, /datastreamer_records_ingested_total\{kind="event"\} 2/);
    assert.match(response.body, /datastreamer_records_duplicate_total\{kind="event"\} 2/);
  });

  it('serves the OpenAPI description', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });

    assert.equal(response.statusCode, 200);
    const spec = response.json();
    assert.match(spec.openapi, /^3\./);
    for (const path of ['/api/v1/authenticate', '/api/v1/organisation/my', '/api/v1/ingest/events', '/api/v1/ingest/usage', '/api/v2/data_stream', '/api/v2/data_stream/{id}']) {
      assert.ok(spec.paths[path], `documents ${path}`);
    }
    assert.equal(spec.components.securitySchemes.authToken.scheme, 'bearer');
    assert.equal(spec.components.securitySchemes.adminToken.scheme, 'bearer');
    assert.deepEqual(spec.paths['/api/v2/data_stream'].post.security, [{ authToken: [] }]);
    assert.deepEqual(spec.paths['/api/v1/ingest/usage'].post.security, [{ adminToken: [] }]);
    assert.ok(spec.components.schemas.ApiError, 'error body is a shared schema');
    assert.deepEqual(Object.keys(spec.paths['/api/v1/ingest/events'].post.requestBody.content), ['application/json', 'application/x-ndjson']);
  });

  it('serves the API reference page at /docs', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs' });

    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /text\/html/);
  });

  it('logs neither tokens nor request bodies', () => {
    const log = logLines.join('\n');

    assert.ok(logLines.length > 0, 'requests were logged');
    assert.ok(!log.includes(applicationToken), 'no application token');
    assert.ok(!log.includes(authToken), 'no auth token');
    assert.ok(!log.includes(ADMIN_TOKEN), 'no admin token');
    assert.ok(!log.includes('Create PDP Context'), 'no record content');
  });
});

describe('/readyz with a failing storage', () => {
  it('answers 503 without the database error', async () => {
    const config = loadConfig({ DATASTREAMER_ADMIN_TOKEN: ADMIN_TOKEN, DATASTREAMER_SETUP_CHECK_ON_CREATE: 'false' });
    const storage = new SqliteStorage(':memory:');
    const app = await buildApi({
      config,
      storage: failing(storage, 'getOrganisation'),
      logger: pino({ level: 'silent' }),
      delivery: NO_DELIVERY,
      jwtSecret: resolveJwtSecret(config, storage),
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });

      assert.equal(response.statusCode, 503);
      assert.equal(response.json().error_token, 'storage_unavailable');
      assert.ok(!response.body.includes('SQLITE_IOERR'));
    } finally {
      await app.close();
      storage.close();
    }
  });
});
