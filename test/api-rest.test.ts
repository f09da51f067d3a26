import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';

import { MASK } from '../src/api/data-stream-view.js';
import { buildApi } from '../src/api/server.js';
import { issueApplicationToken, resolveJwtSecret } from '../src/auth/index.js';
import { loadConfig } from '../src/config.js';
import type { DeliveryEvents } from '../src/delivery/events.js';
import type { RestApiDestination } from '../src/storage/index.js';
import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';

const SIGNING_SECRET = 'whsec-0123456789abcdef';
const ROLE_ARN = 'arn:aws:iam::222222222222:role/datastreamer-delivery';

type InjectResponse = Awaited<ReturnType<Awaited<ReturnType<typeof buildApi>>['inject']>>;

/** An API with in-memory storage, a stub delivery and one organisation, configured by `env`. */
class TestApi {
  private constructor(
    readonly app: Awaited<ReturnType<typeof buildApi>>,
    readonly storage: SqliteStorage,
    readonly changedStreams: number[],
    readonly organisationId: number,
    private readonly headers: Record<string, string>,
  ) {}

  static async start(env: Record<string, string>): Promise<TestApi> {
    const config = loadConfig({ DATASTREAMER_ADMIN_TOKEN: 'test-admin-token', DATASTREAMER_SETUP_CHECK_ON_CREATE: 'false', ...env });
    const storage = new SqliteStorage(':memory:');
    const changedStreams: number[] = [];
    const delivery: DeliveryEvents = {
      recordsAppended() {},
      streamChanged(streamId) {
        changedStreams.push(streamId);
      },
      retryNow() {},
    };
    const app = await buildApi({ config, storage, logger: pino({ level: 'silent' }), delivery, jwtSecret: resolveJwtSecret(config, storage) });

    const organisationId = storage.createOrganisation('Webhook Co').id;
    const { token } = issueApplicationToken(storage, organisationId, 'test');
    const auth = await app.inject({ method: 'POST', url: '/api/v1/authenticate', payload: { application_token: token } });
    return new TestApi(app, storage, changedStreams, organisationId, { authorization: `Bearer ${auth.json().auth_token}` });
  }

