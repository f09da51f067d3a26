import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import { sampleEvent } from './fixtures.js';
import type { FastifyInstance } from 'fastify';
import { startStreamsApi, type TestOrganisation } from './support/api-app.js';

const ROLE_ARN = 'arn:aws:iam::222222222222:role/datastreamer-delivery';

const S3_MINIMAL = {
  data_stream_type: { id: 1 },
  destination: { connection_type: 'S3', credentials: { region: 'eu-west-1', bucket_name: 'customer-bucket', role_arn: ROLE_ARN } },
};

const KINESIS = {
  name: 'events to Kinesis',
  data_stream_type: { id: 2 },
  destination: { connection_type: 'AwsKinesis', credentials: { region: 'us-east-1', stream_name: 'customer-stream', role_arn: ROLE_ARN } },
};

describe('/api/v2/data_stream', () => {
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
    for (const stream of storage.listDataStreams(organisations.a.id)) storage.deleteDataStream(organisations.a.id, stream.id);
    changedStreams.length = 0;
  });

  function create(body: unknown, organisation: 'a' | 'b' = 'a') {
    return app.inject({ method: 'POST', url: '/api/v2/data_stream', headers: organisations[organisation].headers, payload: body as object });
  }

  function get(url: string, organisation: 'a' | 'b' = 'a') {
    return app.inject({ method: 'GET', url, headers: organisations[organisation].headers });
  }

  function remove(url: string, organisation: 'a' | 'b' = 'a') {
    return app.inject({ method: 'DELETE', url, headers: organisations[organisation].headers });
  }

  describe('create, list, get and delete', () => {
    it('creates an S3 stream with defaults', async () => {
      const response = await create(S3_MINIMAL);

      assert.equal(response.statusCode, 201);
      const view = response.json();
      assert.equal(response.headers.location, `/api/v2/data_stream/${view.id}`);
      assert.deepEqual(view, {
        id: view.id,
        name: 'S3 stream',
        data_stream_type: { id: 1, description: 'Usage' },
        status: { id: 1, description: 'Running' },
        destination: {
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
        },
        filters: [],
        stream_historic_data: false,
        created: storage.getDataStreamById(view.id)!.created,
        delivery: { records_delivered: 0, records_waiting: 0, last_delivery: null, last_error: null },
      });
      assert.deepEqual(changedStreams, [view.id]);
    });

    it('stores every S3 option given', async () => {
      const response = await create({
        name: 'events to S3',
        data_stream_type: { id: 2 },
        destination: {
          connection_type: 'S3',
          credentials: {
            region: 'us-gov-west-1',
            bucket_name: 'exports.example.com',
            role_arn: 'arn:aws-us-gov:iam::222222222222:role/service/datastreamer',
            prefix: 'datastreamer/events/',
            flush_size: 500,
            rotate_interval: 60000,
            format: 'jsonl',
            compression: 'gzip',
            server_side_encryption: 'aws:kms',
            kms_key_id: 'alias/datastreamer',
          },
        },
        filters: [{ field: 'event_type_id', value: [1, 3, 5] }],
        stream_historic_data: true,
      });

      assert.equal(response.statusCode, 201, response.body);
      const view = response.json();
      assert.equal(view.name, 'events to S3');
      assert.deepEqual(view.data_stream_type, { id: 2, description: 'Event' });
      assert.equal(view.destination.format, 'jsonl');
      assert.deepEqual(view.destination.credentials, {
        region: 'us-gov-west-1',
        bucket_name: 'exports.example.com',
        role_arn: 'arn:aws-us-gov:iam::222222222222:role/service/datastreamer',
        prefix: 'datastreamer/events/',
        flush_size: 500,
        rotate_interval: 60000,
        compression: 'gzip',
        server_side_encryption: 'aws:kms',
        kms_key_id: 'alias/datastreamer',
      });
      assert.deepEqual(view.filters, [{ field: 'event_type_id', value: [1, 3, 5] }]);
      assert.equal(view.stream_historic_data, true);
    });

    it('accepts the S3 format at destination level', async () => {
      const body = structuredClone(S3_MINIMAL) as { destination: Record<string, unknown> };
      body.destination.format = 'jsonl';

      const response = await create(body);

      assert.equal(response.statusCode, 201);
      assert.equal(response.json().destination.format, 'jsonl');
    });

    it('creates a Kinesis stream', async () => {
      const response = await create(KINESIS);

      assert.equal(response.statusCode, 201);
      const view = response.json();
      assert.deepEqual(view, {
        id: view.id,
        name: 'events to Kinesis',
        data_stream_type: { id: 2, description: 'Event' },
        status: { id: 1, description: 'Running' },
        destination: {
          connection_type: 'AwsKinesis',
          format: 'json',
          credentials: { region: 'us-east-1', stream_name: 'customer-stream', role_arn: ROLE_ARN },
        },
        filters: [],
        stream_historic_data: false,
        created: storage.getDataStreamById(view.id)!.created,
        delivery: { records_delivered: 0, records_waiting: 0, last_delivery: null, last_error: null },
      });
    });

    it('creates a Usage & Events stream', async () => {
      const response = await create({ ...S3_MINIMAL, data_stream_type: { id: 3 } });

      assert.equal(response.statusCode, 201);
      assert.deepEqual(response.json().data_stream_type, { id: 3, description: 'Usage & Events' });
    });

    it('lists, shows and deletes streams', async () => {
      const s3 = (await create(S3_MINIMAL)).json();
      const kinesis = (await create(KINESIS)).json();

      const list = await get('/api/v2/data_stream');
      assert.equal(list.statusCode, 200);
      assert.deepEqual(list.json(), [s3, kinesis]);

      const shown = await get(`/api/v2/data_stream/${kinesis.id}`);
      assert.equal(shown.statusCode, 200);
      assert.deepEqual(shown.json(), kinesis);

      const deleted = await remove(`/api/v2/data_stream/${s3.id}`);
      assert.equal(deleted.statusCode, 202);
      assert.equal(deleted.body, '');
      assert.deepEqual(changedStreams, [s3.id, kinesis.id, s3.id]);

      assert.equal((await get(`/api/v2/data_stream/${s3.id}`)).statusCode, 404);
      assert.deepEqual((await get('/api/v2/data_stream')).json(), [kinesis]);
    });

    it('counts records waiting for the stream', async () => {
      const stream = (await create(KINESIS)).json();
      const records = [1, 2].map((id) => sampleEvent({ id, organisation_id: organisations.a.id }));
      storage.appendRecords(
        'event',
        records.map((record) => ({ organisation_id: organisations.a.id, record_id: record.id, body: JSON.stringify(record) })),
      );

      const view = (await get(`/api/v2/data_stream/${stream.id}`)).json();

      assert.equal(view.delivery.records_waiting, 2);
    });

    it('answers 404 for an unknown stream id', async () => {
      const response = await get('/api/v2/data_stream/999999');

      assert.equal(response.statusCode, 404);
      assert.equal(response.json().error_token, 'data_stream_not_found');
      assert.match(response.json().message, /999999/);
    });

    it('masks REST API secrets in the view', async () => {
      const stream = storage.createDataStream({
        organisation_id: organisations.a.id,
        name: 'webhook',
        data_stream_type: 2,
        status: 1,
        destination: {
          connection_type: 'RestAPI',
          url: 'https://hooks.example.com/datastreamer',
          method: 'POST',
          headers: ['Authorization: Bearer customer-secret', 'X-Team: iot'],
          size: 3000,
          signing_secret: 'whsec-customer-secret',
        },
        filters: [],
        stream_historic_data: false,
      });

      const response = await get(`/api/v2/data_stream/${stream.id}`);

      assert.equal(response.statusCode, 200);
      assert.ok(!response.body.includes('customer-secret'), 'no secret in the response');
      assert.deepEqual(response.json().destination.credentials, {
        url: 'https://hooks.example.com/datastreamer',
        method: 'POST',
        headers: ['Authorization: ********', 'X-Team: ********'],
        size: 3000,
        signing_secret: '********',
      });
    });
  });

  describe('organisation isolation', () => {
    it("answers 404 to another organisation's GET and DELETE", async () => {
      const stream = (await create(S3_MINIMAL, 'a')).json();
      const url = `/api/v2/data_stream/${stream.id}`;

      const read = await get(url, 'b');
      assert.equal(read.statusCode, 404);
      assert.equal(read.json().error_token, 'data_stream_not_found');

      const deleted = await remove(url, 'b');
      assert.equal(deleted.statusCode, 404);

      assert.deepEqual((await get('/api/v2/data_stream', 'b')).json(), []);
      assert.equal((await get(url, 'a')).statusCode, 200, 'the stream still exists for its organisation');
    });

    it('rejects requests without an auth token with 401', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/v2/data_stream' });

      assert.equal(response.statusCode, 401);
    });
  });

  describe('validation', () => {
    function s3With(credentials: Record<string, unknown>, extra: Record<string, unknown> = {}) {
      return {
        ...S3_MINIMAL,
        ...extra,
        destination: { ...S3_MINIMAL.destination, credentials: { ...S3_MINIMAL.destination.credentials, ...credentials } },
      };
    }

    function kinesisWith(credentials: Record<string, unknown>) {
      return { ...KINESIS, destination: { ...KINESIS.destination, credentials: { ...KINESIS.destination.credentials, ...credentials } } };
    }

    const withoutBucket = structuredClone(S3_MINIMAL) as { destination: { credentials: Record<string, unknown> } };
    delete withoutBucket.destination.credentials.bucket_name;
    const withoutStreamName = structuredClone(KINESIS) as { destination: { credentials: Record<string, unknown> } };
    delete withoutStreamName.destination.credentials.stream_name;

    const cases: { name: string; body: unknown; field: string; message?: RegExp }[] = [
      { name: 'empty name', body: { ...S3_MINIMAL, name: '' }, field: 'name' },
      { name: 'name over 255 characters', body: { ...S3_MINIMAL, name: 'n'.repeat(256) }, field: 'name' },
      { name: 'missing data_stream_type', body: { destination: S3_MINIMAL.destination }, field: 'data_stream_type', message: /is required/ },
      { name: 'unknown data_stream_type', body: { ...S3_MINIMAL, data_stream_type: { id: 4 } }, field: 'data_stream_type.id', message: /one of 1, 2, 3, not 4/ },
      {
        name: 'unknown connection type',
        body: { ...S3_MINIMAL, destination: { connection_type: 'FTP', credentials: {} } },
        field: 'destination.connection_type',
        message: /use one of "S3", "AwsKinesis", "RestAPI"/,
      },
      { name: 'missing bucket_name', body: withoutBucket, field: 'destination.credentials.bucket_name', message: /is required/ },
      { name: 'invalid region', body: s3With({ region: 'Europe' }), field: 'destination.credentials.region', message: /"Europe" is not an AWS region code such as eu-west-1/ },
      { name: 'short bucket name', body: s3With({ bucket_name: 'ab' }), field: 'destination.credentials.bucket_name' },
      { name: 'uppercase bucket name', body: s3With({ bucket_name: 'Customer-Bucket' }), field: 'destination.credentials.bucket_name', message: /lowercase/ },
      { name: 'bucket name with ..', body: s3With({ bucket_name: 'customer..bucket' }), field: 'destination.credentials.bucket_name' },
      { name: 'bucket name like an IP address', body: s3With({ bucket_name: '192.168.1.1' }), field: 'destination.credentials.bucket_name' },
      { name: 'bucket name starting with a hyphen', body: s3With({ bucket_name: '-bucket' }), field: 'destination.credentials.bucket_name' },
      { name: 'reserved bucket prefix', body: s3With({ bucket_name: 'xn--bucket' }), field: 'destination.credentials.bucket_name' },
      { name: 'role ARN with a short account', body: s3With({ role_arn: 'arn:aws:iam::12345:role/x' }), field: 'destination.credentials.role_arn' },
      { name: 'user ARN instead of a role', body: s3With({ role_arn: 'arn:aws:iam::222222222222:user/x' }), field: 'destination.credentials.role_arn' },
      { name: 'prefix with a leading slash', body: s3With({ prefix: '/exports/' }), field: 'destination.credentials.prefix', message: /must not start with "\/"/ },
      { name: 'prefix over 512 characters', body: s3With({ prefix: 'p'.repeat(513) }), field: 'destination.credentials.prefix', message: /at most 512/ },
      { name: 'flush_size below 10', body: s3With({ flush_size: 9 }), field: 'destination.credentials.flush_size', message: /from 10 to 100000, not 9/ },
      { name: 'flush_size above 100000', body: s3With({ flush_size: 100001 }), field: 'destination.credentials.flush_size' },
      { name: 'flush_size as a string', body: s3With({ flush_size: '100' }), field: 'destination.credentials.flush_size', message: /must be an integer, not "100"/ },
      { name: 'rotate_interval below 10000', body: s3With({ rotate_interval: 9999 }), field: 'destination.credentials.rotate_interval' },
      { name: 'rotate_interval above 900000', body: s3With({ rotate_interval: 900001 }), field: 'destination.credentials.rotate_interval' },
      { name: 'unknown format', body: s3With({ format: 'xml' }), field: 'destination.credentials.format', message: /"csv", "jsonl", not "xml"/ },
      {
        name: 'unknown destination format',
        body: { ...S3_MINIMAL, destination: { ...S3_MINIMAL.destination, format: 'parquet' } },
        field: 'destination.format',
      },
      {
        name: 'contradicting formats',
        body: { ...S3_MINIMAL, destination: { ...s3With({ format: 'csv' }).destination, format: 'jsonl' } },
        field: 'destination.credentials.format',
        message: /contradicts/,
      },
      { name: 'unknown compression', body: s3With({ compression: 'zip' }), field: 'destination.credentials.compression' },
      { name: 'unknown encryption', body: s3With({ server_side_encryption: 'DES' }), field: 'destination.credentials.server_side_encryption' },
      {
        name: 'aws:kms without kms_key_id',
        body: s3With({ server_side_encryption: 'aws:kms' }),
        field: 'destination.credentials.kms_key_id',
        message: /required when server_side_encryption is "aws:kms"/,
      },
      { name: 'kms_key_id without aws:kms', body: s3With({ kms_key_id: 'alias/x' }), field: 'destination.credentials.kms_key_id' },
      { name: 'missing stream_name', body: withoutStreamName, field: 'destination.credentials.stream_name', message: /is required/ },
      { name: 'invalid stream_name', body: kinesisWith({ stream_name: 'my stream!' }), field: 'destination.credentials.stream_name' },
      { name: 'invalid Kinesis region', body: kinesisWith({ region: 'eu-west' }), field: 'destination.credentials.region' },
      { name: 'S3 field on Kinesis', body: kinesisWith({ bucket_name: 'customer-bucket' }), field: 'destination.credentials.bucket_name', message: /not a known property/ },
      { name: 'unknown top-level property', body: { ...S3_MINIMAL, colour: 'blue' }, field: 'colour', message: /not a known property/ },
      { name: 'misspelt credential', body: s3With({ bucket: 'customer-bucket' }), field: 'destination.credentials.bucket' },
      {
        name: 'filters on a usage stream',
        body: { ...S3_MINIMAL, filters: [{ field: 'event_type_id', value: [1] }] },
        field: 'filters',
        message: /only to streams with events/,
      },
      {
        name: 'unknown event type id',
        body: { ...KINESIS, filters: [{ field: 'event_type_id', value: [1, 24] }] },
        field: 'filters.0.value',
        message: /unknown event type id\(s\) 24/,
      },
      { name: 'unknown filter field', body: { ...KINESIS, filters: [{ field: 'imsi', value: [1] }] }, field: 'filters.0.field' },
      { name: 'empty filter value', body: { ...KINESIS, filters: [{ field: 'event_type_id', value: [] }] }, field: 'filters.0.value' },
      { name: 'stream_historic_data as a string', body: { ...S3_MINIMAL, stream_historic_data: 'yes' }, field: 'stream_historic_data' },
    ];

    for (const testCase of cases) {
      it(`rejects ${testCase.name} with 422`, async () => {
        const response = await create(testCase.body);

        assert.equal(response.statusCode, 422, response.body);
        const body = response.json();
        assert.equal(body.error_token, 'validation_failed');
        const fields = body.errors.map((error: { field: string }) => error.field);
        assert.ok(fields.includes(testCase.field), `errors name ${testCase.field}: ${response.body}`);
        if (testCase.message) {
          const error = body.errors.find((candidate: { field: string }) => candidate.field === testCase.field);
          assert.match(error.message, testCase.message);
        }
        assert.deepEqual(storage.listDataStreams(organisations.a.id), [], 'nothing stored');
      });
    }

    it('lists every problem of a request at once', async () => {
      const response = await create(s3With({ region: 'EU', flush_size: 1, bucket_name: 'A' }, { colour: 'blue' }));

      assert.equal(response.statusCode, 422);
      const fields = response.json().errors.map((error: { field: string }) => error.field).sort();
      assert.deepEqual(fields, [
        'colour',
        'destination.credentials.bucket_name',
        'destination.credentials.flush_size',
        'destination.credentials.region',
      ]);
    });

    it('rejects malformed JSON with 400', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v2/data_stream',
        headers: { ...organisations.a.headers, 'content-type': 'application/json' },
        payload: '{"name": "x",}',
      });

      assert.equal(response.statusCode, 400);
      assert.equal(response.json().error_token, 'malformed_json');
    });

    it('rejects a plain text body with 415', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v2/data_stream',
        headers: { ...organisations.a.headers, 'content-type': 'text/plain' },
        payload: JSON.stringify(S3_MINIMAL),
      });

      assert.equal(response.statusCode, 415);
      assert.equal(response.json().error_token, 'unsupported_media_type');
    });

    it('deletes despite a JSON content type without body', async () => {
      const stream = (await create(S3_MINIMAL)).json();

      const response = await app.inject({
        method: 'DELETE',
        url: `/api/v2/data_stream/${stream.id}`,
        headers: { ...organisations.a.headers, 'content-type': 'application/json' },
      });

      assert.equal(response.statusCode, 202);
    });

    it('rejects a non-numeric stream id with 422', async () => {
      const response = await get('/api/v2/data_stream/abc');

      assert.equal(response.statusCode, 422);
      assert.deepEqual(response.json().errors.map((error: { field: string }) => error.field), ['id']);
    });
  });
});
