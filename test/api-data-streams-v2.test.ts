import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';

import { buildApi } from '../src/api/server.js';
import { issueApplicationToken, resolveJwtSecret } from '../src/auth/index.js';
import { loadConfig } from '../src/config.js';
import type { DeliveryEvents } from '../src/delivery/events.js';
import { EVENT_TYPES } from '../src/records/event-types.js';
import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import { StreamStatus, type StreamStatusId } from '../src/storage/types.js';
import { sampleEvent } from './fixtures.js';

const ROLE_ARN = 'arn:aws:iam::222222222222:role/datastreamer-delivery';

const S3_STREAM = {
  name: 'usage to S3',
  data_stream_type: { id: 1 },
  destination: { connection_type: 'S3', credentials: { region: 'eu-west-1', bucket_name: 'customer-bucket', role_arn: ROLE_ARN } },
};

const KINESIS_STREAM = {
  name: 'events to Kinesis',
  data_stream_type: { id: 2 },
  destination: { connection_type: 'AwsKinesis', credentials: { region: 'us-east-1', stream_name: 'customer-stream', role_arn: ROLE_ARN } },
};

const LAST_ERROR = { code: 'role_not_assumable', message: 'The role does not trust datastreamer.', at: '2026-12-04T19:00:00.000Z' };

type Organisation = 'a' | 'b';

interface DeliveryCall {
  event: 'streamChanged' | 'retryNow';
  streamId: number;
}

