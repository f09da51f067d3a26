import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { CUSTOMER_ACCOUNT, Harness } from './support/harness.js';

const BUCKET = 'aws-setup-bucket';
const STREAM = 'aws-setup-stream';
const KMS_KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KMS_KEY_ARN = `arn:aws:kms:eu-west-1:444444444444:key/${KMS_KEY_ID}`;

interface PolicyStatement {
  Sid: string;
  Effect: string;
  Principal?: { AWS: string[] };
  Action: string | string[];
  Resource?: string;
  Condition?: Record<string, Record<string, string[]>>;
}

interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

interface Template {
  AWSTemplateFormatVersion: string;
  Description: string;
  Parameters: { RoleName: { Type: string; Default: string } };
  Resources: Record<
    string,
    {
      Type: string;
      Properties: {
        RoleName: unknown;
        Path: string;
        AssumeRolePolicyDocument: PolicyDocument;
        Policies: { PolicyName: string; PolicyDocument: PolicyDocument }[];
      };
    }
  >;
  Outputs: Record<string, { Value: unknown }>;
}

describe('AWS setup help', () => {
  let harness: Harness;
  let organisation: { id: number; authToken: string };
  let otherOrganisation: { id: number; authToken: string };

  /** Creates a stream whose role and destination exist, so that it passes a setup check on create too. */
  async function createS3Stream(roleName: string, credentials: Record<string, unknown> = {}): Promise<{ id: number; roleArn: string }> {
    const roleArn = harness.addCustomerRole(organisation.id, roleName, { bucket: BUCKET });
    const role = harness.aws.iam.getRole(roleArn)!;
    harness.aws.iam.putRole({ ...role, permissions: [...role.permissions, { action: 'kms:GenerateDataKey', resource: '*' }] });

    const stream = await harness.createStream(organisation.authToken, {
      data_stream_type: { id: 1 },
      destination: { connection_type: 'S3', credentials: { region: harness.aws.region, bucket_name: BUCKET, role_arn: roleArn, ...credentials } },
    });
    return { id: stream.id, roleArn };
  }

  async function getJson<T>(url: string, token = organisation.authToken): Promise<T> {
    const response = await harness.request('GET', url, { token });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body as T;
  }

  before(async () => {
    harness = await Harness.start();
    organisation = await harness.createOrganisation('Setup Help Org');
    otherOrganisation = await harness.createOrganisation('Other Org');
    await harness.aws.createBucket(BUCKET);
    await harness.aws.createKinesisStream(STREAM, 1);
  });

  after(async () => {
    await harness.close();
  });

  describe('trust policy', () => {
    it('names the operator principal and the external id', async () => {
      const policy = await getJson<PolicyDocument>('/api/v2/data_stream/aws/trust_policy');

      assert.equal(policy.Version, '2012-10-17');
      assert.equal(policy.Statement.length, 1);
      const [statement] = policy.Statement;
      assert.equal(statement.Effect, 'Allow');
      assert.deepEqual(statement.Principal, { AWS: [harness.aws.operator.principalArn] });
      assert.equal(statement.Action, 'sts:AssumeRole');
      assert.deepEqual(statement.Condition, { 'ForAnyValue:StringEquals': { 'sts:ExternalId': [`org-${organisation.id}`] } });
    });

    it("carries each organisation's own external id", async () => {
      const policy = await getJson<PolicyDocument>('/api/v2/data_stream/aws/trust_policy', otherOrganisation.authToken);

      assert.deepEqual(policy.Statement[0].Condition?.['ForAnyValue:StringEquals']['sts:ExternalId'], [`org-${otherOrganisation.id}`]);
    });

    it('requires an auth token', async () => {
      const response = await harness.request('GET', '/api/v2/data_stream/aws/trust_policy');

      assert.equal(response.status, 401);
    });
  });

  describe('permissions policy', () => {
    it('allows s3:PutObject under the prefix', async () => {
      const stream = await createS3Stream('setup-help-plain', { prefix: 'exports/' });

      const policy = await getJson<PolicyDocument>(`/api/v2/data_stream/${stream.id}/aws/permissions_policy`);

      assert.deepEqual(policy, {
        Version: '2012-10-17',
        Statement: [{ Sid: 'WriteDeliveredFiles', Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/exports/*` }],
      });
    });

    it('adds kms:GenerateDataKey for a bare key id in the role account', async () => {
      const stream = await createS3Stream('setup-help-kms-id', { server_side_encryption: 'aws:kms', kms_key_id: KMS_KEY_ID });

      const policy = await getJson<PolicyDocument>(`/api/v2/data_stream/${stream.id}/aws/permissions_policy`);

      assert.equal(policy.Statement.length, 2);
      assert.deepEqual(policy.Statement[1], {
        Sid: 'EncryptDeliveredFiles',
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: `arn:aws:kms:${harness.aws.region}:${CUSTOMER_ACCOUNT}:key/${KMS_KEY_ID}`,
      });
    });

    it('keeps a key ARN as it is', async () => {
      const stream = await createS3Stream('setup-help-kms-arn', { server_side_encryption: 'aws:kms', kms_key_id: KMS_KEY_ARN });

      const policy = await getJson<PolicyDocument>(`/api/v2/data_stream/${stream.id}/aws/permissions_policy`);

      assert.equal(policy.Statement[1].Resource, KMS_KEY_ARN);
      assert.equal(policy.Statement[1].Condition, undefined);
    });

    it('matches an alias through kms:ResourceAliases', async () => {
      const stream = await createS3Stream('setup-help-kms-alias', { server_side_encryption: 'aws:kms', kms_key_id: 'alias/datastreamer' });

      const policy = await getJson<PolicyDocument>(`/api/v2/data_stream/${stream.id}/aws/permissions_policy`);

      assert.equal(policy.Statement[1].Action, 'kms:GenerateDataKey');
      assert.equal(policy.Statement[1].Resource, `arn:aws:kms:${harness.aws.region}:${CUSTOMER_ACCOUNT}:key/*`);
      assert.deepEqual(policy.Statement[1].Condition, { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/datastreamer'] } });
    });

    it('has no KMS statement with AES256', async () => {
      const stream = await createS3Stream('setup-help-aes', { server_side_encryption: 'AES256' });

      const policy = await getJson<PolicyDocument>(`/api/v2/data_stream/${stream.id}/aws/permissions_policy`);

      assert.deepEqual(
        policy.Statement.map((statement) => statement.Action),
        ['s3:PutObject'],
      );
    });

    it('allows PutRecord and PutRecords on the Kinesis stream', async () => {
      const roleArn = harness.addCustomerRole(organisation.id, 'setup-help-kinesis', { kinesisStream: STREAM });
      const stream = await harness.createStream(organisation.authToken, {
        data_stream_type: { id: 2 },
        destination: { connection_type: 'AwsKinesis', credentials: { region: harness.aws.region, stream_name: STREAM, role_arn: roleArn } },
      });

      const policy = await getJson<PolicyDocument>(`/api/v2/data_stream/${stream.id}/aws/permissions_policy`);

      assert.deepEqual(policy.Statement, [
        {
          Sid: 'WriteDeliveredRecords',
          Effect: 'Allow',
          Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
          Resource: `arn:aws:kinesis:${harness.aws.region}:${CUSTOMER_ACCOUNT}:stream/${STREAM}`,
        },
      ]);
    });

    it("answers 404 for another organisation's stream", async () => {
      const stream = await createS3Stream('setup-help-foreign');

      const foreign = await harness.request('GET', `/api/v2/data_stream/${stream.id}/aws/permissions_policy`, { token: otherOrganisation.authToken });
      const missing = await harness.request('GET', '/api/v2/data_stream/999999/aws/permissions_policy', { token: organisation.authToken });

      assert.equal(foreign.status, 404);
      assert.equal((foreign.body as { error_token: string }).error_token, 'data_stream_not_found');
      assert.equal(missing.status, 404);
    });
  });

  describe('CloudFormation template', () => {
    it('creates the role with trust and permissions policies', async () => {
      const stream = await createS3Stream('setup-help-template', { prefix: 'cf/', server_side_encryption: 'aws:kms', kms_key_id: KMS_KEY_ID });
      const trust = await getJson<PolicyDocument>('/api/v2/data_stream/aws/trust_policy');
      const permissions = await getJson<PolicyDocument>(`/api/v2/data_stream/${stream.id}/aws/permissions_policy`);

      const response = await harness.request('GET', `/api/v2/data_stream/${stream.id}/aws/cloudformation`, { token: organisation.authToken });
      const template = response.body as Template;

      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-disposition']), new RegExp(`datastreamer-data-stream-${stream.id}-role\\.json`));
      assert.equal(template.AWSTemplateFormatVersion, '2010-09-09');
      assert.deepEqual(Object.keys(template.Resources), ['DeliveryRole']);
      const role = template.Resources.DeliveryRole;
      assert.equal(role.Type, 'AWS::IAM::Role');
      assert.deepEqual(role.Properties.RoleName, { Ref: 'RoleName' });
      assert.equal(role.Properties.Path, '/');
      assert.deepEqual(role.Properties.AssumeRolePolicyDocument, trust);
      assert.equal(role.Properties.Policies.length, 1);
      assert.deepEqual(role.Properties.Policies[0].PolicyDocument, permissions);
      assert.equal(template.Parameters.RoleName.Type, 'String');
      assert.equal(template.Parameters.RoleName.Default, 'setup-help-template');
      assert.deepEqual(template.Outputs.RoleArn.Value, { 'Fn::GetAtt': ['DeliveryRole', 'Arn'] });
      assert.ok(template.Description.includes(CUSTOMER_ACCOUNT), 'the description names the account to deploy in');
    });

    it('keeps the path of a role ARN', async () => {
      const roleArn = `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/service/datastreamer/setup-help-path`;
      harness.aws.addCustomerRole({
        roleArn,
        externalId: `org-${organisation.id}`,
        permissions: [{ action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}/*` }],
      });
      const stream = await harness.createStream(organisation.authToken, {
        data_stream_type: { id: 1 },
        destination: { connection_type: 'S3', credentials: { region: harness.aws.region, bucket_name: BUCKET, role_arn: roleArn } },
      });

      const template = await getJson<Template>(`/api/v2/data_stream/${stream.id}/aws/cloudformation`);

      assert.equal(template.Resources.DeliveryRole.Properties.Path, '/service/datastreamer/');
      assert.equal(template.Parameters.RoleName.Default, 'setup-help-path');
    });

    it("answers 404 for another organisation's stream", async () => {
      const stream = await createS3Stream('setup-help-template-foreign');

      const response = await harness.request('GET', `/api/v2/data_stream/${stream.id}/aws/cloudformation`, { token: otherOrganisation.authToken });

      assert.equal(response.status, 404);
    });
  });

  describe('encryption change', () => {
    it('is checked before it applies', async () => {
      const roleArn = harness.addCustomerRole(organisation.id, 'no-kms-role', { bucket: BUCKET });
      const stream = await harness.createStream(organisation.authToken, {
        data_stream_type: { id: 1 },
        destination: { connection_type: 'S3', credentials: { region: harness.aws.region, bucket_name: BUCKET, role_arn: roleArn } },
      });

      const response = await harness.request('PATCH', `/api/v2/data_stream/${stream.id}`, {
        body: { destination: { credentials: { server_side_encryption: 'aws:kms', kms_key_id: KMS_KEY_ID } } },
        token: organisation.authToken,
      });

      assert.equal(response.status, 422);
      assert.equal((response.body as { diagnosis: { code: string } }).diagnosis.code, 'kms_access_denied');
      const unchanged = await harness.request('GET', `/api/v2/data_stream/${stream.id}`, { token: organisation.authToken });
      assert.equal((unchanged.body as { destination: { credentials: { server_side_encryption: unknown } } }).destination.credentials.server_side_encryption, null);
    });
  });

  describe('before the stream exists', () => {
    const body = (roleName: string) => ({
      data_stream_type: { id: 1 },
      destination: {
        connection_type: 'S3',
        credentials: { region: 'eu-west-1', bucket_name: BUCKET, role_arn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/${roleName}`, prefix: 'new/' },
      },
    });

    it('returns the permissions policy for a create body', async () => {
      const response = await harness.request('POST', '/api/v2/data_stream/aws/permissions_policy', { body: body('not-yet-created'), token: organisation.authToken });

      assert.equal(response.status, 200);
      const policy = response.body as PolicyDocument;
      assert.deepEqual(policy.Statement[0].Action, 's3:PutObject');
      assert.equal(policy.Statement[0].Resource, `arn:aws:s3:::${BUCKET}/new/*`);
    });

    it('returns a template for a create body', async () => {
      const countStreams = async () => ((await harness.request('GET', '/api/v2/data_stream', { token: organisation.authToken })).body as unknown[]).length;
      const streamsBefore = await countStreams();
      const response = await harness.request('POST', '/api/v2/data_stream/aws/cloudformation', { body: body('future-role'), token: organisation.authToken });

      assert.equal(response.status, 200);
      const template = response.body as Template;
      assert.equal(template.Parameters.RoleName.Default, 'future-role');
      const role = template.Resources.DeliveryRole.Properties;
      assert.deepEqual(role.AssumeRolePolicyDocument.Statement[0].Condition, { 'ForAnyValue:StringEquals': { 'sts:ExternalId': [`org-${organisation.id}`] } });
      assert.equal(role.Policies[0].PolicyName, 'datastreamer-delivery');
      assert.equal(await countStreams(), streamsBefore, 'nothing was created');
    });

    it('rejects an invalid create body with 422', async () => {
      const invalid = body('x');
      invalid.destination.credentials.bucket_name = 'Not_A_Bucket';
      const response = await harness.request('POST', '/api/v2/data_stream/aws/permissions_policy', { body: invalid, token: organisation.authToken });

      assert.equal(response.status, 422);
    });
  });

  describe('routes', () => {
    it('keep aws apart from stream ids', async () => {
      const response = await harness.request('GET', '/api/v2/data_stream/aws/permissions_policy', { token: organisation.authToken });

      assert.equal(response.status, 404);
      assert.equal((response.body as { error_token: string }).error_token, 'route_not_found');
    });

    it('appear in the OpenAPI description', async () => {
      const response = await harness.request('GET', '/openapi.json');
      const paths = (response.body as { paths: Record<string, Record<string, { tags?: string[] }>> }).paths;

      assert.deepEqual(paths['/api/v2/data_stream/aws/trust_policy'].get.tags, ['AWS setup']);
      assert.deepEqual(paths['/api/v2/data_stream/{id}/aws/permissions_policy'].get.tags, ['AWS setup']);
      assert.deepEqual(paths['/api/v2/data_stream/{id}/aws/cloudformation'].get.tags, ['AWS setup']);
      assert.deepEqual(paths['/api/v2/data_stream/check'].post.tags, ['AWS setup']);
    });
  });
});
