import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';

import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';

import { CUSTOMER_ACCOUNT_ID, LOCAL_REGION, OPERATOR_ROLE_ARN } from '../src/emulators/iam.js';
import { startLocalAws, type LocalAws } from '../src/emulators/local-aws.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';

const ROLE_ARN = `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:role/datastreamer-delivery`;
const EXTERNAL_ID = 'org-42';
const BUCKET = 'customer-exports';
const STREAM = 'customer-events';
const STREAM_ARN = `arn:aws:kinesis:${LOCAL_REGION}:${CUSTOMER_ACCOUNT_ID}:stream/${STREAM}`;
const OTHER_CALLER_ARN = 'arn:aws:iam::333333333333:role/someone-else';

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

let localAws: LocalAws;
let dataDirectory: string;
const clients: { destroy(): void }[] = [];

function stsClient(credentials: Credentials, region = LOCAL_REGION): STSClient {
  const client = new STSClient({ region, endpoint: localAws.endpoints.sts, credentials, maxAttempts: 1 });
  clients.push(client);
  return client;
}

function s3Client(credentials: Credentials, region = LOCAL_REGION): S3Client {
  const client = new S3Client({
    region,
    endpoint: localAws.endpoints.s3,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials,
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

function kinesisClient(credentials: Credentials): KinesisClient {
  const client = new KinesisClient({
    region: LOCAL_REGION,
    endpoint: localAws.endpoints.kinesis,
    requestHandler: new NodeHttpHandler(),
    credentials,
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

function addDeliveryRole(): void {
  localAws.addCustomerRole({
    roleArn: ROLE_ARN,
    externalId: EXTERNAL_ID,
    permissions: [
      { action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}/exports/*` },
      { action: 'kinesis:PutRecords', resource: STREAM_ARN },
    ],
  });
}

function assumeDeliveryRole(): Promise<Credentials> {
  return assumeDeliveryRoleWith(EXTERNAL_ID);
}

async function assumeDeliveryRoleWith(externalId: string | undefined): Promise<Credentials> {
  const response = await stsClient(localAws.operator).send(
    new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'org-42-delivery', ExternalId: externalId }),
  );
  const credentials = response.Credentials;
  assert.ok(credentials?.AccessKeyId);
  assert.ok(credentials.SecretAccessKey);
  assert.ok(credentials.SessionToken);
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
  };
}

/** Runs the request and returns the AWS error it fails with. */
async function awsError(request: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await request;
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail('expected the request to fail');
}

before(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'datastreamer-emulators-'));
  localAws = await startLocalAws({ directory: dataDirectory });
  await localAws.createBucket(BUCKET);
  await localAws.createKinesisStream(STREAM, 2);
});

after(async () => {
  for (const client of clients) {
    client.destroy();
  }
  await localAws.close();
  await rm(dataDirectory, { recursive: true, force: true });
});

beforeEach(() => {
  addDeliveryRole();
  localAws.sts.setCredentialLifetime(3600);
  localAws.iam.disabledRegions.clear();
  localAws.s3Gate.setFault(null);
  localAws.kinesisGate.setFault(null);
});

describe('STS emulator', () => {
  test('AssumeRole with right external id', async () => {
    const countBefore = localAws.sts.assumeRoleCount(ROLE_ARN);
    const startedAt = Date.now();

    const response = await stsClient(localAws.operator).send(
      new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'org-42-delivery', ExternalId: EXTERNAL_ID }),
    );

    assert.match(response.Credentials?.AccessKeyId ?? '', /^ASIA[A-Z2-7]{16}$/);
    assert.ok(response.Credentials?.SessionToken);
    assert.equal(
      response.AssumedRoleUser?.Arn,
      `arn:aws:sts::${CUSTOMER_ACCOUNT_ID}:assumed-role/datastreamer-delivery/org-42-delivery`,
    );
    const lifetimeMs = (response.Credentials?.Expiration?.getTime() ?? 0) - startedAt;
    assert.ok(lifetimeMs > 3590_000, `lifetime ${lifetimeMs} ms`);
    assert.ok(lifetimeMs <= 3602_000, `lifetime ${lifetimeMs} ms`);
    assert.equal(localAws.sts.assumeRoleCount(ROLE_ARN), countBefore + 1);
  });

  test('AssumeRole caps duration at server lifetime', async () => {
    localAws.sts.setCredentialLifetime(5);
    const startedAt = Date.now();

    const response = await stsClient(localAws.operator).send(
      new AssumeRoleCommand({
        RoleArn: ROLE_ARN,
        RoleSessionName: 'short',
        ExternalId: EXTERNAL_ID,
        DurationSeconds: 900,
      }),
    );

    const lifetimeMs = (response.Credentials?.Expiration?.getTime() ?? 0) - startedAt;
    assert.ok(lifetimeMs > 4000, `lifetime ${lifetimeMs} ms`);
    assert.ok(lifetimeMs <= 6000, `lifetime ${lifetimeMs} ms`);
  });

  test('AssumeRole rejects wrong or missing external id', async () => {
    for (const externalId of ['org-43', undefined]) {
      const error = await awsError(assumeDeliveryRoleWith(externalId));

      assert.equal(error.name, 'AccessDenied', `external id ${externalId}`);
      assert.equal(error.$metadata?.httpStatusCode, 403);
      assert.equal(
        error.message,
        `User: ${OPERATOR_ROLE_ARN} is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`,
      );
    }
  });

  test('AssumeRole rejects untrusted caller', async () => {
    const otherCaller = { accessKeyId: 'AKIAOTHERCALLER00001', secretAccessKey: 'other-secret' };
    localAws.iam.addIdentity({
      ...otherCaller,
      principalArn: OTHER_CALLER_ARN,
      permissions: [{ action: 'sts:AssumeRole', resource: '*' }],
    });

    const error = await awsError(
      stsClient(otherCaller).send(
        new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'intruder', ExternalId: EXTERNAL_ID }),
      ),
    );

    assert.equal(error.name, 'AccessDenied');
    assert.match(error.message, /^User: arn:aws:iam::333333333333:role\/someone-else is not authorized/);
  });

  test('AssumeRole on missing role is AccessDenied', async () => {
    const missingRoleArn = `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:role/does-not-exist`;

    const error = await awsError(
      stsClient(localAws.operator).send(
        new AssumeRoleCommand({ RoleArn: missingRoleArn, RoleSessionName: 'probe', ExternalId: EXTERNAL_ID }),
      ),
    );

    assert.equal(error.name, 'AccessDenied');
    assert.match(error.message, /on resource: arn:aws:iam::222222222222:role\/does-not-exist$/);
  });

  test('trust change at runtime takes effect', async () => {
    await assumeDeliveryRole();

    localAws.iam.putRole({
      arn: ROLE_ARN,
      trustedPrincipals: [OPERATOR_ROLE_ARN],
      externalIds: ['org-99'],
      permissions: [],
    });
    const afterChange = await awsError(assumeDeliveryRole());
    assert.equal(afterChange.name, 'AccessDenied');

    localAws.iam.removeRole(ROLE_ARN);
    const afterRemoval = await awsError(assumeDeliveryRole());
    assert.equal(afterRemoval.name, 'AccessDenied');

    addDeliveryRole();
    const restored = await assumeDeliveryRole();
    assert.match(restored.accessKeyId, /^ASIA/);
  });

  test('disabled region is RegionDisabledException', async () => {
    localAws.iam.disabledRegions.add('ap-east-1');

    const error = await awsError(
      stsClient(localAws.operator, 'ap-east-1').send(
        new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'hk', ExternalId: EXTERNAL_ID }),
      ),
    );

    assert.equal(error.name, 'RegionDisabledException');
    assert.equal(error.$metadata?.httpStatusCode, 403);
    assert.match(error.message, /STS is not activated in this region for account:111111111111/);
  });

  test('unknown access key is InvalidClientTokenId', async () => {
    const error = await awsError(
      stsClient({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }).send(new GetCallerIdentityCommand({})),
    );

    assert.equal(error.name, 'InvalidClientTokenId');
    assert.equal(error.$metadata?.httpStatusCode, 403);
  });

  test('invalid session name is ValidationError', async () => {
    const error = await awsError(
      stsClient(localAws.operator).send(
        new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'has space', ExternalId: EXTERNAL_ID }),
      ),
    );

    assert.equal(error.name, 'ValidationError');
    assert.match(error.message, /roleSessionName/);
  });

  test('GetCallerIdentity names operator and session', async () => {
    const operatorIdentity = await stsClient(localAws.operator).send(new GetCallerIdentityCommand({}));
    assert.equal(operatorIdentity.Arn, OPERATOR_ROLE_ARN);
    assert.equal(operatorIdentity.Account, '111111111111');

    const sessionIdentity = await stsClient(await assumeDeliveryRole()).send(new GetCallerIdentityCommand({}));
    assert.equal(sessionIdentity.Arn, `arn:aws:sts::${CUSTOMER_ACCOUNT_ID}:assumed-role/datastreamer-delivery/org-42-delivery`);
    assert.equal(sessionIdentity.Account, CUSTOMER_ACCOUNT_ID);
    assert.match(sessionIdentity.UserId ?? '', /^AROA[0-9A-F]+:org-42-delivery$/);
  });
});

