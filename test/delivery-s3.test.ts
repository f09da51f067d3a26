import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';

import { CHECK_OBJECT_NAME } from '../src/aws/setup-check-writes.js';
import { EVENT_COLUMNS, USAGE_COLUMNS } from '../src/records/columns.js';
import { sampleEvent, sampleUsage } from './fixtures.js';
import { Harness, waitFor } from './support/harness.js';

const BUCKET = 'customer-bucket';

describe('S3 delivery', () => {
  let harness: Harness;
  let organisation: { id: number; name: string; authToken: string };
  let roleArn: string;

  /** Keys of delivered files under a prefix, leaving out the setup check object. */
  async function fileKeys(prefix: string): Promise<string[]> {
    return (await harness.aws.listAllObjects(BUCKET)).filter((key) => key.startsWith(prefix) && !key.endsWith(CHECK_OBJECT_NAME));
  }


  before(async () => {
    harness = await Harness.start();
    await harness.aws.createBucket(BUCKET);
    organisation = await harness.createOrganisation('Acme IoT');
    roleArn = harness.addCustomerRole(organisation.id, 'acme-s3', { bucket: BUCKET });
  });

  after(async () => {
    await harness.close();
  });

  it('delivers every usage record exactly once through the assumed role', async () => {
    const stream = await harness.createStream(organisation.authToken, {
      name: 'usage to S3',
      data_stream_type: { id: 1 },
      destination: {
        connection_type: 'S3',
        credentials: { region: harness.aws.region, bucket_name: BUCKET, role_arn: roleArn, prefix: 'usage-test/', flush_size: 10, rotate_interval: 10000 },
      },
    });

    const records = Array.from({ length: 35 }, (_, index) => sampleUsage({ id: 1000 + index, organisation_id: organisation.id }));
    const result = await harness.ingest('usage', records);
    assert.equal(result.accepted, 35);

    // 35 records with flush_size 10: three full files at once, the last 5 after rotate_interval.
    const delivered = await waitFor(async () => (await harness.getStream(organisation.authToken, stream.id)).delivery.records_delivered === 35, 20_000);
    assert.ok(delivered, 'all 35 records delivered within 20 s');

    const keys = await fileKeys('usage-test/');
    assert.equal(keys.length, 4);
    for (const key of keys) {
      assert.match(key, new RegExp(`^usage-test/usage/\\d{4}/\\d{2}/\\d{2}/\\d{2}/${stream.id}-\\d+-\\d+\\.csv$`));
    }

    const ids: number[] = [];
    for (const key of keys) {
      const rows = parse(await harness.aws.getObjectText(BUCKET, key), { columns: true }) as Record<string, string>[];
      assert.ok(rows.length <= 10, `${key} holds at most flush_size records`);
      ids.push(...rows.map((row) => Number(row.id)));
    }
    assert.deepEqual(
      ids.sort((a, b) => a - b),
      records.map((record) => record.id),
    );

    const putRequests = harness.aws.s3Gate.requests.filter((request) => request.action === 's3:PutObject' && request.resource.includes('usage-test/usage/'));
    assert.ok(putRequests.length >= 4);
    for (const request of putRequests) {
      assert.match(request.principal, /assumed-role\/acme-s3\/datastreamer-org-/, 'uploads use the assumed role, not the service identity');
      assert.notEqual(request.accessKeyId, harness.aws.operator.accessKeyId);
      assert.equal(request.allowed, true);
    }
  });

  it('leaves the documented setup check object', async () => {
    const keys = (await harness.aws.listAllObjects(BUCKET)).filter((key) => key.endsWith(CHECK_OBJECT_NAME));
    assert.ok(keys.includes(`usage-test/${CHECK_OBJECT_NAME}`), 'the check object sits under the stream prefix');
    assert.match(await harness.aws.getObjectText(BUCKET, `usage-test/${CHECK_OBJECT_NAME}`), /datastreamer/);
  });

  it('writes CSV with the exact columns and tricky values', async () => {
    const stream = await harness.createStream(organisation.authToken, {
      data_stream_type: { id: 2 },
      destination: {
        connection_type: 'S3',
        credentials: { region: harness.aws.region, bucket_name: BUCKET, role_arn: roleArn, prefix: 'events-test/', flush_size: 10 },
      },
    });

    const tricky = [
      'comma, inside',
      'double "quotes" inside',
      'line\nbreak and\r\nCRLF',
      'Zürich – 東京 – 🚀',
    ];
    const events = tricky.map((description, index) =>
      sampleEvent({ id: 5000 + index, organisation_id: organisation.id, description }),
    );
    events.push(...Array.from({ length: 6 }, (_, index) => sampleEvent({ id: 6000 + index, organisation_id: organisation.id })));
    await harness.ingest('events', events);

    const ready = await waitFor(async () => (await harness.getStream(organisation.authToken, stream.id)).delivery.records_delivered === 10);
    assert.ok(ready);

    const keys = await fileKeys('events-test/');
    assert.equal(keys.length, 1);
    const text = await harness.aws.getObjectText(BUCKET, keys[0]);
    const [header, ...rows] = parse(text) as string[][];
    assert.deepEqual(header, [...EVENT_COLUMNS]);
    assert.equal(rows.length, 10);

    const descriptionColumn = header.indexOf('description');
    assert.deepEqual(
      rows.slice(0, 4).map((row) => row[descriptionColumn]),
      tricky,
    );
    const idColumn = header.indexOf('id');
    assert.deepEqual(
      rows.map((row) => Number(row[idColumn])),
      events.map((event) => event.id),
    );
  });

  it('writes gzip JSON lines when asked', async () => {
    const stream = await harness.createStream(organisation.authToken, {
      data_stream_type: { id: 1 },
      destination: {
        connection_type: 'S3',
        format: 'jsonl',
        credentials: { region: harness.aws.region, bucket_name: BUCKET, role_arn: roleArn, prefix: 'jsonl-test/', flush_size: 10, compression: 'gzip' },
      },
    });
    const records = Array.from({ length: 10 }, (_, index) => sampleUsage({ id: 9000 + index, organisation_id: organisation.id }));
    await harness.ingest('usage', records);

    assert.ok(await waitFor(async () => (await harness.getStream(organisation.authToken, stream.id)).delivery.records_delivered === 10));
    const keys = await fileKeys('jsonl-test/');
    assert.equal(keys.length, 1);
    assert.match(keys[0], /\.jsonl\.gz$/);

    const lines = (await harness.aws.getObjectText(BUCKET, keys[0])).trimEnd().split('\n');
    assert.deepEqual(
      lines.map((line) => JSON.parse(line)),
      records,
    );
  });

  it('usage CSV header matches the usage columns', async () => {
    const keys = await fileKeys('usage-test/');
    const [header] = parse(await harness.aws.getObjectText(BUCKET, keys[0])) as string[][];
    assert.deepEqual(header, [...USAGE_COLUMNS]);
  });
});
