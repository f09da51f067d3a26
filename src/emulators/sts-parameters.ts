import { parseRoleArn } from './iam.js';

/** An error that the STS server returns in the awsQuery error shape. */
export class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface AssumeRoleParameters {
  roleArn: string;
  sessionName: string;
  externalId: string | undefined;
  durationSeconds: number;
}

const DEFAULT_DURATION_SECONDS = 3600;
// AssumeRole accepts 900 s to 12 h. Every emulated role has the default MaxSessionDuration of 1 h.
const MIN_DURATION_SECONDS = 900;
const MAX_SESSION_DURATION_SECONDS = 3600;

/** Reads the AssumeRole parameters, throwing a ValidationError as STS does for a missing or invalid one. */
export function readAssumeRoleParameters(params: URLSearchParams): AssumeRoleParameters {
  const roleArn = requireParam(params, 'RoleArn', 'roleArn');
  const sessionName = requireParam(params, 'RoleSessionName', 'roleSessionName');
  const externalId = params.get('ExternalId') ?? undefined;
  const durationSeconds = parseDuration(params.get('DurationSeconds'));

  validateRoleArn(roleArn);
  validatePattern(sessionName, 'roleSessionName', 2, 64, /^[\w+=,.@-]*$/, '[\\w+=,.@-]*');
  if (externalId !== undefined) {
    validatePattern(externalId, 'externalId', 2, 1224, /^[\w+=,.@:/-]*$/, '[\\w+=,.@:\\/-]*');
  }
  return { roleArn, sessionName, externalId, durationSeconds };
}

function requireParam(params: URLSearchParams, name: string, memberName: string): string {
  const value = params.get(name);
  if (value === null) {
    throw validationError(`Value null at '${memberName}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

function validateRoleArn(roleArn: string): void {
  if (roleArn.length < 20) {
    throw validationError(
      `Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20`,
    );
  }
  try {
    parseRoleArn(roleArn);
  } catch {
    throw new StsError(400, 'ValidationError', `${roleArn} is invalid: expected arn:aws:iam::<account id>:role/<role name>`);
  }
}

function validatePattern(
  value: string,
  memberName: string,
  minLength: number,
  maxLength: number,
  pattern: RegExp,
  patternText: string,
): void {
  if (value.length < minLength) {
    throw validationError(
      `Value '${value}' at '${memberName}' failed to satisfy constraint: Member must have length greater than or equal to ${minLength}`,
    );
  }
  if (value.length > maxLength) {
    throw validationError(
      `Value '${value}' at '${memberName}' failed to satisfy constraint: Member must have length less than or equal to ${maxLength}`,
    );
  }
  if (!pattern.test(value)) {
    throw validationError(
      `Value '${value}' at '${memberName}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${patternText}`,
    );
  }
}

function parseDuration(text: string | null): number {
  if (text === null) {
    return DEFAULT_DURATION_SECONDS;
  }
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < MIN_DURATION_SECONDS) {
    throw validationError(
      `Value '${text}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to ${MIN_DURATION_SECONDS}`,
    );
  }
  if (seconds > MAX_SESSION_DURATION_SECONDS) {
    throw new StsError(
      400,
      'ValidationError',
      `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (${MAX_SESSION_DURATION_SECONDS} s).`,
    );
  }
  return seconds;
}

function validationError(detail: string): StsError {
  return new StsError(400, 'ValidationError', `1 validation error detected: ${detail}`);
}
