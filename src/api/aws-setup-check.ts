import { runSetupCheck, type PassedCheck, type SetupCheckFailure } from '../aws/setup-check.js';
import type { CheckedDestinationField } from '../delivery/aws-diagnosis.js';
import type { DeliveryError } from '../delivery/delivery-error.js';
import type { Destination } from '../storage/index.js';
import type { ApiDeps } from './deps.js';
import { ApiError, apiError, type ErrorBody } from './errors.js';

/** Returns the request field that contains a destination field, such as destination.credentials.role_arn. */
export type FieldNamer = (field: CheckedDestinationField) => string;

const V2_FIELD_NAMES: FieldNamer = (field) => `destination.credentials.${field}`;

/** A failed AWS setup check as an API error: the catalogue body plus `diagnosis: {code, message}`. */
export class SetupCheckError extends ApiError {
  constructor(
    base: ApiError,
    readonly diagnosis: DeliveryError,
  ) {
    super(base.token, base.message, base.errors);
  }

  override toBody(): ErrorBody {
    return { ...super.toBody(), diagnosis: { code: this.diagnosis.code, message: this.diagnosis.message } };
  }
}

/**
 * Runs the AWS setup check of an S3 or Kinesis destination and returns the
 * checks that passed, or throws the failure as an API error. Other destinations
 * need no AWS access and return no checks.
 */
export async function requireSetupCheck(
  deps: ApiDeps,
  organisationId: number,
  destination: Destination,
  fieldName: FieldNamer = V2_FIELD_NAMES,
): Promise<PassedCheck[]> {
  if (destination.connection_type === 'RestAPI') return [];
  if (deps.aws === undefined) {
    throw apiError('setup_check_unavailable', { diagnosis: 'this service runs without AWS access for setup checks. Report this to the operator.' });
  }

  const result = await runSetupCheck(
    { operatorPrincipalArn: deps.config.operatorPrincipalArn, clients: deps.aws.clients, serviceCredentials: deps.aws.serviceCredentials },
    organisationId,
    destination,
  );
  if (!result.ok) {
    const { code } = result.failure.diagnosis;
    const level = code === 'service_credentials_missing' ? 'error' : 'info';
    deps.logger[level]({ organisation_id: organisationId, connection_type: destination.connection_type, code }, 'AWS setup check failed');
    throw setupCheckError(result.failure, fieldName);
  }
  return result.checks;
}

/**
 * Turns a setup check failure into the API error to throw. A configuration
 * fault is 422 `setup_check_failed` with the field to change, named by
 * `fieldName`: v2 bodies nest it under destination.credentials, and v1
 * bodies can map it to api_username or api_parameter. A transient fault
 * (throttling, network or AWS server errors) is 503
 * `setup_check_unavailable`, because the customer has nothing to fix.
 */
export function setupCheckError(failure: SetupCheckFailure, fieldName: FieldNamer = V2_FIELD_NAMES): SetupCheckError {
  const { diagnosis, field } = failure;

  if (diagnosis.code === 'service_credentials_missing') {
    // The customer cannot fix this, so the response says who can, without repeating operator detail.
    const message = 'datastreamer has no AWS identity configured, so it cannot assume roles. Ask the operator of this service to configure one, then retry.';
    return new SetupCheckError(apiError('setup_check_unavailable', { diagnosis: message }), diagnosis);
  }
  if (diagnosis.failureClass === 'transient') {
    return new SetupCheckError(apiError('setup_check_unavailable', { diagnosis: `${diagnosis.message.replace(/\.?$/, '.')} Retry later.` }), diagnosis);
  }

  const errors = [{ field: field === undefined ? 'destination' : fieldName(field), message: diagnosis.message }];
  return new SetupCheckError(apiError('setup_check_failed', { diagnosis: diagnosis.message }, errors), diagnosis);
}
