import { externalIdOf } from '../aws/external-id.js';
import { AWS_FORMATS } from '../aws/formats.js';
import { DeliveryError } from './delivery-error.js';

/** Facts about the failed destination that a diagnosis names. */
export interface DiagnosisContext {
  organisationId: number;
  roleArn: string;
  region: string;
  operatorPrincipalArn: string;
  bucketName?: string;
  /** Key prefix of an S3 destination. Messages show `<prefix>` when it is not given. */
  prefix?: string;
  streamName?: string;
  kmsKeyId?: string | null;
}

interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  /** The bucket's region, which S3 sends with AuthorizationHeaderMalformed and PermanentRedirect. */
  Region?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
}

const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);

/** Turns an error from STS AssumeRole into a diagnosis the customer can act on. */
export function diagnoseAssumeRoleError(error: unknown, context: DiagnosisContext): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const name = errorName(error);
  const externalId = externalIdOf(context.organisationId);

  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    return new DeliveryError(
      'configuration',
      'role_not_assumable',
      `Could not assume role ${context.roleArn}: the role does not exist, or its trust relationship does not allow ` +
        `${context.operatorPrincipalArn} to call sts:AssumeRole with sts:ExternalId ${externalId}. ` +
        `Fix the role's trust relationship so that it names this principal and the external id ${externalId}. ` +
        'GET /api/v2/data_stream/aws/trust_policy returns that policy, ready to paste.',
      { cause: error },
    );
  }
  if (name === 'CredentialsProviderError') {
    // The service's own identity is missing: an operator fault, not the customer's, so it stays transient.
    return new DeliveryError(
      'transient',
      'service_credentials_missing',
      'datastreamer has no AWS credentials of its own to call sts:AssumeRole. The operator must configure the standard AWS credential chain ' +
        '(environment variables, shared config or an instance or container role).',
      { cause: error },
    );
  }
  if (name === 'RegionDisabledException') {
    return new DeliveryError(
      'configuration',
      'sts_region_disabled',
      `STS is not activated in region ${context.region} of the account of ${context.roleArn}. ` +
        'Activate it in IAM > Account settings > Security Token Service (STS) endpoints.',
      { cause: error },
    );
  }
  if (name === 'MalformedPolicyDocument' || name === 'ValidationError') {
    return new DeliveryError('configuration', 'role_invalid', `STS rejected the request for role ${context.roleArn}: ${messageOf(error)}`, { cause: error });
  }
  return diagnoseCommonError(error, `assuming role ${context.roleArn}`);
}

/** Turns an error from S3 PutObject into a diagnosis the customer can act on. */
export function diagnoseS3Error(error: unknown, context: DiagnosisContext): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const name = errorName(error);
  const bucket = context.bucketName ?? '';
  const objectArn = `arn:aws:s3:::${bucket}/${context.prefix ?? '<prefix>'}*`;

  switch (name) {
    case 'NoSuchBucket':
      return new DeliveryError('configuration', 'bucket_not_found', `Bucket ${bucket} does not exist. Create it in region ${context.region}, or correct bucket_name.`, {
        cause: error,
      });
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException':
      return bucketInOtherRegion(error, context);
    case 'AccessControlListNotSupported':
      // datastreamer sends no ACL, so S3 returns this only if something on the way to S3 adds an
      // x-amz-acl or x-amz-grant-* header to the upload.
      return new DeliveryError(
        'configuration',
        'bucket_acl_not_supported',
        `Bucket ${bucket} rejected the upload because the request carried an object ACL and the bucket's Object Ownership ` +
          'is "Bucket owner enforced", which disables ACLs. datastreamer itself sends no ACL, so report this to the operator. ' +
          'On the bucket side, Object Ownership "Bucket owner preferred" accepts such uploads.',
        { cause: error },
      );
    case 'KMS.AccessDeniedException':
    case 'KMS.NotFoundException':
    case 'KMS.DisabledException':
    case 'KMS.KMSInvalidStateException':
      return new DeliveryError(
        'configuration',
        'kms_access_denied',
        `Role ${context.roleArn} may not use KMS key ${context.kmsKeyId ?? '(bucket default)'} to encrypt files in bucket ${bucket}. ` +
          'Allow kms:GenerateDataKey on the key to the role, and check that the key exists, is enabled and that its key policy ' +
          'lets IAM policies of the role\'s account grant access.',
        { cause: error },
      );
    case 'AccessDenied':
      // S3 forwards KMS's denial as AccessDenied, with the KMS action in the message.
      if (/\bkms:/i.test(messageOf(error))) {
        return diagnoseS3Error(Object.assign(new Error(messageOf(error)), { name: 'KMS.AccessDeniedException' }), context);
      }
      return new DeliveryError(
        'configuration',
        's3_put_object_denied',
        `Role ${context.roleArn} may not write to bucket ${bucket}. Allow s3:PutObject on ${objectArn} to the role, and check ` +
          'that the bucket policy does not deny it, for example with a condition that requires an x-amz-acl header, which datastreamer does not send.',
        { cause: error },
      );
  }
  if ((error as SdkError)?.$metadata?.httpStatusCode === 301) return bucketInOtherRegion(error, context);
  return diagnoseCommonError(error, `writing to bucket ${bucket}`);
}

function bucketInOtherRegion(error: unknown, context: DiagnosisContext): DeliveryError {
  const bucketRegion = (error as SdkError)?.Region;
  const bucket = context.bucketName ?? '';
  const where = bucketRegion ? `in region ${bucketRegion}, not in ${context.region}` : `not in region ${context.region}`;
  const fix = bucketRegion ? `Set region to ${bucketRegion}` : "Set region to the bucket's region";
  return new DeliveryError('configuration', 'bucket_wrong_region', `Bucket ${bucket} is ${where}. ${fix}.`, { cause: error });
}

