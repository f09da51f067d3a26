import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

import {
  diagnoseAssumeRoleError,
  diagnoseInvalidValue,
  diagnoseKinesisError,
  diagnoseS3Error,
  fieldOfDiagnosis,
  type CheckedDestinationField,
  type DiagnosisContext,
} from '../delivery/aws-diagnosis.js';
import type { DeliveryError } from '../delivery/delivery-error.js';
import type { AwsClientFactory } from './clients.js';
import { externalIdOf, sessionNameOf } from './external-id.js';
import type { AwsDestination } from './policies.js';
import { putCheckObject, putCheckRecord, type CheckStamp } from './setup-check-writes.js';

export interface SetupCheckDeps {
  /** Principal that customer roles must trust, named in diagnoses. */
  operatorPrincipalArn: string;
  clients: AwsClientFactory;
  /** The service's own AWS identity, which calls sts:AssumeRole. The SDK's standard credential chain applies when absent. */
  serviceCredentials?: AwsCredentialIdentityProvider;
  now?: () => Date;
}

/** One step of the check that passed. */
export interface PassedCheck {
  name: 'assume_role' | 's3_put_object' | 'kinesis_put_records';
  /** The role ARN, check object ARN or stream name that the step used. */
  resource: string;
  message: string;
}

export interface SetupCheckFailure {
  diagnosis: DeliveryError;
  /** Destination field to change, or undefined when no field fixes the fault (throttling, network or server errors). */
  field: CheckedDestinationField | undefined;
}

export type SetupCheckResult =
  | { ok: true; checks: PassedCheck[] }
  | { ok: false; checks: PassedCheck[]; failure: SetupCheckFailure };

// The shortest session STS issues, in seconds. The check needs it for two requests only.
const CHECK_SESSION_SECONDS = 900;

/**
 * Checks that datastreamer can deliver to the destination, the way delivery
 * will: it assumes the role with the organisation's external id, then
 * writes the check object to S3 or the check record to Kinesis. Formats are
 * validated before any AWS call. AssumeRole bypasses the delivery cache, so
 * a trust relationship fixed a moment ago shows at once. Each failure comes
 * back as a diagnosis naming its cause and fix, never as a thrown error.
 */
export async function runSetupCheck(deps: SetupCheckDeps, organisationId: number, destination: AwsDestination): Promise<SetupCheckResult> {
  const checks: PassedCheck[] = [];
  const context = diagnosisContext(deps, organisationId, destination);
  const fail = (diagnosis: DeliveryError): SetupCheckResult => ({
    ok: false,
    checks,
    failure: { diagnosis, field: fieldOfDiagnosis(diagnosis.code, destination.connection_type) },
  });

  const invalid = findInvalidValue(destination);
  if (invalid) return fail(invalid);

  let credentials: AwsCredentialIdentity;
  try {
    credentials = await assumeRole(deps, organisationId, destination);
  } catch (error) {
    return fail(diagnoseAssumeRoleError(error, context));
  }
  checks.push({
    name: 'assume_role',
    resource: destination.role_arn,
    message: `Assumed role ${destination.role_arn} as ${deps.operatorPrincipalArn} with external id ${externalIdOf(organisationId)}.`,
  });

  const checkedAt = deps.now?.() ?? new Date();
  const stamp: CheckStamp = { organisationId, roleArn: destination.role_arn, checkedAt };
  const roleCredentials = async () => credentials;

  if (destination.connection_type === 'S3') {
    try {
      const key = await putCheckObject(deps.clients.s3(destination.region, roleCredentials), destination, stamp);
      checks.push({
        name: 's3_put_object',
        resource: `arn:aws:s3:::${destination.bucket_name}/${key}`,
        message: `Wrote the check object s3://${destination.bucket_name}/${key}.`,
      });
    } catch (error) {
      return fail(diagnoseS3Error(error, context));
    }
  } else {
    try {
      await putCheckRecord(deps.clients.kinesis(destination.region, roleCredentials), destination, stamp);
      checks.push({
        name: 'kinesis_put_records',
        resource: destination.stream_name,
        message: `Wrote one check record to Kinesis stream ${destination.stream_name} in ${destination.region}.`,
      });
    } catch (error) {
      return fail(diagnoseKinesisError(error, context));
    }
  }

  return { ok: true, checks };
}

/** Returns the diagnosis of the first destination value with an invalid format, in the order a customer fills them in. */
function findInvalidValue(destination: AwsDestination): DeliveryError | undefined {
  const values: [CheckedDestinationField, string | null][] =
    destination.connection_type === 'S3'
      ? [
          ['region', destination.region],
          ['bucket_name', destination.bucket_name],
          ['prefix', destination.prefix],
          ['role_arn', destination.role_arn],
          ['kms_key_id', destination.kms_key_id],
        ]
      : [
          ['region', destination.region],
          ['stream_name', destination.stream_name],
          ['role_arn', destination.role_arn],
        ];

  for (const [field, value] of values) {
    const diagnosis = value === null ? undefined : diagnoseInvalidValue(field, value);
    if (diagnosis) return diagnosis;
  }
  return undefined;
}

async function assumeRole(deps: SetupCheckDeps, organisationId: number, destination: AwsDestination): Promise<AwsCredentialIdentity> {
  // The STS client goes to the destination region's endpoint, as delivery does, so a region without STS fails here too.
  const sts = deps.clients.sts(destination.region, deps.serviceCredentials);
  const response = await sts.send(
    new AssumeRoleCommand({
      RoleArn: destination.role_arn,
      ExternalId: externalIdOf(organisationId),
      RoleSessionName: sessionNameOf(organisationId),
      DurationSeconds: CHECK_SESSION_SECONDS,
    }),
  );

  const issued = response.Credentials;
  if (!issued?.AccessKeyId || !issued.SecretAccessKey) {
    throw new Error(`STS returned no credentials for role ${destination.role_arn}`);
  }
  return { accessKeyId: issued.AccessKeyId, secretAccessKey: issued.SecretAccessKey, sessionToken: issued.SessionToken, expiration: issued.Expiration };
}

function diagnosisContext(deps: SetupCheckDeps, organisationId: number, destination: AwsDestination): DiagnosisContext {
  const context: DiagnosisContext = {
    organisationId,
    roleArn: destination.role_arn,
    region: destination.region,
    operatorPrincipalArn: deps.operatorPrincipalArn,
  };

  if (destination.connection_type === 'S3') {
    context.bucketName = destination.bucket_name;
    context.prefix = destination.prefix;
    context.kmsKeyId = destination.kms_key_id;
  } else {
    context.streamName = destination.stream_name;
  }
  return context;
}
