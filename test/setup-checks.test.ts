import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

import { AwsClientFactory } from '../src/aws/clients.js';
import { permissionsPolicy, type AwsDestination } from '../src/aws/policies.js';
import { runSetupCheck, type SetupCheckDeps } from '../src/aws/setup-check.js';
import type { Permission } from '../src/emulators/iam.js';
import { CUSTOMER_ACCOUNT, Harness } from './support/harness.js';

// A fresh STS session per check is asserted by counting AssumeRole calls, so every test uses its own role.
const BUCKET = 'setup-check-bucket';
const FAR_BUCKET = 'setup-check-far-bucket';
const ACL_BUCKET = 'setup-check-acl-bucket';
const STREAM = 'setup-check-stream';
const PREFIX = 'exports/';
const KMS_KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const CHECK_KEY = `${PREFIX}datastreamer-setup-check.txt`;

interface ErrorResponse {
  error_code: number;
  error_token: string;
  message: string;
  errors: { field: string; message: string }[];
  diagnosis: { code: string; message: string };
}

interface CheckResponse {
  ok: boolean;
  checks: { name: string; resource: string; message: string }[];
}

describe('AWS setup check', () => {
  let harness: Harness;
  let organisation: { id: number; authToken: string };
  let roleCount = 0;

  /** Adds a role in the customer account that trusts the operator with org-<id> and has these permissions. */
  function addRole(permissions: Permission[], trust: { externalId?: string; principal?: string } = {}): string {
    roleCount += 1;
    const roleArn = `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/setup-check-${roleCount}`;
    harness.aws.iam.putRole({
      arn: roleArn,
      trustedPrincipals: [trust.principal ?? harness.aws.operator.principalArn],
      externalIds: [trust.externalId ?? `org-${organisation.id}`],
      permissions,
    });
    return roleArn;
  }

  /** Adds a role whose permissions are exactly the statements of the permissions policy that datastreamer hands out. */
  function addRoleFromPolicy(destination: Omit<AwsDestination, 'role_arn'>): string {
    roleCount += 1;
    const roleArn = `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/setup-check-${roleCount}`;
    const policy = permissionsPolicy({ ...destination, role_arn: roleArn } as AwsDestination);
    const permissions = policy.Statement.flatMap((statement) =>
      [statement.Action].flat().map((action) => ({ action, resource: statement.Resource ?? '*' })),
    );
    harness.aws.iam.putRole({ arn: roleArn, trustedPrincipals: [harness.aws.operator.principalArn], externalIds: [`org-${organisation.id}`], permissions });
    return roleArn;
  }

  function s3Credentials(roleArn: string, extra: Record<string, unknown> = {}) {
    return { region: harness.aws.region, bucket_name: BUCKET, prefix: PREFIX, role_arn: roleArn, ...extra };
  }

  function s3Write(bucket = BUCKET): Permission[] {
    return [{ action: 's3:PutObject', resource: `arn:aws:s3:::${bucket}/${PREFIX}*` }];
  }

  function kinesisWrite(streamName = STREAM): Permission[] {
    const streamArn = `arn:aws:kinesis:${harness.aws.region}:${CUSTOMER_ACCOUNT}:stream/${streamName}`;
    return [
      { action: 'kinesis:PutRecord', resource: streamArn },
      { action: 'kinesis:PutRecords', resource: streamArn },
    ];
  }

  async function check(credentials: Record<string, unknown>, connectionType: 'S3' | 'AwsKinesis' = 'S3') {
    return harness.request('POST', '/api/v2/data_stream/check', {
      token: organisation.authToken,
      body: { data_stream_type: { id: 1 }, destination: { connection_type: connectionType, credentials } },
    });
  }

  async function expectDiagnosis(
    credentials: Record<string, unknown>,
    connectionType: 'S3' | 'AwsKinesis',
    expected: { code: string; field: string },
  ): Promise<ErrorResponse> {
    const response = await check(credentials, connectionType);
    const body = response.body as ErrorResponse;

    assert.equal(response.status, 422, JSON.stringify(body));
    assert.equal(body.error_token, 'setup_check_failed');
    assert.equal(body.error_code, 1007);
    assert.equal(body.diagnosis.code, expected.code);
    assert.deepEqual(body.errors, [{ field: expected.field, message: body.diagnosis.message }]);
    assert.ok(body.message.includes(body.diagnosis.message), 'the error message contains the diagnosis');
    return body;
  }

  before(async () => {
    harness = await Harness.start();
    organisation = await harness.createOrganisation('Setup Check Org');
    await harness.aws.createBucket(BUCKET);
    await harness.aws.createBucket(FAR_BUCKET, 'us-west-2');
    await harness.aws.createBucket(ACL_BUCKET);
    harness.aws.setBucketRefusesAcls(ACL_BUCKET);
    await harness.aws.createKinesisStream(STREAM, 1);
  });

  after(async () => {
    await harness.close();
  });

  afterEach(() => {
    harness.aws.s3Gate.setFault(null);
    harness.aws.iam.disabledRegions.clear();
  });

  describe('passing checks', () => {
    it('writes the documented check object to S3', async () => {
      const roleArn = addRole(s3Write());

      const response = await check(s3Credentials(roleArn));

      assert.equal(response.status, 200, JSON.stringify(response.body));
      const body = response.body as CheckResponse;
      assert.equal(body.ok, true);
      assert.deepEqual(
        body.checks.map((step) => [step.name, step.resource]),
        [
          ['assume_role', roleArn],
          ['s3_put_object', `arn:aws:s3:::${BUCKET}/${CHECK_KEY}`],
        ],
      );
      const text = await harness.aws.getObjectText(BUCKET, CHECK_KEY);
      assert.match(text, /^datastreamer wrote this object to verify that it can deliver files to this bucket\./);
      assert.match(text, new RegExp(`^Organisation: ${organisation.id}$`, 'm'));
      assert.match(text, new RegExp(`^Role: ${roleArn}$`, 'm'));
      assert.match(text, /^Checked at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/m);
    });

    it('writes the check record to Kinesis', async () => {
      const roleArn = addRole(kinesisWrite());
      const before = (await harness.aws.readAllKinesisRecords(STREAM)).length;

      const response = await check({ region: harness.aws.region, stream_name: STREAM, role_arn: roleArn }, 'AwsKinesis');

      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(
        (response.body as CheckResponse).checks.map((step) => step.name),
        ['assume_role', 'kinesis_put_records'],
      );
      const records = await harness.aws.readAllKinesisRecords(STREAM);
      assert.equal(records.length, before + 1);
      const record = records[records.length - 1];
      assert.equal(record.partitionKey, 'datastreamer-setup-check');
      const data = JSON.parse(record.data.toString('utf8')) as Record<string, unknown>;
      assert.equal(data.datastreamer_setup_check, true);
      assert.equal(data.organisation_id, organisation.id);
      assert.match(String(data.checked_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('passes with handed-out SSE-KMS policy', async () => {
      const destination = {
        connection_type: 'S3' as const,
        region: harness.aws.region,
        bucket_name: BUCKET,
        prefix: PREFIX,
        flush_size: 10_000,
        rotate_interval: 10_000,
        format: 'csv' as const,
        compression: 'none' as const,
        server_side_encryption: 'aws:kms' as const,
        kms_key_id: KMS_KEY_ID,
      };
      const roleArn = addRoleFromPolicy(destination);

      const response = await check(s3Credentials(roleArn, { server_side_encryption: 'aws:kms', kms_key_id: KMS_KEY_ID }));

      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    it('creates no data stream', async () => {
      const roleArn = addRole(s3Write());

      const response = await check(s3Credentials(roleArn));
      const list = await harness.request('GET', '/api/v2/data_stream', { token: organisation.authToken });

      assert.equal(response.status, 200);
      assert.deepEqual(list.body, []);
    });

    it('passes on bucket refusing ACLs', async () => {
      const roleArn = addRole(s3Write(ACL_BUCKET));

      const response = await check(s3Credentials(roleArn, { bucket_name: ACL_BUCKET }));

      assert.equal(response.status, 200, JSON.stringify(response.body));
    });
  });

  describe('trust relationship', () => {
    it('diagnoses a missing role', async () => {
      const roleArn = `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/does-not-exist`;

      const body = await expectDiagnosis(s3Credentials(roleArn), 'S3', { code: 'role_not_assumable', field: 'destination.credentials.role_arn' });

      assert.ok(body.diagnosis.message.includes(roleArn), 'names the role');
      assert.ok(body.diagnosis.message.includes(`org-${organisation.id}`), 'names the external id');
      assert.ok(body.diagnosis.message.includes(harness.aws.operator.principalArn), 'names the operator principal');
      assert.match(body.diagnosis.message, /does not exist/);
      assert.match(body.diagnosis.message, /trust relationship/);
    });

    it('diagnoses a role trusting another principal', async () => {
      const roleArn = addRole(s3Write(), { principal: 'arn:aws:iam::333333333333:role/someone-else' });

      const body = await expectDiagnosis(s3Credentials(roleArn), 'S3', { code: 'role_not_assumable', field: 'destination.credentials.role_arn' });

      assert.ok(body.diagnosis.message.includes(harness.aws.operator.principalArn), 'names the operator principal');
      assert.ok(body.diagnosis.message.includes(`org-${organisation.id}`), 'names the external id');
    });

    it('diagnoses wrong external id until fixed', async () => {
      const roleArn = addRole(s3Write(), { externalId: 'org-999999' });

      const body = await expectDiagnosis(s3Credentials(roleArn), 'S3', { code: 'role_not_assumable', field: 'destination.credentials.role_arn' });
      assert.ok(body.diagnosis.message.includes(`sts:ExternalId org-${organisation.id}`), 'names the expected external id');

      harness.aws.addCustomerRole({ roleArn, externalId: `org-${organisation.id}`, permissions: s3Write() });
      const fixed = await check(s3Credentials(roleArn));

      assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
      assert.equal(harness.aws.sts.assumeRoleCount(roleArn), 2, 'each check assumes the role again');
    });

    it('diagnoses STS disabled in the region', async () => {
      const roleArn = addRole(s3Write());
      harness.aws.iam.disabledRegions.add('eu-central-1');

      const body = await expectDiagnosis(s3Credentials(roleArn, { region: 'eu-central-1' }), 'S3', {
        code: 'sts_region_disabled',
        field: 'destination.credentials.region',
      });

      assert.match(body.diagnosis.message, /STS is not activated in region eu-central-1/);
      assert.match(body.diagnosis.message, /Security Token Service \(STS\) endpoints/);
    });
  });

  describe('S3', () => {
    it('diagnoses a missing bucket', async () => {
      const roleArn = addRole(s3Write('no-such-bucket'));

      const body = await expectDiagnosis(s3Credentials(roleArn, { bucket_name: 'no-such-bucket' }), 'S3', {
        code: 'bucket_not_found',
        field: 'destination.credentials.bucket_name',
      });

      assert.match(body.diagnosis.message, /Bucket no-such-bucket does not exist/);
      assert.match(body.diagnosis.message, /Create it in region eu-west-1, or correct bucket_name/);
    });

    it('diagnoses a bucket in another region', async () => {
      const roleArn = addRole(s3Write(FAR_BUCKET));

      const body = await expectDiagnosis(s3Credentials(roleArn, { bucket_name: FAR_BUCKET }), 'S3', {
        code: 'bucket_wrong_region',
        field: 'destination.credentials.region',
      });

      assert.match(body.diagnosis.message, /is in region us-west-2, not in eu-west-1/);
      assert.match(body.diagnosis.message, /Set region to us-west-2/);
    });

    it('diagnoses PermanentRedirect as another region (fault stub)', async () => {
      const roleArn = addRole(s3Write());
      // Fault stub: S3's 301 for a request sent to another region's endpoint; the single local endpoint cannot produce it.
      harness.aws.s3Gate.setFault(({ action }) =>
        action === 's3:PutObject'
          ? {
              status: 301,
              headers: { 'content-type': 'application/xml', 'x-amz-bucket-region': 'ap-southeast-2' },
              body:
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access ' +
                'must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message>' +
                `<Endpoint>${BUCKET}.s3.ap-southeast-2.amazonaws.com</Endpoint><Bucket>${BUCKET}</Bucket></Error>`,
            }
          : undefined,
      );

      const body = await expectDiagnosis(s3Credentials(roleArn), 'S3', { code: 'bucket_wrong_region', field: 'destination.credentials.region' });

      assert.match(body.diagnosis.message, /is not in region eu-west-1/);
    });

    it('diagnoses a missing s3:PutObject permission', async () => {
      const roleArn = addRole([{ action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}/elsewhere/*` }]);

      const body = await expectDiagnosis(s3Credentials(roleArn), 'S3', { code: 's3_put_object_denied', field: 'destination.credentials.role_arn' });

      assert.ok(body.diagnosis.message.includes(`Allow s3:PutObject on arn:aws:s3:::${BUCKET}/${PREFIX}* to the role`), body.diagnosis.message);
    });

    it('diagnoses a missing KMS permission', async () => {
      const roleArn = addRole(s3Write());

      const body = await expectDiagnosis(s3Credentials(roleArn, { server_side_encryption: 'aws:kms', kms_key_id: KMS_KEY_ID }), 'S3', {
        code: 'kms_access_denied',
        field: 'destination.credentials.kms_key_id',
      });

      assert.ok(body.diagnosis.message.includes(`KMS key ${KMS_KEY_ID}`), 'names the key');
      assert.match(body.diagnosis.message, /Allow kms:GenerateDataKey on the key to the role/);
    });

    it('diagnoses a bucket refusing ACLs (fault stub)', async () => {
      const roleArn = addRole(s3Write());
      // Fault stub: datastreamer sends no ACL, so the bucket rule of the gate never rejects its uploads.
      harness.aws.s3Gate.setFault(({ action }) =>
        action === 's3:PutObject'
          ? {
              status: 400,
              headers: { 'content-type': 'application/xml' },
              body:
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessControlListNotSupported</Code>' +
                '<Message>The bucket does not allow ACLs</Message></Error>',
            }
          : undefined,
      );

      const body = await expectDiagnosis(s3Credentials(roleArn), 'S3', {
        code: 'bucket_acl_not_supported',
        field: 'destination.credentials.bucket_name',
      });

      assert.match(body.diagnosis.message, /Bucket owner enforced/);
      assert.match(body.diagnosis.message, /datastreamer itself sends no ACL/);
    });

    it('answers 503 for a throttled upload (fault stub)', async () => {
      const roleArn = addRole(s3Write());
      // Fault stub: S3 throttling cannot be caused on s3rver.
      harness.aws.s3Gate.setFault(({ action }) =>
        action === 's3:PutObject'
          ? {
              status: 503,
              headers: { 'content-type': 'application/xml' },
              body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
            }
          : undefined,
      );

      const response = await check(s3Credentials(roleArn));
      const body = response.body as ErrorResponse;

      assert.equal(response.status, 503);
      assert.equal(body.error_token, 'setup_check_unavailable');
      assert.equal(body.diagnosis.code, 'throttled');
      assert.match(body.message, /Retry later\.$/);
    });
  });

  describe('Kinesis', () => {
    it('diagnoses a missing stream', async () => {
      const roleArn = addRole(kinesisWrite('no-such-stream'));

      const body = await expectDiagnosis({ region: harness.aws.region, stream_name: 'no-such-stream', role_arn: roleArn }, 'AwsKinesis', {
        code: 'kinesis_stream_not_found',
        field: 'destination.credentials.stream_name',
      });

      assert.match(body.diagnosis.message, /Kinesis stream no-such-stream does not exist in region eu-west-1/);
    });

    it('diagnoses stream in other region', async () => {
      const streamArn = `arn:aws:kinesis:us-east-1:${CUSTOMER_ACCOUNT}:stream/${STREAM}`;
      const roleArn = addRole([{ action: 'kinesis:PutRecords', resource: streamArn }]);

      const body = await expectDiagnosis({ region: 'us-east-1', stream_name: STREAM, role_arn: roleArn }, 'AwsKinesis', {
        code: 'kinesis_stream_not_found',
        field: 'destination.credentials.stream_name',
      });

      assert.match(body.diagnosis.message, /does not exist in region us-east-1/);
    });

    it('diagnoses a missing kinesis:PutRecords permission', async () => {
      const roleArn = addRole([{ action: 'kinesis:PutRecord', resource: kinesisWrite()[0].resource }]);

      const body = await expectDiagnosis({ region: harness.aws.region, stream_name: STREAM, role_arn: roleArn }, 'AwsKinesis', {
        code: 'kinesis_put_records_denied',
        field: 'destination.credentials.role_arn',
      });

      assert.match(body.diagnosis.message, /Allow kinesis:PutRecord and kinesis:PutRecords on the stream to the role/);
    });
  });

  describe('formats', () => {
    let clients: AwsClientFactory;
    let deps: SetupCheckDeps;

    before(() => {
      clients = new AwsClientFactory(awsEndpoints(harness));
      deps = {
        operatorPrincipalArn: harness.aws.operator.principalArn,
        clients,
        serviceCredentials: async () => ({ accessKeyId: harness.aws.operator.accessKeyId, secretAccessKey: harness.aws.operator.secretAccessKey }),
      };
    });

    after(() => {
      clients.destroy();
    });

    const validS3: AwsDestination = {
      connection_type: 'S3',
      region: 'eu-west-1',
      bucket_name: BUCKET,
      role_arn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/format-check`,
      prefix: PREFIX,
      flush_size: 10_000,
      rotate_interval: 10_000,
      format: 'csv',
      compression: 'none',
      server_side_encryption: null,
      kms_key_id: null,
    };
    const validKinesis: AwsDestination = { connection_type: 'AwsKinesis', region: 'eu-west-1', stream_name: STREAM, role_arn: validS3.role_arn };

    const cases: { name: string; destination: AwsDestination; code: string; field: string; shows: string }[] = [
      { name: 'region', destination: { ...validS3, region: 'Europe' }, code: 'invalid_region', field: 'region', shows: '"Europe"' },
      { name: 'bucket name', destination: { ...validS3, bucket_name: 'My_Bucket' }, code: 'invalid_bucket_name', field: 'bucket_name', shows: '"My_Bucket"' },
      { name: 'prefix', destination: { ...validS3, prefix: '/exports/' }, code: 'invalid_prefix', field: 'prefix', shows: '"/exports/"' },
      { name: 'role ARN', destination: { ...validS3, role_arn: 'datastreamer-role' }, code: 'invalid_role_arn', field: 'role_arn', shows: '"datastreamer-role"' },
      {
        name: 'KMS key',
        destination: { ...validS3, server_side_encryption: 'aws:kms', kms_key_id: 'my key' },
        code: 'invalid_kms_key_id',
        field: 'kms_key_id',
        shows: '"my key"',
      },
      { name: 'stream name', destination: { ...validKinesis, stream_name: 'events stream' }, code: 'invalid_stream_name', field: 'stream_name', shows: '"events stream"' },
    ];

    for (const testCase of cases) {
      it(`rejects an invalid ${testCase.name} before any AWS call`, async () => {
        const requestsBefore = harness.aws.s3Gate.requests.length + harness.aws.kinesisGate.requests.length;
        const assumedBefore = harness.aws.sts.assumeRoleCount(testCase.destination.role_arn);

        const result = await runSetupCheck(deps, organisation.id, testCase.destination);

        if (result.ok) assert.fail('the check passed');
        assert.equal(result.failure.diagnosis.code, testCase.code);
        assert.equal(result.failure.field, testCase.field);
        assert.ok(result.failure.diagnosis.message.includes(`${testCase.field} ${testCase.shows} is not`), result.failure.diagnosis.message);
        assert.deepEqual(result.checks, []);
        assert.equal(harness.aws.sts.assumeRoleCount(testCase.destination.role_arn), assumedBefore);
        assert.equal(harness.aws.s3Gate.requests.length + harness.aws.kinesisGate.requests.length, requestsBefore);
      });
    }

    it('API rejects invalid body field', async () => {
      const response = await check(s3Credentials(`arn:aws:iam::${CUSTOMER_ACCOUNT}:role/any`, { bucket_name: 'My_Bucket' }));
      const body = response.body as ErrorResponse;

      assert.equal(response.status, 422);
      assert.equal(body.error_token, 'validation_failed');
      assert.deepEqual(
        body.errors.map((error) => error.field),
        ['destination.credentials.bucket_name'],
      );
    });
  });

  describe('emulator bucket rules', () => {
    it('gate rejects ACL when ACLs disabled', async () => {
      const s3 = new S3Client({
        region: harness.aws.region,
        endpoint: harness.aws.endpoints.s3,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        credentials: harness.aws.admin,
        maxAttempts: 1,
      });
      try {
        const error = await s3
          .send(new PutObjectCommand({ Bucket: ACL_BUCKET, Key: 'with-acl.txt', Body: 'x', ACL: 'public-read' }))
          .then(() => undefined, (failure: unknown) => failure as Error & { $metadata: { httpStatusCode?: number } });

        assert.ok(error, 'the upload failed');
        assert.equal(error.name, 'AccessControlListNotSupported');
        assert.equal(error.$metadata.httpStatusCode, 400);
        await s3.send(new PutObjectCommand({ Bucket: ACL_BUCKET, Key: 'owner-acl.txt', Body: 'x', ACL: 'bucket-owner-full-control' }));
      } finally {
        s3.destroy();
      }
    });
  });
});

function awsEndpoints(harness: Harness) {
  return {
    s3Endpoint: harness.aws.endpoints.s3,
    kinesisEndpoint: harness.aws.endpoints.kinesis,
    stsEndpoint: harness.aws.endpoints.sts,
    sessionDurationSeconds: 3600,
    refreshBeforeExpirySeconds: 300,
  };
}