/** Turns an error from Kinesis PutRecords into a diagnosis the customer can act on. */
export function diagnoseKinesisError(error: unknown, context: DiagnosisContext): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const name = errorName(error);
  const stream = context.streamName ?? '';

  switch (name) {
    case 'ResourceNotFoundException':
      return new DeliveryError(
        'configuration',
        'kinesis_stream_not_found',
        `Kinesis stream ${stream} does not exist in region ${context.region}. Create it, or correct stream_name and region.`,
        { cause: error },
      );
    case 'AccessDeniedException':
      return new DeliveryError(
        'configuration',
        'kinesis_put_records_denied',
        `Role ${context.roleArn} may not write to Kinesis stream ${stream}. Allow kinesis:PutRecord and kinesis:PutRecords on the stream to the role.`,
        { cause: error },
      );
    case 'KMSAccessDeniedException':
    case 'KMSNotFoundException':
    case 'KMSDisabledException':
    case 'KMSInvalidStateException':
      return new DeliveryError(
        'configuration',
        'kms_access_denied',
        `Role ${context.roleArn} may not use the KMS key of Kinesis stream ${stream}. Allow kms:GenerateDataKey on the key to the role.`,
        { cause: error },
      );
  }
  return diagnoseCommonError(error, `writing to Kinesis stream ${stream}`);
}

/** Destination fields whose format the setup check validates before any AWS call. */
export type CheckedDestinationField = 'region' | 'role_arn' | 'bucket_name' | 'prefix' | 'kms_key_id' | 'stream_name';

const FIELD_FORMATS: Record<CheckedDestinationField, string> = {
  region: 'aws-region',
  role_arn: 'iam-role-arn',
  bucket_name: 's3-bucket-name',
  prefix: 's3-key-prefix',
  kms_key_id: 'kms-key-id',
  stream_name: 'kinesis-stream-name',
};

/** Returns a diagnosis when the field's value has an invalid format, such as a region eu-west or a bucket name My_Bucket. */
export function diagnoseInvalidValue(field: CheckedDestinationField, value: string): DeliveryError | undefined {
  const format = AWS_FORMATS[FIELD_FORMATS[field]];
  if (format.validate(value)) return undefined;

  return new DeliveryError('configuration', `invalid_${field}`, `${field} ${JSON.stringify(value)} is not ${format.expected}. Correct ${field}.`);
}

// The destination field that the customer must change to fix each configuration diagnosis.
const DIAGNOSIS_FIELDS: Record<string, CheckedDestinationField> = {
  role_not_assumable: 'role_arn',
  role_invalid: 'role_arn',
  sts_region_disabled: 'region',
  bucket_not_found: 'bucket_name',
  bucket_wrong_region: 'region',
  bucket_acl_not_supported: 'bucket_name',
  s3_put_object_denied: 'role_arn',
  kinesis_stream_not_found: 'stream_name',
  kinesis_put_records_denied: 'role_arn',
  invalid_region: 'region',
  invalid_role_arn: 'role_arn',
  invalid_bucket_name: 'bucket_name',
  invalid_prefix: 'prefix',
  invalid_kms_key_id: 'kms_key_id',
  invalid_stream_name: 'stream_name',
};

/**
 * Returns the destination field that a diagnosis points at, or undefined
 * when no field fixes it (throttling, network and server faults). A KMS
 * denial points at kms_key_id for S3, and at role_arn for Kinesis, whose
 * stream key is not a destination field.
 */
export function fieldOfDiagnosis(code: string, connectionType: 'S3' | 'AwsKinesis'): CheckedDestinationField | undefined {
  if (code === 'kms_access_denied') return connectionType === 'S3' ? 'kms_key_id' : 'role_arn';
  return DIAGNOSIS_FIELDS[code];
}

/** Classifies errors every AWS service shares: throttling, expiry, 5xx and network faults. */
function diagnoseCommonError(error: unknown, action: string): DeliveryError {
  if (error instanceof DeliveryError) return error;

  const name = errorName(error);
  const status = (error as SdkError)?.$metadata?.httpStatusCode;
  const message = messageOf(error);

  if (EXPIRED.has(name)) {
    return new DeliveryError('transient', 'credentials_expired', `Credentials expired while ${action}; new ones are requested.`, { cause: error });
  }
  if (THROTTLING.has(name) || status === 429 || status === 503) {
    return new DeliveryError('transient', 'throttled', `Throttled while ${action}: ${message}`, { cause: error });
  }
  if (NETWORK_ERROR_CODES.has(name) || NETWORK_ERROR_CODES.has(String((error as SdkError)?.code)) || name === 'TimeoutError') {
    return new DeliveryError('transient', 'network_error', `Network error while ${action}: ${message}`, { cause: error });
  }
  if ((status !== undefined && status >= 500) || (error as SdkError)?.$fault === 'server') {
    return new DeliveryError('transient', 'server_error', `Server error${status ? ` ${status}` : ''} while ${action}: ${message}`, { cause: error });
  }
  return new DeliveryError('transient', 'unexpected_error', `Unexpected error while ${action}: ${name}: ${message}`, { cause: error });
}

function errorName(error: unknown): string {
  const sdkError = error as SdkError;
  return sdkError?.name && sdkError.name !== 'Error' ? sdkError.name : (sdkError?.Code ?? sdkError?.code ?? 'Error');
}

function messageOf(error: unknown): string {
  return (error as SdkError)?.message ?? String(error);
}