describe('gate', () => {
  test('allows PutObject with assumed-role credentials', async () => {
    const credentials = await assumeDeliveryRole();
    const key = 'exports/usage/2026/01/01/00/file-1.csv';

    await s3Client(credentials).send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'id,cost\n1,0.5\n' }));

    assert.equal(await localAws.getObjectText(BUCKET, key), 'id,cost\n1,0.5\n');
    const logged = localAws.s3Gate.requests.find((entry) => entry.resource === `arn:aws:s3:::${BUCKET}/${key}`);
    assert.equal(logged?.accessKeyId, credentials.accessKeyId);
    assert.equal(logged?.action, 's3:PutObject');
    assert.equal(logged?.principal, `arn:aws:sts::${CUSTOMER_ACCOUNT_ID}:assumed-role/datastreamer-delivery/org-42-delivery`);
    assert.equal(logged?.allowed, true);
  });

  test('allows PutRecords with assumed-role credentials', async () => {
    const credentials = await assumeDeliveryRole();

    const response = await kinesisClient(credentials).send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: [
          { PartitionKey: 'endpoint-1', Data: Buffer.from('{"id":1}') },
          { PartitionKey: 'endpoint-2', Data: Buffer.from('{"id":2}') },
        ],
      }),
    );

    assert.equal(response.FailedRecordCount, 0);
    const records = await localAws.readAllKinesisRecords(STREAM);
    const payloads = records.map((record) => record.data.toString('utf8')).sort();
    assert.deepEqual(payloads, ['{"id":1}', '{"id":2}']);
    const logged = localAws.kinesisGate.requests.find((entry) => entry.accessKeyId === credentials.accessKeyId);
    assert.equal(logged?.action, 'kinesis:PutRecords');
    assert.equal(logged?.resource, STREAM_ARN);
    const readBack = localAws.kinesisGate.requests.find((entry) => entry.action === 'kinesis:GetRecords');
    assert.equal(readBack?.resource, STREAM_ARN);
  });

  test('rejects the operator credentials', async () => {
    const s3Error = await awsError(
      s3Client(localAws.operator).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'exports/x.csv', Body: 'x' })),
    );
    assert.equal(s3Error.name, 'AccessDenied');
    assert.equal(s3Error.$metadata?.httpStatusCode, 403);
    assert.match(s3Error.message, /^User: arn:aws:iam::111111111111:role\/datastreamer is not authorized to perform: s3:PutObject/);

    const kinesisError = await awsError(
      kinesisClient(localAws.operator).send(
        new PutRecordsCommand({ StreamName: STREAM, Records: [{ PartitionKey: 'p', Data: Buffer.from('x') }] }),
      ),
    );
    assert.equal(kinesisError.name, 'AccessDeniedException');
    assert.match(kinesisError.message, /kinesis:PutRecords on resource: arn:aws:kinesis:eu-west-1:222222222222:stream\/customer-events/);
  });

  test('rejects PutObject outside permitted prefix', async () => {
    const credentials = await assumeDeliveryRole();

    const error = await awsError(
      s3Client(credentials).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'other/file.csv', Body: 'x' })),
    );

    assert.equal(error.name, 'AccessDenied');
    assert.match(error.message, /assumed-role\/datastreamer-delivery\/org-42-delivery is not authorized/);
    assert.match(error.message, /"arn:aws:s3:::customer-exports\/other\/file.csv"/);
  });

  test('rejects unknown access keys', async () => {
    const unknown = { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' };

    const s3Error = await awsError(
      s3Client(unknown).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'exports/x.csv', Body: 'x' })),
    );
    assert.equal(s3Error.name, 'InvalidAccessKeyId');
    assert.equal(s3Error.$metadata?.httpStatusCode, 403);

    const kinesisError = await awsError(
      kinesisClient(unknown).send(
        new PutRecordsCommand({ StreamName: STREAM, Records: [{ PartitionKey: 'p', Data: Buffer.from('x') }] }),
      ),
    );
    assert.equal(kinesisError.name, 'UnrecognizedClientException');
  });

  test('rejects expired credentials', async () => {
    localAws.sts.setCredentialLifetime(1);
    const credentials = await assumeDeliveryRole();
    await sleep(2100);

    const s3Error = await awsError(
      s3Client(credentials).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'exports/late.csv', Body: 'x' })),
    );
    assert.equal(s3Error.name, 'ExpiredToken');
    assert.equal(s3Error.$metadata?.httpStatusCode, 400);

    const kinesisError = await awsError(
      kinesisClient(credentials).send(
        new PutRecordsCommand({ StreamName: STREAM, Records: [{ PartitionKey: 'p', Data: Buffer.from('x') }] }),
      ),
    );
    assert.equal(kinesisError.name, 'ExpiredTokenException');
  });

  test('rejects session key with wrong token', async () => {
    const credentials = await assumeDeliveryRole();

    const error = await awsError(
      s3Client({ ...credentials, sessionToken: 'not-the-token' }).send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'exports/x.csv', Body: 'x' }),
      ),
    );

    assert.equal(error.name, 'InvalidToken');
  });

  test('rejects requests signed for another region', async () => {
    const error = await awsError(
      s3Client(localAws.admin, 'us-east-1').send(new GetObjectCommand({ Bucket: BUCKET, Key: 'exports/x.csv' })),
    );

    assert.equal(error.name, 'AuthorizationHeaderMalformed');
    assert.match(error.message, /the region 'us-east-1' is wrong; expecting 'eu-west-1'/);
  });

  test('round trip keeps bytes intact', async () => {
    const credentials = await assumeDeliveryRole();
    const key = 'exports/ünïcödé dir/日本語 file+1.csv';
    const body = Buffer.concat([Buffer.from('naïve café, 東京, emoji 🚀\n', 'utf8'), randomBytes(256 * 1024)]);

    await s3Client(credentials).send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

    const object = await localAws.adminS3Client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const readBack = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    assert.equal(readBack.length, body.length);
    assert.ok(readBack.equals(body), 'object bytes differ from the uploaded bytes');
    assert.ok((await localAws.listAllObjects(BUCKET)).includes(key));
  });

  test('fault injector replaces upstream response', async () => {
    const credentials = await assumeDeliveryRole();
    localAws.kinesisGate.setFault(({ action }) =>
      action === 'kinesis:PutRecords'
        ? {
            status: 400,
            headers: { 'content-type': 'application/x-amz-json-1.1' },
            body: JSON.stringify({ __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded' }),
          }
        : undefined,
    );

    const error = await awsError(
      kinesisClient(credentials).send(
        new PutRecordsCommand({ StreamName: STREAM, Records: [{ PartitionKey: 'p', Data: Buffer.from('fault') }] }),
      ),
    );

    assert.equal(error.name, 'ProvisionedThroughputExceededException');
    const records = await localAws.readAllKinesisRecords(STREAM);
    assert.ok(!records.some((record) => record.data.toString() === 'fault'));
    assert.equal(localAws.kinesisGate.requests.filter((entry) => entry.faulted).length, 1);
  });
});
