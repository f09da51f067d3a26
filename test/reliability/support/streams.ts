import type { LocalAws } from '../../../src/emulators/local-aws.js';
import type { KinesisDestination, RestApiDestination, S3Destination } from '../../../src/storage/types.js';
import { CUSTOMER_ACCOUNT } from '../../support/harness.js';

/**
 * Adds a customer role that trusts the operator with the external id
 * `org-<id>` and may write to the bucket and the Kinesis stream. Returns its ARN.
 */
export function addDeliveryRole(aws: LocalAws, organisationId: number, roleName: string, target: { bucket?: string; kinesisStream?: string }): string {
  const roleArn = `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/${roleName}`;
  const permissions = [];
  if (target.bucket) permissions.push({ action: 's3:PutObject', resource: `arn:aws:s3:::${target.bucket}/*` });
  if (target.kinesisStream) {
    permissions.push({ action: 'kinesis:PutRecords', resource: `arn:aws:kinesis:${aws.region}:${CUSTOMER_ACCOUNT}:stream/${target.kinesisStream}` });
  }
  aws.addCustomerRole({ roleArn, externalId: `org-${organisationId}`, permissions });
  return roleArn;
}

/**
 * Builds an S3 destination with CSV files. Streams created in storage skip the API's
 * limits, so tests can close files after `rotate_interval` ms shorter than
 * the API's minimum of 10 s.
 */
export function s3Destination(aws: LocalAws, bucket: string, roleArn: string, settings: Partial<S3Destination> = {}): S3Destination {
  return {
    connection_type: 'S3',
    region: aws.region,
    bucket_name: bucket,
    role_arn: roleArn,
    prefix: '',
    flush_size: 100,
    rotate_interval: 1000,
    format: 'csv',
    compression: 'none',
    server_side_encryption: null,
    kms_key_id: null,
    ...settings,
  };
}

export function kinesisDestination(aws: LocalAws, streamName: string, roleArn: string): KinesisDestination {
  return { connection_type: 'AwsKinesis', region: aws.region, stream_name: streamName, role_arn: roleArn };
}

export function restDestination(url: string, size: number): RestApiDestination {
  return { connection_type: 'RestAPI', url, method: 'POST', headers: [], size, signing_secret: null };
}