describe('/api/v2/data_stream changes', () => {
  let storage: SqliteStorage;
  let app: Awaited<ReturnType<typeof buildApi>>;
  const deliveryCalls: DeliveryCall[] = [];
  const organisations = {} as Record<Organisation, { id: number; headers: Record<string, string> }>;

  before(async () => {
    const config = loadConfig({ DATASTREAMER_ADMIN_TOKEN: 'test-admin-token', DATASTREAMER_SETUP_CHECK_ON_CREATE: 'false' });
    storage = new SqliteStorage(':memory:');
    const delivery: DeliveryEvents = {
      recordsAppended() {},
      streamChanged(streamId) {
        deliveryCalls.push({ event: 'streamChanged', streamId });
      },
      retryNow(streamId) {
        deliveryCalls.push({ event: 'retryNow', streamId });
      },
    };
    app = await buildApi({ config, storage, logger: pino({ level: 'silent' }), delivery, jwtSecret: resolveJwtSecret(config, storage) });

    for (const [key, name] of [['a', 'Acme IoT'], ['b', 'Globex']] as const) {
      const id = storage.createOrganisation(name).id;
      const { token } = issueApplicationToken(storage, id, 'test');
      const auth = await app.inject({ method: 'POST', url: '/api/v1/authenticate', payload: { application_token: token } });
      organisations[key] = { id, headers: { authorization: `Bearer ${auth.json().auth_token}` } };
    }
  });

  after(async () => {
    await app.close();
    storage.close();
  });

  beforeEach(() => {
    for (const stream of storage.listDataStreams(organisations.a.id)) storage.deleteDataStream(organisations.a.id, stream.id);
  });

  async function create(body: unknown): Promise<{ id: number } & Record<string, any>> {
    const response = await app.inject({ method: 'POST', url: '/api/v2/data_stream', headers: organisations.a.headers, payload: body as object });
    assert.equal(response.statusCode, 201, response.body);
    deliveryCalls.length = 0;
    return response.json();
  }

  function request(method: 'GET' | 'PATCH' | 'DELETE' | 'POST', url: string, body?: unknown, organisation: Organisation = 'a') {
    return app.inject({ method, url, headers: organisations[organisation].headers, payload: body as object | undefined });
  }

  const patch = (id: number, body: unknown, organisation: Organisation = 'a') => request('PATCH', `/api/v2/data_stream/${id}`, body, organisation);
  const restart = (id: number, organisation: Organisation = 'a') => request('POST', `/api/v2/data_stream/${id}/restart`, undefined, organisation);

  function s3Credentials(credentials: Record<string, unknown>, destination: Record<string, unknown> = {}) {
    return { destination: { ...destination, credentials } };
  }

  /** Puts a stream in a status that only delivery or a setup check sets, such as Error or Pending. */
  function forceStatus(id: number, status: StreamStatusId, lastError: typeof LAST_ERROR | null = null): void {
    const stream = storage.getDataStreamById(id)!;
    storage.updateDataStream({ ...stream, status, last_error: lastError, failing_since: lastError?.at ?? null });
  }

  function ingestEvents(count: number): void {
    const records = Array.from({ length: count }, () => sampleEvent({ organisation_id: organisations.a.id }));
    storage.appendRecords(
      'event',
      records.map((record) => ({ organisation_id: organisations.a.id, record_id: record.id, body: JSON.stringify(record) })),
    );
  }

  function fieldsOf(response: { json(): { errors: { field: string }[] } }): string[] {
    return response.json().errors.map((error) => error.field);
  }

  function messageFor(response: { json(): { errors: { field: string; message: string }[] } }, field: string): string {
    return response.json().errors.find((error) => error.field === field)?.message ?? '';
  }

  describe('PATCH of allowed fields', () => {
    it('renames a stream', async () => {
      const stream = await create(S3_STREAM);

      const response = await patch(stream.id, { name: 'renamed' });

      assert.equal(response.statusCode, 202);
      assert.equal(response.json().name, 'renamed');
      assert.equal(storage.getDataStreamById(stream.id)!.name, 'renamed');
      assert.deepEqual(deliveryCalls, [{ event: 'streamChanged', streamId: stream.id }]);
    });

    it('changes the S3 file settings', async () => {
      const stream = await create(S3_STREAM);

      const response = await patch(stream.id, s3Credentials({ flush_size: 500, rotate_interval: 60000, format: 'jsonl', compression: 'gzip' }));

      assert.equal(response.statusCode, 202, response.body);
      const view = response.json();
      assert.equal(view.destination.format, 'jsonl');
      assert.deepEqual(view.destination.credentials, {
        region: 'eu-west-1',
        bucket_name: 'customer-bucket',
        role_arn: ROLE_ARN,
        prefix: '',
        flush_size: 500,
        rotate_interval: 60000,
        compression: 'gzip',
        server_side_encryption: null,
        kms_key_id: null,
      });
      assert.deepEqual(deliveryCalls, [{ event: 'streamChanged', streamId: stream.id }]);
    });

    it('accepts the limits of flush_size and rotate_interval', async () => {
      const stream = await create(S3_STREAM);

      for (const [flush_size, rotate_interval] of [
        [10, 10000],
        [100000, 900000],
      ]) {
        const response = await patch(stream.id, s3Credentials({ flush_size, rotate_interval }));

        assert.equal(response.statusCode, 202, response.body);
        assert.equal(response.json().destination.credentials.flush_size, flush_size);
        assert.equal(response.json().destination.credentials.rotate_interval, rotate_interval);
      }
    });

    it('accepts the format at destination level', async () => {
      const stream = await create(S3_STREAM);

      const response = await patch(stream.id, { destination: { format: 'jsonl' } });

      assert.equal(response.statusCode, 202, response.body);
      assert.equal(response.json().destination.format, 'jsonl');
    });

    it('switches server-side encryption', async () => {
      const stream = await create(S3_STREAM);
      const credentials = () => storage.getDataStreamById(stream.id)!.destination as { server_side_encryption: unknown; kms_key_id: unknown };

      const kms = await patch(stream.id, s3Credentials({ server_side_encryption: 'aws:kms', kms_key_id: 'alias/datastreamer' }));
      assert.equal(kms.statusCode, 202, kms.body);
      assert.equal(kms.json().destination.credentials.server_side_encryption, 'aws:kms');
      assert.equal(kms.json().destination.credentials.kms_key_id, 'alias/datastreamer');

      const newKey = await patch(stream.id, s3Credentials({ kms_key_id: 'alias/rotated' }));
      assert.equal(newKey.statusCode, 202, newKey.body);
      assert.equal(credentials().kms_key_id, 'alias/rotated');
      assert.equal(credentials().server_side_encryption, 'aws:kms');

      const aes = await patch(stream.id, s3Credentials({ server_side_encryption: 'AES256' }));
      assert.equal(aes.statusCode, 202, aes.body);
      assert.equal(credentials().server_side_encryption, 'AES256');
      assert.equal(credentials().kms_key_id, null, 'the KMS key goes with aws:kms');

      const bucketDefault = await patch(stream.id, s3Credentials({ server_side_encryption: null }));
      assert.equal(bucketDefault.statusCode, 202, bucketDefault.body);
      assert.equal(credentials().server_side_encryption, null);
    });

    it('sets, replaces and removes event type filters', async () => {
      const stream = await create(KINESIS_STREAM);

      const set = await patch(stream.id, { filters: [{ field: 'event_type_id', value: [1, 3] }] });
      assert.equal(set.statusCode, 202, set.body);
      assert.deepEqual(set.json().filters, [{ field: 'event_type_id', value: [1, 3] }]);

      const replaced = await patch(stream.id, { filters: [{ field: 'event_type_id', value: [69] }] });
      assert.deepEqual(replaced.json().filters, [{ field: 'event_type_id', value: [69] }]);

      const removed = await patch(stream.id, { filters: [] });
      assert.equal(removed.statusCode, 202);
      assert.deepEqual(removed.json().filters, []);
      assert.deepEqual(storage.getDataStreamById(stream.id)!.filters, []);
      assert.equal(deliveryCalls.filter((call) => call.event === 'streamChanged').length, 3);
    });

    it('accepts fixed fields repeated with their current value', async () => {
      const stream = await create(S3_STREAM);

      const response = await patch(stream.id, {
        data_stream_type: { id: 1 },
        stream_historic_data: false,
        destination: {
          connection_type: 'S3',
          credentials: { region: 'eu-west-1', bucket_name: 'customer-bucket', role_arn: ROLE_ARN, prefix: '', flush_size: 50 },
        },
      });

      assert.equal(response.statusCode, 202, response.body);
      assert.equal(response.json().destination.credentials.flush_size, 50);
    });

    it('leaves a stream without a change untouched', async () => {
      const stream = await create(S3_STREAM);

      const response = await patch(stream.id, { name: S3_STREAM.name, status: { id: 1 } });

      assert.equal(response.statusCode, 202);
      assert.deepEqual(deliveryCalls, [], 'the worker is not reloaded');
    });

    it('masks secrets in the PATCH response', async () => {
      const stream = storage.createDataStream({
        organisation_id: organisations.a.id,
        name: 'webhook',
        data_stream_type: 2,
        status: 1,
        destination: {
          connection_type: 'RestAPI',
          url: 'https://hooks.example.com/datastreamer',
          method: 'POST',
          headers: ['Authorization: Bearer customer-secret'],
          size: 3000,
          signing_secret: 'whsec-customer-secret',
        },
        filters: [],
        stream_historic_data: false,
      });

      const response = await patch(stream.id, { name: 'renamed webhook' });

      assert.equal(response.statusCode, 202);
      assert.ok(!response.body.includes('customer-secret'), 'no secret in the response');
      assert.deepEqual(response.json().destination.credentials.headers, ['Authorization: ********']);
      assert.equal(response.json().destination.credentials.signing_secret, '********');
    });
  });

  describe('PATCH with invalid values', () => {
    const cases: { name: string; body: unknown; field: string; message?: RegExp; stream?: unknown }[] = [
      { name: 'flush_size 9', body: s3Credentials({ flush_size: 9 }), field: 'destination.credentials.flush_size', message: /from 10 to 100000, not 9/ },
      { name: 'flush_size 100001', body: s3Credentials({ flush_size: 100001 }), field: 'destination.credentials.flush_size', message: /not 100001/ },
      { name: 'flush_size as a string', body: s3Credentials({ flush_size: '500' }), field: 'destination.credentials.flush_size' },
      { name: 'rotate_interval 9999', body: s3Credentials({ rotate_interval: 9999 }), field: 'destination.credentials.rotate_interval', message: /from 10000 to 900000, not 9999/ },
      { name: 'rotate_interval 900001', body: s3Credentials({ rotate_interval: 900001 }), field: 'destination.credentials.rotate_interval', message: /not 900001/ },
      { name: 'format xml', body: s3Credentials({ format: 'xml' }), field: 'destination.credentials.format', message: /"csv", "jsonl", not "xml"/ },
      { name: 'destination format parquet', body: { destination: { format: 'parquet' } }, field: 'destination.format' },
      { name: 'destination format json on S3', body: { destination: { format: 'json' } }, field: 'destination.format', message: /"csv" or "jsonl"/ },
      {
        name: 'contradicting formats',
        body: s3Credentials({ format: 'csv' }, { format: 'jsonl' }),
        field: 'destination.credentials.format',
        message: /contradicts/,
      },
      { name: 'compression zip', body: s3Credentials({ compression: 'zip' }), field: 'destination.credentials.compression' },
      { name: 'encryption DES', body: s3Credentials({ server_side_encryption: 'DES' }), field: 'destination.credentials.server_side_encryption' },
      {
        name: 'aws:kms without kms_key_id',
        body: s3Credentials({ server_side_encryption: 'aws:kms' }),
        field: 'destination.credentials.kms_key_id',
        message: /required when server_side_encryption is "aws:kms"/,
      },
      {
        name: 'kms_key_id without aws:kms',
        body: s3Credentials({ kms_key_id: 'alias/datastreamer' }),
        field: 'destination.credentials.kms_key_id',
        message: /applies only with server_side_encryption "aws:kms"/,
      },
      { name: 'empty kms_key_id', body: s3Credentials({ server_side_encryption: 'aws:kms', kms_key_id: '' }), field: 'destination.credentials.kms_key_id' },
      { name: 'empty name', body: { name: '' }, field: 'name' },
      { name: 'name over 255 characters', body: { name: 'n'.repeat(256) }, field: 'name', message: /1 to 255 characters/ },
      { name: 'filters on a usage stream', body: { filters: [{ field: 'event_type_id', value: [1] }] }, field: 'filters', message: /only to streams with events/ },
      {
        name: 'unknown event type id',
        body: { filters: [{ field: 'event_type_id', value: [1, 24] }] },
        field: 'filters.0.value',
        message: /unknown event type id\(s\) 24/,
        stream: KINESIS_STREAM,
      },
      { name: 'unknown filter field', body: { filters: [{ field: 'imsi', value: [1] }] }, field: 'filters.0.field', stream: KINESIS_STREAM },
      { name: 'empty body', body: {}, field: '', message: /contains no change/ },
      { name: 'status 3', body: { status: { id: 3 } }, field: 'status.id', message: /cannot be set to 3 \(Error\)/ },
      { name: 'status 4', body: { status: { id: 4 } }, field: 'status.id', message: /cannot be set to 4 \(Pending\)/ },
      { name: 'status 7', body: { status: { id: 7 } }, field: 'status.id', message: /must be 1 \(resume\) or 2 \(pause\), not 7/ },
      { name: 'status as a number', body: { status: 2 }, field: 'status', message: /must be an object/ },
      {
        name: 'S3 setting on a Kinesis stream',
        body: s3Credentials({ flush_size: 100 }),
        field: 'destination.credentials.flush_size',
        message: /applies only to S3 streams/,
        stream: KINESIS_STREAM,
      },
      { name: 'csv format on a Kinesis stream', body: { destination: { format: 'csv' } }, field: 'destination.format', message: /must be "json"/, stream: KINESIS_STREAM },
    ];

    for (const testCase of cases) {
      it(`rejects ${testCase.name} with 422`, async () => {
        const stream = await create(testCase.stream ?? S3_STREAM);
        const before = storage.getDataStreamById(stream.id);

        const response = await patch(stream.id, testCase.body);

        assert.equal(response.statusCode, 422, response.body);
        assert.equal(response.json().error_token, 'validation_failed');
        assert.ok(fieldsOf(response).includes(testCase.field), `errors name ${testCase.field}: ${response.body}`);
        if (testCase.message) assert.match(messageFor(response, testCase.field), testCase.message);
        assert.deepEqual(storage.getDataStreamById(stream.id), before, 'nothing changed');
        assert.deepEqual(deliveryCalls, []);
      });
    }

    it('lists every format problem of a patch at once', async () => {
      const stream = await create(S3_STREAM);

      const response = await patch(stream.id, { name: '', colour: 'blue', ...s3Credentials({ flush_size: 9, rotate_interval: 900001 }) });

      assert.equal(response.statusCode, 422);
      assert.deepEqual(fieldsOf(response).sort(), ['colour', 'destination.credentials.flush_size', 'destination.credentials.rotate_interval', 'name']);
    });

    it('lists every rule broken by a well-formed patch at once', async () => {
      const stream = await create(S3_STREAM);

      const response = await patch(stream.id, {
        filters: [{ field: 'event_type_id', value: [1] }],
        status: { id: 3 },
        ...s3Credentials({ bucket_name: 'other-bucket', server_side_encryption: 'aws:kms' }),
      });

      assert.equal(response.statusCode, 422);
      assert.deepEqual(fieldsOf(response).sort(), ['destination.credentials.bucket_name', 'destination.credentials.kms_key_id', 'filters', 'status.id']);
    });
  });

  describe('PATCH of fixed fields', () => {
    const cases: { name: string; body: unknown; field: string; message: RegExp; stream?: unknown }[] = [
      {
        name: 'connection_type',
        body: { destination: { connection_type: 'AwsKinesis' } },
        field: 'destination.connection_type',
        message: /create a new stream to change the destination/,
      },
      { name: 'bucket_name', body: s3Credentials({ bucket_name: 'other-bucket' }), field: 'destination.credentials.bucket_name', message: /create a new stream/ },
      {
        name: 'role_arn',
        body: s3Credentials({ role_arn: 'arn:aws:iam::222222222222:role/other' }),
        field: 'destination.credentials.role_arn',
        message: /create a new stream/,
      },
      { name: 'region', body: s3Credentials({ region: 'us-east-1' }), field: 'destination.credentials.region', message: /cannot be changed/ },
      { name: 'prefix', body: s3Credentials({ prefix: 'exports/' }), field: 'destination.credentials.prefix', message: /cannot be changed/ },
      {
        name: 'Kinesis stream_name',
        body: s3Credentials({ stream_name: 'other-stream' }),
        field: 'destination.credentials.stream_name',
        message: /create a new stream to change the destination/,
        stream: KINESIS_STREAM,
      },
      { name: 'data_stream_type', body: { data_stream_type: { id: 2 } }, field: 'data_stream_type', message: /create a new stream of the other type/ },
      { name: 'stream_historic_data', body: { stream_historic_data: true }, field: 'stream_historic_data', message: /create a new stream with the value you need/ },
      { name: 'an unknown property', body: { colour: 'blue' }, field: 'colour', message: /not a known property/ },
      { name: 'an unknown credential', body: s3Credentials({ bucket: 'other-bucket' }), field: 'destination.credentials.bucket', message: /not a known property/ },
      { name: 'the stream id', body: { id: 5 }, field: 'id', message: /not a known property/ },
    ];

    for (const testCase of cases) {
      it(`rejects a change of ${testCase.name} with 422`, async () => {
        const stream = await create(testCase.stream ?? S3_STREAM);
        const before = storage.getDataStreamById(stream.id);

        const response = await patch(stream.id, testCase.body);

        assert.equal(response.statusCode, 422, response.body);
        assert.deepEqual(fieldsOf(response), [testCase.field]);
        assert.match(messageFor(response, testCase.field), testCase.message);
        assert.deepEqual(storage.getDataStreamById(stream.id), before, 'nothing changed');
        assert.deepEqual(deliveryCalls, []);
      });
    }
  });

  describe('pause and resume', () => {
    it('pauses a Running stream and keeps its place', async () => {
      const stream = await create(KINESIS_STREAM);
      ingestEvents(3);
      const cursor = storage.getCursor(stream.id, 'event');

      const response = await patch(stream.id, { status: { id: 2 } });

      assert.equal(response.statusCode, 202);
      assert.deepEqual(response.json().status, { id: 2, description: 'Paused' });
      assert.equal(response.json().delivery.records_waiting, 3);
      assert.equal(storage.getCursor(stream.id, 'event'), cursor, 'the cursor stays');
      assert.deepEqual(deliveryCalls, [{ event: 'streamChanged', streamId: stream.id }]);
    });

    it('resumes a Paused stream', async () => {
      const stream = await create(KINESIS_STREAM);
      await patch(stream.id, { status: { id: 2 } });
      deliveryCalls.length = 0;

      const response = await patch(stream.id, { status: { id: 1 } });

      assert.equal(response.statusCode, 202);
      assert.deepEqual(response.json().status, { id: 1, description: 'Running' });
      assert.deepEqual(deliveryCalls, [{ event: 'streamChanged', streamId: stream.id }]);
    });

    it('resumes an Error stream and retries at once', async () => {
      const stream = await create(S3_STREAM);
      forceStatus(stream.id, StreamStatus.Error, LAST_ERROR);

      const response = await patch(stream.id, { status: { id: 1 } });

      assert.equal(response.statusCode, 202);
      assert.deepEqual(response.json().status, { id: 1, description: 'Running' });
      assert.deepEqual(response.json().delivery.last_error, LAST_ERROR, 'the last error stays visible');
      assert.deepEqual(deliveryCalls, [
        { event: 'streamChanged', streamId: stream.id },
        { event: 'retryNow', streamId: stream.id },
      ]);
    });

    it('pauses an Error stream', async () => {
      const stream = await create(S3_STREAM);
      forceStatus(stream.id, StreamStatus.Error, LAST_ERROR);

      const response = await patch(stream.id, { status: { id: 2 } });

      assert.equal(response.statusCode, 202);
      assert.equal(response.json().status.id, 2);
      assert.deepEqual(deliveryCalls, [{ event: 'streamChanged', streamId: stream.id }]);
    });

    it('changes settings and status in one request', async () => {
      const stream = await create(S3_STREAM);

      const response = await patch(stream.id, { name: 'paused for maintenance', status: { id: 2 }, ...s3Credentials({ flush_size: 200 }) });

      assert.equal(response.statusCode, 202, response.body);
      const stored = storage.getDataStreamById(stream.id)!;
      assert.equal(stored.name, 'paused for maintenance');
      assert.equal(stored.status, StreamStatus.Paused);
      assert.equal((stored.destination as { flush_size: number }).flush_size, 200);
    });

    it('answers 409 to a status change of a Pending stream', async () => {
      const stream = await create(S3_STREAM);
      forceStatus(stream.id, StreamStatus.Pending);

      for (const id of [1, 2]) {
        const response = await patch(stream.id, { status: { id } });

        assert.equal(response.statusCode, 409);
        assert.equal(response.json().error_token, 'stream_state_conflict');
        assert.match(response.json().message, /is Pending/);
        assert.match(response.json().message, /Retry when the check has finished/);
      }
      assert.equal(storage.getDataStreamById(stream.id)!.status, StreamStatus.Pending);
      assert.deepEqual(deliveryCalls, []);
    });

    it('renames a Pending stream', async () => {
      const stream = await create(S3_STREAM);
      forceStatus(stream.id, StreamStatus.Pending);

      const response = await patch(stream.id, { name: 'checked soon' });

      assert.equal(response.statusCode, 202);
      assert.equal(response.json().name, 'checked soon');
      assert.equal(response.json().status.id, StreamStatus.Pending);
    });
  });

  describe('restart', () => {
    it('moves an Error stream to Running and retries at once', async () => {
      const stream = await create(S3_STREAM);
      forceStatus(stream.id, StreamStatus.Error, LAST_ERROR);

      const response = await restart(stream.id);

      assert.equal(response.statusCode, 202);
      assert.deepEqual(response.json().status, { id: 1, description: 'Running' });
      assert.deepEqual(response.json().delivery.last_error, LAST_ERROR, 'the last error stays visible');
      assert.equal(storage.getDataStreamById(stream.id)!.status, StreamStatus.Running);
      assert.deepEqual(deliveryCalls, [
        { event: 'streamChanged', streamId: stream.id },
        { event: 'retryNow', streamId: stream.id },
      ]);
    });

    it('retries a Running stream at once', async () => {
      const stream = await create(S3_STREAM);

      const response = await restart(stream.id);

      assert.equal(response.statusCode, 202);
      assert.equal(response.json().status.id, 1);
      assert.deepEqual(deliveryCalls, [{ event: 'retryNow', streamId: stream.id }]);
    });

    it('answers 409 for a Paused stream', async () => {
      const stream = await create(S3_STREAM);
      await patch(stream.id, { status: { id: 2 } });
      deliveryCalls.length = 0;

      const response = await restart(stream.id);

      assert.equal(response.statusCode, 409);
      assert.equal(response.json().error_token, 'stream_state_conflict');
      assert.match(response.json().message, /is Paused/);
      assert.ok(response.json().message.includes(`PATCH /api/v2/data_stream/${stream.id} and the body {"status": {"id": 1}}`), response.body);
      assert.equal(storage.getDataStreamById(stream.id)!.status, StreamStatus.Paused);
      assert.deepEqual(deliveryCalls, []);
    });

    it('answers 409 for a Pending stream', async () => {
      const stream = await create(S3_STREAM);
      forceStatus(stream.id, StreamStatus.Pending);

      const response = await restart(stream.id);

      assert.equal(response.statusCode, 409);
      assert.match(response.json().message, /setup check/);
      assert.deepEqual(deliveryCalls, []);
    });
  });

  describe('DELETE', () => {
    it('answers 409 while the stream is Pending', async () => {
      const stream = await create(S3_STREAM);
      forceStatus(stream.id, StreamStatus.Pending);

      const response = await request('DELETE', `/api/v2/data_stream/${stream.id}`);

      assert.equal(response.statusCode, 409);
      assert.equal(response.json().error_token, 'stream_state_conflict');
      assert.match(response.json().message, /cannot be deleted now/);
      assert.match(response.json().message, /Retry when the check has finished/);
      assert.ok(storage.getDataStreamById(stream.id), 'the stream still exists');
      assert.deepEqual(deliveryCalls, []);
    });

    it('deletes a Paused stream', async () => {
      const stream = await create(S3_STREAM);
      await patch(stream.id, { status: { id: 2 } });

      const response = await request('DELETE', `/api/v2/data_stream/${stream.id}`);

      assert.equal(response.statusCode, 202);
      assert.equal(storage.getDataStreamById(stream.id), undefined);
    });
  });

  describe('organisation isolation', () => {
    const routes: { name: string; send: (id: number) => ReturnType<typeof request> }[] = [
      { name: 'GET', send: (id) => request('GET', `/api/v2/data_stream/${id}`, undefined, 'b') },
      { name: 'PATCH', send: (id) => patch(id, { name: 'taken over' }, 'b') },
      { name: 'PATCH of status', send: (id) => patch(id, { status: { id: 2 } }, 'b') },
      { name: 'DELETE', send: (id) => request('DELETE', `/api/v2/data_stream/${id}`, undefined, 'b') },
      { name: 'restart', send: (id) => restart(id, 'b') },
    ];

    for (const route of routes) {
      it(`answers 404 to another organisation's ${route.name}`, async () => {
        const stream = await create(S3_STREAM);
        forceStatus(stream.id, StreamStatus.Error, LAST_ERROR);
        const before = storage.getDataStreamById(stream.id);

        const response = await route.send(stream.id);

        assert.equal(response.statusCode, 404);
        assert.equal(response.json().error_token, 'data_stream_not_found');
        assert.deepEqual(storage.getDataStreamById(stream.id), before, 'the stream is unchanged');
        assert.deepEqual(deliveryCalls, []);
      });
    }
  });

  describe('stream ids', () => {
    for (const id of ['0x10', '1e3', '12abc', '-1']) {
      it(`rejects the id ${id} with 422`, async () => {
        const response = await request('GET', `/api/v2/data_stream/${id}`);

        assert.equal(response.statusCode, 422);
        assert.deepEqual(fieldsOf(response), ['id']);
      });
    }

    it('answers 404 for an unknown id on PATCH and restart', async () => {
      assert.equal((await patch(999999, { name: 'x' })).statusCode, 404);
      assert.equal((await restart(999999)).statusCode, 404);
    });
  });

  describe('lookup lists', () => {
    const expected: Record<string, { id: number; description: string }[]> = {
      status: [
        { id: 1, description: 'Running' },
        { id: 2, description: 'Paused' },
        { id: 3, description: 'Error' },
        { id: 4, description: 'Pending' },
      ],
      type: [
        { id: 1, description: 'Usage' },
        { id: 2, description: 'Event' },
        { id: 3, description: 'Usage & Events' },
      ],
      connection_type: [
        { id: 1, description: 'S3' },
        { id: 2, description: 'AwsKinesis' },
        { id: 3, description: 'RestAPI' },
      ],
      filter_field_type: [{ id: 1, description: 'event_type_id' }],
    };

    for (const [name, entries] of Object.entries(expected)) {
      it(`serves /api/v2/data_stream/${name}`, async () => {
        const response = await request('GET', `/api/v2/data_stream/${name}`);

        assert.equal(response.statusCode, 200);
        assert.deepEqual(response.json(), entries);
      });
    }

    it('requires an auth token', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/v2/data_stream/status' });

      assert.equal(response.statusCode, 401);
    });
  });

  describe('GET /api/v1/event/type', () => {
    it('serves the event type catalogue', async () => {
      const response = await request('GET', '/api/v1/event/type');

      assert.equal(response.statusCode, 200);
      const types = response.json();
      assert.deepEqual(types, EVENT_TYPES);
      assert.equal(types.length, 43);
      assert.deepEqual(types[0], { id: 0, description: 'Generic' });
      assert.deepEqual(types.at(-1), { id: 69, description: 'SIM migration' });
      assert.ok(!types.some((type: { id: number }) => type.id === 24), 'id 24 is not an event type');
    });

    it('requires an auth token', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/v1/event/type' });

      assert.equal(response.statusCode, 401);
    });
  });
});
