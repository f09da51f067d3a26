import { externalIdOf } from '../aws/external-id.js';
import { DeliveryError } from './delivery-error.js';

/** What the diagnosis needs to know about the failed destination. */
export interface DiagnosisContext {
  organisationId: number;
  roleArn: string;
  region: string;
  operatorPrincipalArn: string;
  bucketName?: string;
  streamName?: string;
  kmsKeyId?: string | null;
}

interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
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
        `Fix the role's trust relationship so that it names this principal and the external id ${externalId}.`,
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

  switch (name) {
    case 'NoSuchBucket':
      return new DeliveryError('configuration', 'bucket_not_found', `Bucket ${bucket} does not exist. Create it in region ${context.region}, or correct bucket_name.`, {
        cause: error,
      });
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException':
      return new DeliveryError(
        'configuration',
        'bucket_wrong_region',
        `Bucket ${bucket} is not in region ${context.region}. Set region to the bucket's region.`,
        { cause: error },
      );
    case 'AccessControlListNotSupported':
      return new DeliveryError(
        'configuration',
        'bucket_acl_not_supported',
        `Bucket ${bucket} rejects object ACLs (Object Ownership is "Bucket owner enforced"). Remove the bucket policy condition that requires an ACL.`,
        { cause: error },
      );
    case 'KMS.AccessDeniedException':
    case 'KMS.NotFoundException':
    case 'KMS.DisabledException':
    case 'KMS.KMSInvalidStateException':
      return new DeliveryError(
        'configuration',
        'kms_access_denied',
        `Role ${context.roleArn} may not use KMS key ${context.kmsKeyId ?? '(bucket default)'}. Allow kms:GenerateDataKey on the key to the role.`,
        { cause: error },
      );
    case 'AccessDenied':
      if (/kms/i.test(messageOf(error))) {
        return diagnoseS3Error(Object.assign(new Error(messageOf(error)), { name: 'KMS.AccessDeniedException' }), context);
      }
      return new DeliveryError(
        'configuration',
        's3_put_object_denied',
        `Role ${context.roleArn} may not write to bucket ${bucket}. Allow s3:PutObject on arn:aws:s3:::${bucket}/<prefix>* to the role.`,
        { cause: error },
      );
  }
  return diagnoseCommonError(error, `writing to bucket ${bucket}`);
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
