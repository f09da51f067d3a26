import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { issueApplicationToken } from '../src/auth/index.js';
import { countDeliveries } from '../src/demo/delivery-check.js';
import { startLocalAws, type LocalAws } from '../src/emulators/local-aws.js';
import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import { sampleUsage } from './fixtures.js';
import { childEnvironment, freePort, ServiceProcess } from './reliability/support/service-process.js';
import { ADMIN_TOKEN, CUSTOMER_ACCOUNT, waitFor } from './support/harness.js';

const BUCKET = 'crash-bucket';
const KINESIS_STREAM = 'crash-stream';
const KILLS = 4;
const RECORDS = 3000;

describe('service killed with SIGKILL during delivery', () => {
  let aws: LocalAws;
  let directory: string;
  let child: ServiceProcess | undefined;
  let baseUrl: string;
  let environment: Record<string, string>;

  before(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'datastreamer-crash-'));
    aws = await startLocalAws({ directory: path.join(directory, 's3') });
    await aws.createBucket(BUCKET);
    await aws.createKinesisStream(KINESIS_STREAM, 2);

    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    environment = childEnvironment(aws, path.join(directory, 'crash.db'), port);
  });

  after(async () => {
    await child?.stop('SIGKILL');
    await aws.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('loses nothing and duplicates no S3 record', async (t) => {
    const storage = new SqliteStorage(environment.DATASTREAMER_DATABASE);
    const organisation = storage.createOrganisation('Crashy');
    const { token } = issueApplicationToken(storage, organisation.id, 'crash test');
    storage.close();

    const roleArn = `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/crashy`;
    aws.addCustomerRole({
      roleArn,
      externalId: `org-${organisation.id}`,
      permissions: [
        { action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}/*` },
        { action: 'kinesis:PutRecords', resource: `arn:aws:kinesis:${aws.region}:${CUSTOMER_ACCOUNT}:stream/${KINESIS_STREAM}` },
      ],
    });

    child = await ServiceProcess.start(environment, baseUrl);
    const auth = await api('POST', '/api/v1/authenticate', { application_token: token });
    const authToken = (auth as { auth_token: string }).auth_token;
    const s3Stream = (await api('POST', '/api/v2/data_stream', {
      data_stream_type: { id: 1 },
      destination: { connection_type: 'S3', credentials: { region: aws.region, bucket_name: BUCKET, role_arn: roleArn, flush_size: 10 } },
    }, authToken)) as { id: number };
    const kinesisStream = (await api('POST', '/api/v2/data_stream', {
      data_stream_type: { id: 1 },
      destination: { connection_type: 'AwsKinesis', credentials: { region: aws.region, stream_name: KINESIS_STREAM, role_arn: roleArn } },
    }, authToken)) as { id: number };

    const records = Array.from({ length: RECORDS }, (_, index) => sampleUsage({ id: 10_000 + index, organisation_id: organisation.id }));
    for (let start = 0; start < records.length; start += 500) {
      await api('POST', '/api/v1/ingest/usage', records.slice(start, start + 500), ADMIN_TOKEN);
    }

    // Kill the service at random moments while it delivers, and start it again.
    const waitingAtKills: number[] = [];
    let kills = 0;
    while (kills < KILLS) {
      await sleep(100 + Math.random() * 400);
      const s3View = (await api('GET', `/api/v2/data_stream/${s3Stream.id}`, undefined, authToken)) as { delivery: { records_waiting: number } };
      waitingAtKills.push(s3View.delivery.records_waiting);
      await child.stop('SIGKILL');
      kills += 1;
      child = await ServiceProcess.start(environment, baseUrl);
    }

    const done = await waitFor(async () => {
      const streams = await Promise.all([s3Stream.id, kinesisStream.id].map((id) => api('GET', `/api/v2/data_stream/${id}`, undefined, authToken)));
      return streams.every((stream) => (stream as { delivery: { records_waiting: number } }).delivery.records_waiting === 0);
    }, 60_000, 250);
    assert.ok(done, 'both streams caught up after the last restart');

    t.diagnostic(`S3 records waiting at each kill: ${waitingAtKills.join(', ')}`);
    assert.ok(waitingAtKills[0] > 0, 'the first kill hit the service while it still had records to deliver');

    const expected = { usage: records.map((record) => record.id), event: [] };
    const s3 = await countDeliveries.fromS3(aws, BUCKET, await aws.listAllObjects(BUCKET), expected);
    assert.equal(s3.missing, 0, 'no record missing in S3');
    assert.equal(s3.duplicated, 0, 'no record in two S3 objects');
    assert.equal(s3.unexpected, 0);

    const kinesis = await countDeliveries.fromKinesis(aws, KINESIS_STREAM, expected);
    assert.equal(kinesis.missing, 0, 'no record missing in Kinesis');
    assert.equal(kinesis.unexpected, 0);
    // At least once: only batches in flight at a kill (at most 500 records each) may repeat.
    assert.ok(kinesis.duplicated <= KILLS * 500, `Kinesis duplicates (${kinesis.duplicated}) come only from in-flight batches`);
    t.diagnostic(`kills: ${kills}; S3 objects: ${(await aws.listAllObjects(BUCKET)).length}; Kinesis duplicates: ${kinesis.duplicated}`);
  });

  async function api(method: string, url: string, body?: unknown, token?: string): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${baseUrl}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${url} failed with ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }
});
