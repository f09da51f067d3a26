import type { KinesisDestination, S3Destination } from '../storage/types.js';
import { externalIdOf } from './external-id.js';
import { parseKmsKeyReference } from './kms-key.js';
import { parseRoleArn, type RoleArnParts } from './role-arn.js';

/** An IAM policy document as AWS reads it, ready to be serialised as JSON. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal?: { AWS: string[] };
  Action: string | string[];
  Resource?: string;
  Condition?: Record<string, Record<string, string[]>>;
}

export type AwsDestination = S3Destination | KinesisDestination;

const POLICY_VERSION = '2012-10-17';

/**
 * Builds the trust policy that a customer role needs: it lets the operator
 * principal call sts:AssumeRole, but only with the organisation's external id.
 */
export function trustPolicy(operatorPrincipalArn: string, organisationId: number): PolicyDocument {
  return {
    Version: POLICY_VERSION,
    Statement: [
      {
        Sid: 'AllowDatastreamerToAssumeThisRole',
        Effect: 'Allow',
        Principal: { AWS: [operatorPrincipalArn] },
        Action: 'sts:AssumeRole',
        Condition: { 'ForAnyValue:StringEquals': { 'sts:ExternalId': [externalIdOf(organisationId)] } },
      },
    ],
  };
}

/**
 * Builds the smallest permissions policy that lets the role receive the
 * destination's deliveries. Resource ARNs take the partition and, where the
 * destination does not name one, the account of the role ARN, because the
 * bucket's or stream's account is not known here.
 */
export function permissionsPolicy(destination: AwsDestination): PolicyDocument {
  const role = parseRoleArn(destination.role_arn);
  if (role === undefined) {
    throw new Error(`Invalid role ARN ${JSON.stringify(destination.role_arn)}: expected arn:aws:iam::<account id>:role/<role name>`);
  }

  const statements = destination.connection_type === 'S3' ? s3Statements(destination, role) : [kinesisStatement(destination, role)];
  return { Version: POLICY_VERSION, Statement: statements };
}

function s3Statements(destination: S3Destination, role: RoleArnParts): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    {
      Sid: 'WriteDeliveredFiles',
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: `arn:${role.partition}:s3:::${destination.bucket_name}/${destination.prefix}*`,
    },
  ];

  if (destination.server_side_encryption === 'aws:kms' && destination.kms_key_id !== null) {
    statements.push(kmsStatement(destination.kms_key_id, destination.region, role));
  }
  return statements;
}

/**
 * S3 calls kms:GenerateDataKey with the uploader's identity for each
 * SSE-KMS object. IAM authorizes that call on the key ARN, never on an
 * alias ARN, so a key named by alias is matched through the key's aliases
 * (condition key kms:ResourceAliases). S3 looks a bare key id or alias up
 * in the uploader's account, which is the role's account.
 */
function kmsStatement(kmsKeyId: string, region: string, role: RoleArnParts): PolicyStatement {
  const sid = 'EncryptDeliveredFiles';
  const action = 'kms:GenerateDataKey';
  const key = parseKmsKeyReference(kmsKeyId);

  switch (key?.kind) {
    case 'key-arn':
      return { Sid: sid, Effect: 'Allow', Action: action, Resource: key.arn };
    case 'key-id':
      return { Sid: sid, Effect: 'Allow', Action: action, Resource: `arn:${role.partition}:kms:${region}:${role.accountId}:key/${key.keyId}` };
    case 'alias-name':
      return aliasStatement(sid, action, `arn:${role.partition}:kms:${region}:${role.accountId}:key/*`, key.aliasName);
    case 'alias-arn':
      return aliasStatement(sid, action, `arn:${key.partition}:kms:${key.region}:${key.accountId}:key/*`, key.aliasName);
    case undefined:
      throw new Error(`Invalid KMS key ${JSON.stringify(kmsKeyId)}: expected a key id, key ARN, alias name or alias ARN`);
  }
}

function aliasStatement(sid: string, action: string, keysResource: string, aliasName: string): PolicyStatement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: action,
    Resource: keysResource,
    Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [aliasName] } },
  };
}

function kinesisStatement(destination: KinesisDestination, role: RoleArnParts): PolicyStatement {
  return {
    Sid: 'WriteDeliveredRecords',
    Effect: 'Allow',
    Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
    Resource: `arn:${role.partition}:kinesis:${destination.region}:${role.accountId}:stream/${destination.stream_name}`,
  };
}