  request(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<InjectResponse> {
    return this.app.inject({ method, url, headers: this.headers, payload: body as object | undefined });
  }

  create(body: unknown): Promise<InjectResponse> {
    return this.request('POST', '/api/v2/data_stream', body);
  }

  patch(id: number, body: unknown): Promise<InjectResponse> {
    return this.request('PATCH', `/api/v2/data_stream/${id}`, body);
  }

  storedDestination(id: number): RestApiDestination {
    return this.storage.getDataStream(this.organisationId, id)!.destination as RestApiDestination;
  }

  streamCount(): number {
    return this.storage.listDataStreams(this.organisationId).length;
  }

  clear(): void {
    for (const stream of this.storage.listDataStreams(this.organisationId)) this.storage.deleteDataStream(this.organisationId, stream.id);
    this.changedStreams.length = 0;
  }

  async close(): Promise<void> {
    await this.app.close();
    this.storage.close();
  }
}

/** Starts a TCP server on 127.0.0.1 that only counts the connections it receives. */
async function startConnectionCounter(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function restBody(credentials: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { data_stream_type: { id: 1 }, destination: { connection_type: 'RestAPI', credentials }, ...extra };
}

function fieldsOf(response: InjectResponse): string[] {
  return (response.json().errors as { field: string }[]).map((error) => error.field);
}

function messageFor(response: InjectResponse, field: string): string {
  const errors = response.json().errors as { field: string; message: string }[];
  return errors.find((error) => error.field === field)?.message ?? '';
}

describe('RestAPI data streams', () => {
  let counter: Awaited<ReturnType<typeof startConnectionCounter>>;
  let local: TestApi;
  let strict: TestApi;
  let hookUrl: string;

  before(async () => {
    counter = await startConnectionCounter();
    hookUrl = `http://127.0.0.1:${counter.port}/hook`;
    local = await TestApi.start({ DATASTREAMER_REST_ALLOW_LOCAL: 'true' });
    strict = await TestApi.start({});
  });

  after(async () => {
    await local.close();
    await strict.close();
    await counter.close();
  });

  beforeEach(() => {
    local.clear();
    strict.clear();
  });

  describe('create, read, patch and delete', () => {
    it('creates a stream with every setting and masks secrets', async () => {
      const response = await local.create(
        restBody({ url: hookUrl, method: 'PUT', headers: ['X-Api-Key: key-123', 'X-Tenant: acme'], size: 500, signing_secret: SIGNING_SECRET }),
      );

      assert.equal(response.statusCode, 201, response.body);
      const view = response.json();
      assert.equal(response.headers.location, `/api/v2/data_stream/${view.id}`);
      assert.deepEqual(view.destination, {
        connection_type: 'RestAPI',
        format: 'json',
        credentials: { url: hookUrl, method: 'PUT', headers: [`X-Api-Key: ${MASK}`, `X-Tenant: ${MASK}`], size: 500, signing_secret: MASK },
      });
      assert.ok(!response.body.includes('key-123'), 'no header value in the response');
      assert.ok(!response.body.includes(SIGNING_SECRET), 'no signing secret in the response');

      assert.deepEqual(local.storedDestination(view.id), {
        connection_type: 'RestAPI',
        url: hookUrl,
        method: 'PUT',
        headers: ['X-Api-Key: key-123', 'X-Tenant: acme'],
        size: 500,
        signing_secret: SIGNING_SECRET,
      });
      assert.deepEqual(local.changedStreams, [view.id], 'the worker is started');
    });

    it('fills in defaults', async () => {
      const response = await local.create(restBody({ url: hookUrl }));

      assert.equal(response.statusCode, 201, response.body);
      const view = response.json();
      assert.equal(view.name, 'RestAPI stream');
      assert.deepEqual(view.status, { id: 1, description: 'Running' });
      assert.deepEqual(view.destination.credentials, { url: hookUrl, method: 'POST', headers: [], size: 3000, signing_secret: null });
    });

    it('masks secrets in GET and the list', async () => {
      const created = (await local.create(restBody({ url: hookUrl, headers: ['Authorization: Bearer abc-secret'], signing_secret: SIGNING_SECRET }))).json();

      const read = await local.request('GET', `/api/v2/data_stream/${created.id}`);
      const list = await local.request('GET', '/api/v2/data_stream');

      assert.equal(read.statusCode, 200);
      assert.deepEqual(read.json().destination.credentials.headers, [`Authorization: ${MASK}`]);
      assert.equal(read.json().destination.credentials.signing_secret, MASK);
      assert.equal(list.json().length, 1);
      assert.deepEqual(list.json()[0].destination, read.json().destination);
      for (const response of [read, list]) {
        assert.ok(!response.body.includes('abc-secret'), 'no header value');
        assert.ok(!response.body.includes(SIGNING_SECRET), 'no signing secret');
      }
    });

    it('accepts filters on event streams', async () => {
      const filters = [{ field: 'event_type_id', value: [1, 3] }];

      const response = await local.create(restBody({ url: hookUrl }, { data_stream_type: { id: 2 }, filters }));

      assert.equal(response.statusCode, 201, response.body);
      assert.deepEqual(response.json().filters, filters);
    });

    it('rejects filters on usage streams', async () => {
      const response = await local.create(restBody({ url: hookUrl }, { filters: [{ field: 'event_type_id', value: [1] }] }));

      assert.equal(response.statusCode, 422);
      assert.deepEqual(fieldsOf(response), ['filters']);
      assert.equal(local.streamCount(), 0);
    });

    it('patches url, method, headers, size and signing secret', async () => {
      const created = (await local.create(restBody({ url: hookUrl, headers: ['X-Api-Key: key-123'], signing_secret: SIGNING_SECRET }))).json();
      const newUrl = `http://127.0.0.1:${counter.port}/other`;
      const newSecret = 'whsec-fedcba9876543210';
      local.changedStreams.length = 0;

      const response = await local.patch(created.id, {
        destination: { credentials: { url: newUrl, method: 'PATCH', headers: ['X-Other: other-value'], size: 1, signing_secret: newSecret } },
      });

      assert.equal(response.statusCode, 202, response.body);
      assert.deepEqual(response.json().destination.credentials, {
        url: newUrl,
        method: 'PATCH',
        headers: [`X-Other: ${MASK}`],
        size: 1,
        signing_secret: MASK,
      });
      assert.deepEqual(local.storedDestination(created.id), {
        connection_type: 'RestAPI',
        url: newUrl,
        method: 'PATCH',
        headers: ['X-Other: other-value'],
        size: 1,
        signing_secret: newSecret,
      });
      assert.deepEqual(local.changedStreams, [created.id], 'the worker is reloaded');
    });

    it('keeps stored secrets when a PATCH sends the read-back destination', async () => {
      const created = (await local.create(restBody({ url: hookUrl, headers: ['X-Api-Key: key-123', 'X-Tenant: acme'], signing_secret: SIGNING_SECRET }))).json();
      const stored = local.storedDestination(created.id);
      const readBack = (await local.request('GET', `/api/v2/data_stream/${created.id}`)).json();

      const response = await local.patch(created.id, { destination: readBack.destination });

      assert.equal(response.statusCode, 202, response.body);
      assert.deepEqual(local.storedDestination(created.id), stored);
    });

    it('keeps a masked header and replaces the others', async () => {
      const created = (await local.create(restBody({ url: hookUrl, headers: ['X-Api-Key: key-123', 'X-Tenant: acme'] }))).json();

      const response = await local.patch(created.id, { destination: { credentials: { headers: [`x-api-key: ${MASK}`, 'X-Region: eu'] } } });

      assert.equal(response.statusCode, 202, response.body);
      assert.deepEqual(local.storedDestination(created.id).headers, ['X-Api-Key: key-123', 'X-Region: eu']);
    });

    it('keeps the signing secret when the mask is sent back', async () => {
      const created = (await local.create(restBody({ url: hookUrl, signing_secret: SIGNING_SECRET }))).json();

      const response = await local.patch(created.id, { destination: { credentials: { signing_secret: MASK, size: 10 } } });

      assert.equal(response.statusCode, 202, response.body);
      assert.equal(local.storedDestination(created.id).signing_secret, SIGNING_SECRET);
      assert.equal(local.storedDestination(created.id).size, 10);
    });

    it('removes the signing secret with null', async () => {
      const created = (await local.create(restBody({ url: hookUrl, signing_secret: SIGNING_SECRET }))).json();

      const response = await local.patch(created.id, { destination: { credentials: { signing_secret: null } } });

      assert.equal(response.statusCode, 202, response.body);
      assert.equal(response.json().destination.credentials.signing_secret, null);
      assert.equal(local.storedDestination(created.id).signing_secret, null);
    });

    it('deletes a stream', async () => {
      const created = (await local.create(restBody({ url: hookUrl }))).json();

      const response = await local.request('DELETE', `/api/v2/data_stream/${created.id}`);

      assert.equal(response.statusCode, 202);
      assert.equal((await local.request('GET', `/api/v2/data_stream/${created.id}`)).statusCode, 404);
      assert.equal(local.streamCount(), 0);
    });
  });

  describe('invalid patches', () => {
    const cases: { name: string; credentials?: Record<string, unknown>; destination?: Record<string, unknown>; field: string; message: RegExp }[] = [
      { name: 'masked header the stream lacks', credentials: { headers: [`X-Missing: ${MASK}`] }, field: 'destination.credentials.headers.0', message: /no header "X-Missing"/ },
      { name: 'short signing secret', credentials: { signing_secret: 'short' }, field: 'destination.credentials.signing_secret', message: /16 to 256 characters long, not 5/ },
      { name: 'reserved header', credentials: { headers: ['Content-Type: text/plain'] }, field: 'destination.credentials.headers.0', message: /"Content-Type"/ },
      { name: 'size 0', credentials: { size: 0 }, field: 'destination.credentials.size', message: /from 1 to 10000/ },
      { name: 'method GET', credentials: { method: 'GET' }, field: 'destination.credentials.method', message: /"POST", "PUT", "PATCH"/ },
      { name: 'S3 setting', credentials: { flush_size: 100 }, field: 'destination.credentials.flush_size', message: /applies only to S3 streams/ },
      { name: 'csv format', destination: { format: 'csv' }, field: 'destination.format', message: /must be "json" for RestAPI streams/ },
      { name: 'other connection type', destination: { connection_type: 'S3' }, field: 'destination.connection_type', message: /cannot be changed/ },
    ];

    for (const { name, credentials, destination, field, message } of cases) {
      it(`rejects ${name} with 422`, async () => {
        const created = (await local.create(restBody({ url: hookUrl, headers: ['X-Api-Key: key-123'] }))).json();
        const stored = local.storedDestination(created.id);

        const response = await local.patch(created.id, { destination: destination ?? { credentials } });

        assert.equal(response.statusCode, 422, response.body);
        assert.deepEqual(fieldsOf(response), [field]);
        assert.match(messageFor(response, field), message);
        assert.deepEqual(local.storedDestination(created.id), stored, 'the stream is unchanged');
      });
    }

    it('rejects the mask as a new signing secret', async () => {
      const created = (await local.create(restBody({ url: hookUrl }))).json();

      const response = await local.patch(created.id, { destination: { credentials: { signing_secret: MASK } } });

      assert.equal(response.statusCode, 422);
      assert.match(messageFor(response, 'destination.credentials.signing_secret'), /no signing secret to keep/);
      assert.equal(local.storedDestination(created.id).signing_secret, null);
    });

    it('rejects RestAPI settings on S3 streams', async () => {
      const s3 = {
        data_stream_type: { id: 1 },
        destination: { connection_type: 'S3', credentials: { region: 'eu-west-1', bucket_name: 'customer-bucket', role_arn: ROLE_ARN } },
      };
      const created = (await local.create(s3)).json();

      const response = await local.patch(created.id, { destination: { credentials: { url: hookUrl, size: 5 } } });

      assert.equal(response.statusCode, 422, response.body);
      assert.deepEqual(fieldsOf(response), ['destination.credentials.url', 'destination.credentials.size']);
      assert.match(messageFor(response, 'destination.credentials.url'), /applies only to RestAPI streams/);
    });

    it('rejects a blocked url and keeps the stored one', async () => {
      // The strict API may not store a local URL, so the stream is written directly.
      const stream = strict.storage.createDataStream({
        organisation_id: strict.organisationId,
        name: 'webhook',
        data_stream_type: 1,
        status: 1,
        destination: { connection_type: 'RestAPI', url: 'https://hooks.example.com/in', method: 'POST', headers: [], size: 3000, signing_secret: null },
        filters: [],
        stream_historic_data: false,
      });

      const response = await strict.patch(stream.id, { destination: { credentials: { url: `https://127.0.0.1:${counter.port}/` } } });

      assert.equal(response.statusCode, 422, response.body);
      assert.deepEqual(fieldsOf(response), ['destination.credentials.url']);
      assert.match(messageFor(response, 'destination.credentials.url'), /127\.0\.0\.1 is in the loopback range/);
      assert.equal(strict.storedDestination(stream.id).url, 'https://hooks.example.com/in');
      assert.equal(counter.connections(), 0, 'no connection was attempted');
    });
  });

  describe('invalid create bodies', () => {
    const manyHeaders = Array.from({ length: 51 }, (_, index) => `X-Header-${index}: value`);

    const cases: { name: string; credentials: Record<string, unknown>; format?: string; field: string; message?: RegExp }[] = [
      { name: 'missing url', credentials: { url: undefined }, field: 'destination.credentials.url', message: /is required/ },
      { name: 'empty url', credentials: { url: '' }, field: 'destination.credentials.url' },
      { name: 'url over 2048 characters', credentials: { url: `https://hooks.example.com/${'a'.repeat(2048)}` }, field: 'destination.credentials.url', message: /1 to 2048 characters long/ },
      { name: 'text that is not a URL', credentials: { url: 'not a url' }, field: 'destination.credentials.url', message: /is not a valid URL/ },
      { name: 'ftp URL', credentials: { url: 'ftp://files.example.com/in' }, field: 'destination.credentials.url', message: /scheme "ftp" is not allowed/ },
      { name: 'URL with credentials', credentials: { url: `http://user:pass@127.0.0.1:1/hook` }, field: 'destination.credentials.url', message: /user name or password/ },
      { name: 'method GET', credentials: { method: 'GET' }, field: 'destination.credentials.method', message: /"POST", "PUT", "PATCH"/ },
      { name: 'size 0', credentials: { size: 0 }, field: 'destination.credentials.size', message: /from 1 to 10000, not 0/ },
      { name: 'size 10001', credentials: { size: 10_001 }, field: 'destination.credentials.size', message: /from 1 to 10000, not 10001/ },
      { name: 'fractional size', credentials: { size: 2.5 }, field: 'destination.credentials.size', message: /an integer/ },
      { name: 'signing secret of 15 characters', credentials: { signing_secret: 's'.repeat(15) }, field: 'destination.credentials.signing_secret', message: /16 to 256/ },
      { name: 'signing secret of 257 characters', credentials: { signing_secret: 's'.repeat(257) }, field: 'destination.credentials.signing_secret', message: /16 to 256/ },
      { name: '51 headers', credentials: { headers: manyHeaders }, field: 'destination.credentials.headers', message: /at most 50 items, not 51/ },
      { name: 'header without colon', credentials: { headers: ['X-Api-Key key-123'] }, field: 'destination.credentials.headers.0', message: /has no ":"/ },
      { name: 'header without name', credentials: { headers: [': key-123'] }, field: 'destination.credentials.headers.0', message: /no header name/ },
      { name: 'header name with a space', credentials: { headers: ['X-Tenant: acme', 'X Api: key-123'] }, field: 'destination.credentials.headers.1', message: /"X Api"/ },
      { name: 'header value with CR LF', credentials: { headers: ['X-Tenant: acme', 'X-Api-Key: key-123\r\nX-Injected: 1'] }, field: 'destination.credentials.headers.1', message: /line break/ },
      { name: 'header value with LF', credentials: { headers: ['X-Api-Key: key\n-123'] }, field: 'destination.credentials.headers.0', message: /line break/ },
      { name: 'duplicate header', credentials: { headers: ['X-Tenant: acme', 'x-tenant: globex'] }, field: 'destination.credentials.headers.1', message: /repeats header "x-tenant" of item 0/ },
      { name: 'header that is not a string', credentials: { headers: [42] }, field: 'destination.credentials.headers.0', message: /a string/ },
      { name: 'unknown credential', credentials: { bucket_name: 'customer-bucket' }, field: 'destination.credentials.bucket_name', message: /not a known property/ },
      { name: 'csv format', credentials: {}, format: 'csv', field: 'destination.format', message: /"json"/ },
    ];

    for (const header of ['Host', 'Content-Length', 'content-type', 'Transfer-Encoding', 'Connection', 'Keep-Alive', 'Upgrade', 'User-Agent', 'X-Datastreamer-Signature', 'x-datastreamer-id']) {
      cases.push({
        name: `reserved header ${header}`,
        credentials: { headers: ['X-Tenant: acme', `${header}: value`] },
        field: 'destination.credentials.headers.1',
        message: new RegExp(`"${header}"`),
      });
    }

    for (const { name, credentials, format, field, message } of cases) {
      it(`rejects ${name} with 422`, async () => {
        // JSON drops a url of undefined, which makes the url missing.
        const body = restBody({ url: hookUrl, ...credentials });
        if (format !== undefined) Object.assign(body.destination, { format });

        const response = await local.create(body);

        assert.equal(response.statusCode, 422, response.body);
        assert.equal(response.json().error_token, 'validation_failed');
        assert.deepEqual(fieldsOf(response), [field]);
        if (message !== undefined) assert.match(messageFor(response, field), message);
        assert.ok(!response.body.includes('key-123'), 'the message does not repeat a header value');
        assert.equal(local.streamCount(), 0, 'nothing stored');
      });
    }
  });

  describe('address rules without DATASTREAMER_REST_ALLOW_LOCAL', () => {
    // Forms of 127.0.0.1 carry the port of the connection counter, so a connection attempt would be counted.
    const loopbackForms = (port: number): { url: string; message: RegExp }[] => [
      { url: `https://127.0.0.1:${port}/hook`, message: /Address 127\.0\.0\.1 is in the loopback range/ },
      { url: `https://2130706433:${port}/hook`, message: /Address 127\.0\.0\.1 is in the loopback range/ },
      { url: `https://0177.0.0.1:${port}/hook`, message: /Address 127\.0\.0\.1 is in the loopback range/ },
      { url: `https://0x7f.1:${port}/hook`, message: /Address 127\.0\.0\.1 is in the loopback range/ },
      { url: `https://127.1:${port}/hook`, message: /Address 127\.0\.0\.1 is in the loopback range/ },
      { url: `https://[::ffff:127.0.0.1]:${port}/hook`, message: /Address ::ffff:7f00:1 is in the loopback range/ },
      { url: `https://[::1]:${port}/hook`, message: /Address ::1 is in the loopback range/ },
      { url: `https://localhost:${port}/hook`, message: /Address localhost \((127\.0\.0\.1|::1)\) is in the loopback range/ },
      { url: `http://127.0.0.1:${port}/hook`, message: /scheme "http" is not allowed; use https/ },
    ];

    const otherForms: { url: string; message: RegExp }[] = [
      { url: 'https://[fe80::1]/hook', message: /Address fe80::1 is in the linkLocal range/ },
      { url: 'https://[fc00::1]/hook', message: /Address fc00::1 is in the uniqueLocal range/ },
      { url: 'https://224.0.0.1/hook', message: /Address 224\.0\.0\.1 is in the multicast range/ },
      { url: 'https://0.0.0.0/hook', message: /Address 0\.0\.0\.0 is in the unspecified range/ },
      { url: 'https://10.0.0.1/hook', message: /Address 10\.0\.0\.1 is in the private range/ },
      { url: 'https://172.16.0.1/hook', message: /Address 172\.16\.0\.1 is in the private range/ },
      { url: 'https://192.168.1.1/hook', message: /Address 192\.168\.1\.1 is in the private range/ },
      { url: 'https://169.254.169.254/latest/meta-data/', message: /Address 169\.254\.169\.254 is in the linkLocal range/ },
      { url: 'https://0xa9fea9fe/latest/meta-data/', message: /Address 169\.254\.169\.254 is in the linkLocal range/ },
    ];

    it('rejects every local address form with 422 and connects to none', async () => {
      for (const { url, message } of [...loopbackForms(counter.port), ...otherForms]) {
        const response = await strict.create(restBody({ url }));

        assert.equal(response.statusCode, 422, `${url}: ${response.body}`);
        assert.deepEqual(fieldsOf(response), ['destination.credentials.url'], url);
        assert.match(messageFor(response, 'destination.credentials.url'), message, url);
      }

      assert.equal(strict.streamCount(), 0, 'no stream was stored');
      assert.deepEqual(strict.changedStreams, [], 'no worker was started');
      assert.equal(counter.connections(), 0, 'no connection was attempted');
    });

    it('rejects local addresses in v1 api_parameter', async () => {
      for (const { url, message } of [...loopbackForms(counter.port), ...otherForms]) {
        const response = await strict.request('POST', '/api/v1/data_stream', {
          data_stream_type: { id: 1 },
          api_type: { id: 6 },
          api_username: '',
          api_parameter: url,
        });

        assert.equal(response.statusCode, 422, `${url}: ${response.body}`);
        assert.deepEqual(fieldsOf(response), ['api_parameter'], url);
        assert.match(messageFor(response, 'api_parameter'), message, url);
      }

      assert.equal(strict.streamCount(), 0, 'no stream was stored');
      assert.equal(counter.connections(), 0, 'no connection was attempted');
    });
  });

  describe('address rules with DATASTREAMER_REST_ALLOW_LOCAL', () => {
    it('accepts http to 127.0.0.1', async () => {
      const response = await local.create(restBody({ url: hookUrl }));

      assert.equal(response.statusCode, 201, response.body);
      assert.equal(response.json().destination.credentials.url, hookUrl);
      assert.equal(local.streamCount(), 1);
    });
  });

  describe('v1', () => {
    function v1Create(api: TestApi, body: Record<string, unknown>) {
      return api.request('POST', '/api/v1/data_stream', { data_stream_type: { id: 2 }, api_username: '', api_parameter: hookUrl, ...body });
    }

    it('maps api_type 1 to RestAPI with size 1 and back', async () => {
      const created = await v1Create(local, { api_type: { id: 1 } });

      assert.equal(created.statusCode, 201, created.body);
      const item = created.json();
      assert.deepEqual(item.api_type, { id: 1, description: 'REST API' });
      assert.equal(item.api_parameter, hookUrl);
      assert.equal(item.api_username, null);

      const view = (await local.request('GET', `/api/v2/data_stream/${item.id}`)).json();
      assert.deepEqual(view.destination, {
        connection_type: 'RestAPI',
        format: 'json',
        credentials: { url: hookUrl, method: 'POST', headers: [], size: 1, signing_secret: null },
      });

      const listed = (await local.request('GET', '/api/v1/data_stream')).json();
      assert.deepEqual(listed, [item]);
    });

    it('maps api_type 6 with Basic authentication to a RestAPI batch stream and back', async () => {
      const created = await v1Create(local, { api_type: { id: 6 }, api_username: 'iot-user', api_password: 'hunter2-secret' });

      assert.equal(created.statusCode, 201, created.body);
      const item = created.json();
      assert.deepEqual(item.api_type, { id: 6, description: 'REST API Bulk' });
      assert.equal(item.api_username, 'iot-user');
      assert.ok(!created.body.includes('hunter2-secret'), 'the password is not returned');

      const expectedHeader = `Authorization: Basic ${Buffer.from('iot-user:hunter2-secret').toString('base64')}`;
      assert.deepEqual(local.storedDestination(item.id).headers, [expectedHeader]);
      assert.equal(local.storedDestination(item.id).size, 3000);

      const view = (await local.request('GET', `/api/v2/data_stream/${item.id}`)).json();
      assert.deepEqual(view.destination.credentials.headers, [`Authorization: ${MASK}`]);
      assert.equal(view.destination.credentials.size, 3000);

      const shown = (await local.request('GET', `/api/v1/data_stream/${item.id}`)).json();
      assert.equal(shown.api_username, 'iot-user');
    });

    it('sends a user name without password with an empty password', async () => {
      const created = await v1Create(local, { api_type: { id: 1 }, api_username: 'api-key-123' });

      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual(local.storedDestination(created.json().id).headers, [`Authorization: Basic ${Buffer.from('api-key-123:').toString('base64')}`]);
    });

    it('shows v2 streams as api_type 1 or 6', async () => {
      const single = (await local.create(restBody({ url: hookUrl, size: 1 }))).json();
      const batch = (await local.create(restBody({ url: hookUrl, size: 250 }))).json();

      const list = (await local.request('GET', '/api/v1/data_stream')).json() as { id: number; api_type: unknown; api_parameter: string }[];
      const items = new Map(list.map((item) => [item.id, item]));

      assert.deepEqual(items.get(single.id)?.api_type, { id: 1, description: 'REST API' });
      assert.deepEqual(items.get(batch.id)?.api_type, { id: 6, description: 'REST API Bulk' });
      assert.equal(items.get(batch.id)?.api_parameter, hookUrl);
    });

    it('shows endpoint failures as last_result_code', async () => {
      const item = (await v1Create(local, { api_type: { id: 6 } })).json();
      const at = '2025-03-01T10:00:00.000Z';
      const codes: [string, number][] = [
        ['endpoint_http_503', 503],
        ['endpoint_http_404', 404],
        ['endpoint_timeout', 504],
        ['endpoint_unreachable', 502],
        ['endpoint_address_blocked', 400],
      ];

      for (const [code, resultCode] of codes) {
        local.storage.setDeliveryState(item.id, { status: 3, last_error: { code, message: 'failed', at }, failing_since: at });
        const shown = (await local.request('GET', `/api/v1/data_stream/${item.id}`)).json();
        assert.equal(shown.last_result_code, resultCode, code);
      }
    });

    const invalid: { name: string; body: Record<string, unknown>; field: string; message: RegExp }[] = [
      { name: 'password without user name', body: { api_type: { id: 1 }, api_password: 'secret' }, field: 'api_password', message: /requires api_username/ },
      { name: 'user name with a colon', body: { api_type: { id: 6 }, api_username: 'iot:user' }, field: 'api_username', message: /contains ":"/ },
      {
        name: 'password on an S3 stream',
        body: { api_type: { id: 8 }, api_username: ROLE_ARN, api_parameter: 'eu-west-1/customer-bucket', api_password: 'secret' },
        field: 'api_password',
        message: /applies only to REST API streams/,
      },
      { name: 'text that is not a URL', body: { api_type: { id: 1 }, api_parameter: 'hooks' }, field: 'api_parameter', message: /is not a valid URL/ },
    ];

    for (const { name, body, field, message } of invalid) {
      it(`rejects ${name} with 422`, async () => {
        const response = await v1Create(local, body);

        assert.equal(response.statusCode, 422, response.body);
        assert.deepEqual(fieldsOf(response), [field]);
        assert.match(messageFor(response, field), message);
        assert.equal(local.streamCount(), 0);
      });
    }
  });

  describe('OpenAPI', () => {
    // The OpenAPI document writes each branch's `const` connection_type as a one-value enum.
    type Branch = { properties: Record<string, { enum?: string[]; required?: string[]; properties?: Record<string, unknown> }> };
    const connectionTypeOf = (branch: Branch) => branch.properties.connection_type.enum?.[0];

    it('describes RestAPI in the create, patch and view schemas', async () => {
      const spec = (await local.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const collection = spec.paths['/api/v2/data_stream'];
      const single = spec.paths['/api/v2/data_stream/{id}'];

      const createBranches: Branch[] = collection.post.requestBody.content['application/json'].schema.properties.destination.oneOf;
      const restBranch = createBranches.find((branch) => connectionTypeOf(branch) === 'RestAPI');
      assert.ok(restBranch, 'create has a RestAPI branch');
      assert.deepEqual(restBranch.properties.credentials.required, ['url']);
      assert.deepEqual(Object.keys(restBranch.properties.credentials.properties ?? {}), ['url', 'method', 'headers', 'size', 'signing_secret']);

      const patchCredentials = single.patch.requestBody.content['application/json'].schema.properties.destination.properties.credentials.properties;
      for (const name of ['url', 'method', 'headers', 'size', 'signing_secret']) assert.ok(patchCredentials[name], `patch has ${name}`);

      const viewBranches: Branch[] = single.get.responses['200'].content['application/json'].schema.properties.destination.oneOf;
      assert.deepEqual(viewBranches.map(connectionTypeOf), ['S3', 'AwsKinesis', 'RestAPI']);
    });
  });
});
