import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { StreamStatus } from '../src/storage/index.js';
import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import type { FastifyInstance } from 'fastify';
import { startStreamsApi, type TestOrganisation } from './support/api-app.js';

const ROLE_ARN = 'arn:aws:iam::222222222222:role/datastreamer-delivery';

const V1_S3 = {
  stream_historic_data: 0,
  data_stream_type: { id: 1 },
  api_type: { id: 8 },
  api_username: ROLE_ARN,
  api_parameter: 'eu-west-1/customer-bucket',
};

const V1_KINESIS = {
  stream_historic_data: 0,
  data_stream_type: { id: 2 },
  api_type: { id: 4 },
  api_username: ROLE_ARN,
  api_parameter: 'us-east-1/customer-stream',
};

const STREAM_TYPES: Record<number, string> = { 1: 'Usage', 2: 'Events', 3: 'Usage & Events' };

describe('/api/v1/data_stream', () => {
  let storage: SqliteStorage;
  let app: FastifyInstance;
  let changedStreams: number[];
  let organisations: Record<'a' | 'b', TestOrganisation>;

  before(async () => {
    ({ app, storage, changedStreams, organisations } = await startStreamsApi());
  });

  after(async () => {
    await app.close();
    storage.close();
  });

  beforeEach(() => {
    for (const key of ['a', 'b'] as const) {
      const organisationId = organisations[key].id;
      for (const stream of storage.listDataStreams(organisationId)) storage.deleteDataStream(organisationId, stream.id);
    }
    changedStreams.length = 0;
  });

  function request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, organisation: 'a' | 'b' = 'a', body?: unknown) {
    return app.inject({ method, url, headers: organisations[organisation].headers, payload: body as object | undefined });
  }

  function create(body: unknown, organisation: 'a' | 'b' = 'a') {
    return request('POST', '/api/v1/data_stream', organisation, body);
  }

  async function createOk(body: unknown): Promise<{ id: number } & Record<string, unknown>> {
    const response = await create(body);
    assert.equal(response.statusCode, 201, response.body);
    return response.json();
  }

  function fieldsOf(response: { json(): { errors?: { field: string }[] } }): string[] {
    return (response.json().errors ?? []).map((error) => error.field);
  }

  function messageFor(response: { json(): { errors?: { field: string; message: string }[] } }, field: string): string {
    return response.json().errors?.find((error) => error.field === field)?.message ?? '';
  }

  describe('create and read back', () => {
    const destinations = [
      { apiType: 8, description: 'AWS S3', parameter: 'eu-west-1/customer-bucket' },
      { apiType: 4, description: 'AWS Kinesis', parameter: 'us-east-1/customer-stream' },
    ];

    for (const destination of destinations) {
      for (const streamType of [1, 2, 3]) {
        for (const historic of [0, 1]) {
          it(`round trips api_type ${destination.apiType}, type ${streamType}, historic ${historic}`, async () => {
            const body = {
              stream_historic_data: historic,
              data_stream_type: { id: streamType },
              api_type: { id: destination.apiType },
              api_username: ROLE_ARN,
              api_parameter: destination.parameter,
            };

            const response = await create(body);

            assert.equal(response.statusCode, 201, response.body);
            const item = response.json();
            assert.equal(response.headers.location, `/api/v1/data_stream/${item.id}`);
            assert.deepEqual(item, {
              id: item.id,
              name: destination.apiType === 8 ? 'S3 stream' : 'AwsKinesis stream',
              stream_historic_data: historic,
              data_stream_type: { id: streamType, description: STREAM_TYPES[streamType] },
              api_type: { id: destination.apiType, description: destination.description },
              api_username: ROLE_ARN,
              api_parameter: destination.parameter,
              status: { id: 1, description: 'Running' },
              active: true,
              running: true,
              last_result_code: 200,
              last_error: null,
              last_dispatched_timestamp: null,
              created: storage.getDataStreamById(item.id)!.created,
            });
            assert.deepEqual(changedStreams, [item.id]);

            const list = await request('GET', '/api/v1/data_stream');
            assert.equal(list.statusCode, 200);
            assert.deepEqual(list.json(), [item]);

            const shown = await request('GET', response.headers.location as string);
            assert.equal(shown.statusCode, 200);
            assert.deepEqual(shown.json(), item);

            const v2 = (await request('GET', `/api/v2/data_stream/${item.id}`)).json();
            assert.equal(v2.data_stream_type.id, streamType);
            assert.equal(v2.stream_historic_data, historic === 1);
            assert.equal(v2.destination.connection_type, destination.apiType === 8 ? 'S3' : 'AwsKinesis');
          });
        }
      }
    }

    it('gives S3 streams the v2 defaults', async () => {
      const item = await createOk(V1_S3);

      const v2 = (await request('GET', `/api/v2/data_stream/${item.id}`)).json();

      assert.deepEqual(v2.destination, {
        connection_type: 'S3',
        format: 'csv',
        credentials: {
          region: 'eu-west-1',
          bucket_name: 'customer-bucket',
          role_arn: ROLE_ARN,
          prefix: '',
          flush_size: 10000,
          rotate_interval: 10000,
          compression: 'none',
          server_side_encryption: null,
          kms_key_id: null,
        },
      });
      assert.deepEqual(v2.filters, []);
      assert.equal(v2.stream_historic_data, false);
      assert.deepEqual(v2.status, { id: 1, description: 'Running' });
    });

    it('stores a Kinesis stream readable through v2', async () => {
      const item = await createOk({ ...V1_KINESIS, data_stream_type: { id: 3 }, stream_historic_data: 1 });

      const v2 = (await request('GET', `/api/v2/data_stream/${item.id}`)).json();

      assert.deepEqual(v2.destination, {
        connection_type: 'AwsKinesis',
        format: 'json',
        credentials: { region: 'us-east-1', stream_name: 'customer-stream', role_arn: ROLE_ARN },
      });
      assert.deepEqual(v2.data_stream_type, { id: 3, description: 'Usage & Events' });
      assert.equal(v2.stream_historic_data, true);
    });

    it('accepts a name and ignored descriptions', async () => {
      const item = await createOk({
        ...V1_S3,
        name: 'usage export',
        data_stream_type: { id: 1, description: 'anything' },
        api_type: { id: 8, description: 'anything' },
      });

      assert.equal(item.name, 'usage export');
      assert.deepEqual(item.data_stream_type, { id: 1, description: 'Usage' });
      assert.deepEqual(item.api_type, { id: 8, description: 'AWS S3' });
    });

    it('defaults stream_historic_data to 0', async () => {
      const { stream_historic_data: _omitted, ...body } = V1_S3;

      const item = await createOk(body);

      assert.equal(item.stream_historic_data, 0);
    });

    it('lists streams created through v2', async () => {
      const s3 = await request('POST', '/api/v2/data_stream', 'a', {
        name: 'events to S3',
        data_stream_type: { id: 2 },
        destination: {
          connection_type: 'S3',
          credentials: { region: 'eu-central-1', bucket_name: 'exports.example.com', role_arn: ROLE_ARN, prefix: 'ds/', format: 'jsonl' },
        },
        stream_historic_data: true,
      });
      const kinesis = await request('POST', '/api/v2/data_stream', 'a', {
        data_stream_type: { id: 3 },
        destination: { connection_type: 'AwsKinesis', credentials: { region: 'ap-southeast-2', stream_name: 'iot.events', role_arn: ROLE_ARN } },
      });
      assert.equal(s3.statusCode, 201, s3.body);
      assert.equal(kinesis.statusCode, 201, kinesis.body);

      const list = (await request('GET', '/api/v1/data_stream')).json();

      assert.equal(list.length, 2);
      assert.deepEqual(list[0], {
        id: s3.json().id,
        name: 'events to S3',
        stream_historic_data: 1,
        data_stream_type: { id: 2, description: 'Events' },
        api_type: { id: 8, description: 'AWS S3' },
        api_username: ROLE_ARN,
        api_parameter: 'eu-central-1/exports.example.com',
        status: { id: 1, description: 'Running' },
        active: true,
        running: true,
        last_result_code: 200,
        last_error: null,
        last_dispatched_timestamp: null,
        created: s3.json().created,
      });
      assert.equal(list[1].id, kinesis.json().id);
      assert.equal(list[1].stream_historic_data, 0);
      assert.deepEqual(list[1].data_stream_type, { id: 3, description: 'Usage & Events' });
      assert.deepEqual(list[1].api_type, { id: 4, description: 'AWS Kinesis' });
      assert.equal(list[1].api_parameter, 'ap-southeast-2/iot.events');
      assert.equal(list[1].api_username, ROLE_ARN);
    });

    it('maps stored REST API streams to api_type 1 and 6', async () => {
      const restApi = (size: number) =>
        storage.createDataStream({
          organisation_id: organisations.a.id,
          name: `webhook size ${size}`,
          data_stream_type: 2,
          status: StreamStatus.Running,
          destination: { connection_type: 'RestAPI', url: 'https://hooks.example.com/in', method: 'POST', headers: [], size, signing_secret: null },
          filters: [],
          stream_historic_data: false,
        });
      const single = restApi(1);
      const bulk = restApi(3000);

      const list = (await request('GET', '/api/v1/data_stream')).json();

      const byId = new Map(list.map((item: { id: number }) => [item.id, item]));
      assert.deepEqual((byId.get(single.id) as { api_type: unknown }).api_type, { id: 1, description: 'REST API' });
      assert.deepEqual((byId.get(bulk.id) as { api_type: unknown }).api_type, { id: 6, description: 'REST API Bulk' });
      assert.equal((byId.get(bulk.id) as { api_parameter: string }).api_parameter, 'https://hooks.example.com/in');
      assert.equal((byId.get(bulk.id) as { api_username: string | null }).api_username, null);
    });
  });

  describe('delivery state', () => {
    it('shows a failing stream with its result code', async () => {
      const item = await createOk(V1_S3);
      const lastError = { code: 's3_put_object_denied', message: 'Role may not write to bucket customer-bucket.', at: '2025-03-01T10:00:00.000Z' };
      storage.setDeliveryState(item.id, { status: StreamStatus.Error, last_error: lastError, failing_since: lastError.at });

      const shown = (await request('GET', `/api/v1/data_stream/${item.id}`)).json();

      assert.equal(shown.last_result_code, 403);
      assert.deepEqual(shown.last_error, lastError);
      assert.deepEqual(shown.status, { id: 3, description: 'Error' });
      assert.equal(shown.active, true);
      assert.equal(shown.running, false);
    });

    it('maps missing destinations to 404 and unknown codes to 500', async () => {
      const item = await createOk(V1_KINESIS);
      const at = '2025-03-01T10:00:00.000Z';

      storage.setDeliveryState(item.id, { status: StreamStatus.Running, last_error: { code: 'kinesis_stream_not_found', message: 'missing', at }, failing_since: at });
      assert.equal((await request('GET', `/api/v1/data_stream/${item.id}`)).json().last_result_code, 404);

      storage.setDeliveryState(item.id, { status: StreamStatus.Running, last_error: { code: 'new_kind_of_error', message: 'odd', at }, failing_since: at });
      assert.equal((await request('GET', `/api/v1/data_stream/${item.id}`)).json().last_result_code, 500);
    });

    it('shows the last delivery time after a success', async () => {
      const item = await createOk(V1_S3);
      storage.advanceCursor(item.id, 'usage', 5, 5, '2025-03-01T10:05:00.000Z');

      const shown = (await request('GET', `/api/v1/data_stream/${item.id}`)).json();

      assert.equal(shown.last_dispatched_timestamp, '2025-03-01T10:05:00.000Z');
      assert.equal(shown.last_result_code, 200);
    });

    it('shows a paused stream as neither active nor running', async () => {
      const item = await createOk(V1_S3);
      storage.updateDataStream({ ...storage.getDataStreamById(item.id)!, status: StreamStatus.Paused });

      const shown = (await request('GET', `/api/v1/data_stream/${item.id}`)).json();

      assert.deepEqual(shown.status, { id: 2, description: 'Paused' });
      assert.equal(shown.active, false);
      assert.equal(shown.running, false);
    });
  });

  describe('validation', () => {
    const s3 = (api_parameter: string) => ({ ...V1_S3, api_parameter });
    const kinesis = (api_parameter: string) => ({ ...V1_KINESIS, api_parameter });

    const parameterCases: { name: string; body: unknown; message: RegExp }[] = [
      { name: 'missing slash', body: s3('eu-west-1customer-bucket'), message: /exactly one "\/".*not 0/ },
      { name: 'two slashes', body: s3('eu-west-1/customer-bucket/logs'), message: /exactly one "\/".*not 2/ },
      { name: 'empty region', body: s3('/customer-bucket'), message: /no region before the "\/"/ },
      { name: 'empty bucket name', body: s3('eu-west-1/'), message: /no bucket name after the "\/"/ },
      { name: 'empty value', body: s3(''), message: /exactly one "\/"/ },
      { name: 'bad region', body: s3('Europe/customer-bucket'), message: /region "Europe", which is not an AWS region code/ },
      { name: 'uppercase bucket name', body: s3('eu-west-1/My_Bucket'), message: /bucket name "My_Bucket", which is not a valid S3 bucket name/ },
      { name: 'short bucket name', body: s3('eu-west-1/ab'), message: /bucket name "ab"/ },
      { name: 'IP address bucket', body: s3('eu-west-1/192.168.1.1'), message: /bucket name "192.168.1.1".*not an IP address/ },
      { name: 'bad stream name', body: kinesis('us-east-1/my stream!'), message: /stream name "my stream!", which is not a valid Kinesis stream name/ },
      { name: 'empty stream name', body: kinesis('us-east-1/'), message: /no stream name after the "\/"/ },
      { name: 'Kinesis bad region', body: kinesis('us-east/customer-stream'), message: /region "us-east"/ },
    ];

    for (const testCase of parameterCases) {
      it(`rejects api_parameter with ${testCase.name}`, async () => {
        const body = testCase.body as { api_parameter: string; api_type: { id: number } };

        const response = await create(body);

        assert.equal(response.statusCode, 422, response.body);
        assert.equal(response.json().error_token, 'validation_failed');
        assert.ok(fieldsOf(response).every((field) => field === 'api_parameter'), `only api_parameter is named: ${response.body}`);
        const message = messageFor(response, 'api_parameter');
        assert.match(message, testCase.message);
        assert.ok(message.includes(JSON.stringify(body.api_parameter)), `message shows the bad value: ${message}`);
        const example = body.api_type.id === 8 ? '"eu-west-1/my-bucket"' : '"eu-west-1/my-stream"';
        assert.ok(message.includes(example), `message shows the expected form: ${message}`);
        assert.deepEqual(storage.listDataStreams(organisations.a.id), [], 'nothing stored');
      });
    }

    it('reports a bad region and bucket name together', async () => {
      const response = await create(s3('EU/A'));

      assert.equal(response.statusCode, 422);
      assert.deepEqual(fieldsOf(response), ['api_parameter', 'api_parameter']);
    });

    for (const [name, api_username] of [
      ['a user ARN', 'arn:aws:iam::222222222222:user/x'],
      ['a short account id', 'arn:aws:iam::12345:role/x'],
      ['a user name', 'datastreamer'],
      ['an empty string', ''],
    ]) {
      it(`rejects api_username with ${name}`, async () => {
        const response = await create({ ...V1_KINESIS, api_username });

        assert.equal(response.statusCode, 422, response.body);
        assert.deepEqual(fieldsOf(response), ['api_username']);
        assert.match(messageFor(response, 'api_username'), /is not an IAM role ARN such as arn:aws:iam::123456789012:role\//);
      });
    }

    it('reports api_username and api_parameter together', async () => {
      const response = await create({ ...V1_S3, api_username: 'datastreamer', api_parameter: 'eu-west-1' });

      assert.equal(response.statusCode, 422);
      assert.deepEqual(fieldsOf(response).sort(), ['api_parameter', 'api_username']);
    });

    const schemaCases: { name: string; body: unknown; field: string }[] = [
      { name: 'unknown api_type', body: { ...V1_S3, api_type: { id: 5 } }, field: 'api_type.id' },
      { name: 'unknown data_stream_type', body: { ...V1_S3, data_stream_type: { id: 4 } }, field: 'data_stream_type.id' },
      { name: 'boolean stream_historic_data', body: { ...V1_S3, stream_historic_data: true }, field: 'stream_historic_data' },
      { name: 'stream_historic_data 2', body: { ...V1_S3, stream_historic_data: 2 }, field: 'stream_historic_data' },
      { name: 'missing api_parameter', body: { ...V1_S3, api_parameter: undefined }, field: 'api_parameter' },
      { name: 'missing api_username', body: { ...V1_S3, api_username: undefined }, field: 'api_username' },
      { name: 'missing api_type', body: { ...V1_S3, api_type: undefined }, field: 'api_type' },
      { name: 'unknown property', body: { ...V1_S3, api_password: 'secret' }, field: 'api_password' },
    ];

    for (const testCase of schemaCases) {
      it(`rejects ${testCase.name} with 422`, async () => {
        const response = await create(testCase.body);

        assert.equal(response.statusCode, 422, response.body);
        assert.ok(fieldsOf(response).includes(testCase.field), `errors name ${testCase.field}: ${response.body}`);
      });
    }

    it('rejects requests without an auth token with 401', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/v1/data_stream' });

      assert.equal(response.statusCode, 401);
    });
  });

  describe('event type filter', () => {
    const filterUrl = (id: number, eventTypeId?: number) =>
      `/api/v1/data_stream/${id}/filter/event_type${eventTypeId === undefined ? '' : `/${eventTypeId}`}`;

    async function v2Filters(id: number) {
      return (await request('GET', `/api/v2/data_stream/${id}`)).json().filters;
    }

    it('adds, lists and removes event types', async () => {
      const { id } = await createOk(V1_KINESIS);
      changedStreams.length = 0;

      const empty = await request('GET', filterUrl(id));
      assert.equal(empty.statusCode, 200);
      assert.deepEqual(empty.json(), []);

      const added = await request('PUT', filterUrl(id, 3));
      assert.equal(added.statusCode, 204, added.body);
      assert.equal(added.body, '');
      assert.equal((await request('PUT', filterUrl(id, 1))).statusCode, 204);

      assert.deepEqual((await request('GET', filterUrl(id))).json(), [
        { id: 3, description: 'Create PDP Context' },
        { id: 1, description: 'Update location' },
      ]);
      assert.deepEqual(await v2Filters(id), [{ field: 'event_type_id', value: [3, 1] }]);
      assert.deepEqual(changedStreams, [id, id]);

      const removed = await request('DELETE', filterUrl(id, 3));
      assert.equal(removed.statusCode, 204, removed.body);
      assert.deepEqual(await v2Filters(id), [{ field: 'event_type_id', value: [1] }]);

      assert.equal((await request('DELETE', filterUrl(id, 1))).statusCode, 204);
      assert.deepEqual(await v2Filters(id), [], 'removing the last type removes the filter');
      assert.deepEqual((await request('GET', filterUrl(id))).json(), []);
      assert.deepEqual(changedStreams, [id, id, id, id]);
    });

    it('adds a listed type only once', async () => {
      const { id } = await createOk(V1_KINESIS);
      await request('PUT', filterUrl(id, 5));
      changedStreams.length = 0;

      const again = await request('PUT', filterUrl(id, 5));

      assert.equal(again.statusCode, 204);
      assert.deepEqual(await v2Filters(id), [{ field: 'event_type_id', value: [5] }]);
      assert.deepEqual(changedStreams, [], 'nothing changed');
    });

    it('ignores removing a type not listed', async () => {
      const { id } = await createOk(V1_KINESIS);
      await request('PUT', filterUrl(id, 5));

      const response = await request('DELETE', filterUrl(id, 6));

      assert.equal(response.statusCode, 204);
      assert.deepEqual(await v2Filters(id), [{ field: 'event_type_id', value: [5] }]);
    });

    it('shows filters set through v2', async () => {
      const created = await request('POST', '/api/v2/data_stream', 'a', {
        data_stream_type: { id: 2 },
        destination: { connection_type: 'AwsKinesis', credentials: { region: 'us-east-1', stream_name: 'events', role_arn: ROLE_ARN } },
        filters: [{ field: 'event_type_id', value: [8, 9] }],
      });

      const list = await request('GET', filterUrl(created.json().id));

      assert.deepEqual(list.json(), [
        { id: 8, description: 'SIM activation' },
        { id: 9, description: 'SIM suspension' },
      ]);
    });

    it('filters a Usage & Events stream', async () => {
      const { id } = await createOk({ ...V1_S3, data_stream_type: { id: 3 } });

      const response = await request('PUT', filterUrl(id, 0));

      assert.equal(response.statusCode, 204, response.body);
      assert.deepEqual(await v2Filters(id), [{ field: 'event_type_id', value: [0] }]);
    });

    it('rejects an unknown event type with 422', async () => {
      const { id } = await createOk(V1_KINESIS);

      const response = await request('PUT', filterUrl(id, 24));

      assert.equal(response.statusCode, 422);
      assert.deepEqual(fieldsOf(response), ['event_type_id']);
      assert.match(messageFor(response, 'event_type_id'), /24 is not a known event type id/);
      assert.deepEqual(await v2Filters(id), []);
    });

    it('rejects filters on a usage-only stream', async () => {
      const { id } = await createOk(V1_S3);

      const added = await request('PUT', filterUrl(id, 1));
      assert.equal(added.statusCode, 422);
      assert.deepEqual(fieldsOf(added), ['id']);
      assert.match(messageFor(added, 'id'), /carries usage records only/);

      const removed = await request('DELETE', filterUrl(id, 1));
      assert.equal(removed.statusCode, 422);
      assert.deepEqual(fieldsOf(removed), ['id']);

      assert.deepEqual((await request('GET', filterUrl(id))).json(), []);
    });

    it('rejects removing from a stream without a filter', async () => {
      const { id } = await createOk(V1_KINESIS);

      const response = await request('DELETE', filterUrl(id, 1));

      assert.equal(response.statusCode, 422);
      assert.deepEqual(fieldsOf(response), ['event_type_id']);
      assert.match(messageFor(response, 'event_type_id'), /has no event type filter and delivers every event type/);
    });

    it('rejects a negative event type id', async () => {
      const { id } = await createOk(V1_KINESIS);

      const response = await request('PUT', filterUrl(id, -1));

      assert.equal(response.statusCode, 422);
      assert.deepEqual(fieldsOf(response), ['event_type_id']);
    });
  });

  describe('delete', () => {
    it('deletes through v1, gone from v2', async () => {
      const { id } = await createOk(V1_KINESIS);
      changedStreams.length = 0;

      const response = await request('DELETE', `/api/v1/data_stream/${id}`);

      assert.equal(response.statusCode, 204);
      assert.equal(response.body, '');
      assert.deepEqual(changedStreams, [id]);
      assert.equal((await request('GET', `/api/v2/data_stream/${id}`)).statusCode, 404);
      assert.deepEqual((await request('GET', '/api/v2/data_stream')).json(), []);
      assert.equal((await request('DELETE', `/api/v1/data_stream/${id}`)).statusCode, 404);
    });

    it('deletes a stream created through v2', async () => {
      const created = await request('POST', '/api/v2/data_stream', 'a', {
        data_stream_type: { id: 1 },
        destination: { connection_type: 'S3', credentials: { region: 'eu-west-1', bucket_name: 'customer-bucket', role_arn: ROLE_ARN } },
      });

      const response = await request('DELETE', `/api/v1/data_stream/${created.json().id}`);

      assert.equal(response.statusCode, 204);
      assert.deepEqual((await request('GET', '/api/v1/data_stream')).json(), []);
    });
  });

  describe('organisation isolation', () => {
    it("returns 404 for another organisation's ids on every route", async () => {
      const stream = await createOk(V1_KINESIS);
      await request('PUT', `/api/v1/data_stream/${stream.id}/filter/event_type/1`);
      changedStreams.length = 0;

      const calls: ['GET' | 'PUT' | 'DELETE', string][] = [
        ['GET', `/api/v1/data_stream/${stream.id}`],
        ['DELETE', `/api/v1/data_stream/${stream.id}`],
        ['GET', `/api/v1/data_stream/${stream.id}/filter/event_type`],
        ['PUT', `/api/v1/data_stream/${stream.id}/filter/event_type/3`],
        ['DELETE', `/api/v1/data_stream/${stream.id}/filter/event_type/1`],
      ];
      for (const [method, url] of calls) {
        const response = await request(method, url, 'b');

        assert.equal(response.statusCode, 404, `${method} ${url}: ${response.body}`);
        assert.equal(response.json().error_token, 'data_stream_not_found', `${method} ${url}`);
      }

      assert.deepEqual((await request('GET', '/api/v1/data_stream', 'b')).json(), []);
      assert.deepEqual(changedStreams, [], 'no stream changed');
      const own = await request('GET', `/api/v1/data_stream/${stream.id}/filter/event_type`, 'a');
      assert.deepEqual(own.json(), [{ id: 1, description: 'Update location' }], 'the filter is unchanged');
    });

    it('returns 404 for an unknown stream id', async () => {
      const response = await request('GET', '/api/v1/data_stream/999999/filter/event_type');

      assert.equal(response.statusCode, 404);
      assert.match(response.json().message, /999999/);
    });
  });
});
