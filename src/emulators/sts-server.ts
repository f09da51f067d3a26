import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { escapeXml, formatAwsTimestamp, newRequestId, readSigV4Credential } from './aws-wire.js';
import { accountOfArn, parseRoleArn, uniqueIdForArn, type Iam, type Principal } from './iam.js';

export interface StsServerOptions {
  iam: Iam;
  host?: '127.0.0.1';
  /** 0 or absent picks a free port. */
  port?: number;
  /** Upper bound on the lifetime of issued credentials, in seconds. Default 3600. */
  credentialLifetimeSeconds?: number;
}

export interface StsServer {
  url: string;
  /** Changes the upper bound on the lifetime of credentials issued from now on, in seconds. */
  setCredentialLifetime(seconds: number): void;
  /** Counts AssumeRole requests for the role ARN from authenticated callers, whether they succeeded or not. */
  assumeRoleCount(roleArn: string): number;
  close(): Promise<void>;
}

const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const DEFAULT_DURATION_SECONDS = 3600;
// AssumeRole accepts 900 s to 12 h. Every emulated role has the default MaxSessionDuration of 1 h.
const MIN_DURATION_SECONDS = 900;
const MAX_SESSION_DURATION_SECONDS = 3600;
const MAX_REQUEST_BYTES = 64 * 1024;

/** An error answered in the awsQuery error shape. */
class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts an STS server that speaks the awsQuery protocol (form-encoded POST, XML
 * responses) that `@aws-sdk/client-sts` sends. It implements AssumeRole and
 * GetCallerIdentity against the roles, trust policies and identities in `iam`.
 */
export async function startStsServer(options: StsServerOptions): Promise<StsServer> {
  const { iam } = options;
  let lifetimeSeconds = validateLifetime(options.credentialLifetimeSeconds ?? DEFAULT_DURATION_SECONDS);
  const assumeRoleCounts = new Map<string, number>();

  const handleAction = (params: URLSearchParams, principal: Principal): string => {
    const action = params.get('Action');
    if (action === 'GetCallerIdentity') {
      return getCallerIdentity(principal);
    }
    if (action === 'AssumeRole') {
      const roleArn = params.get('RoleArn') ?? '';
      assumeRoleCounts.set(roleArn, (assumeRoleCounts.get(roleArn) ?? 0) + 1);
      return assumeRole(iam, params, principal, lifetimeSeconds);
    }
    if (action === null) {
      throw new StsError(400, 'MissingAction', 'The request must contain the parameter Action.');
    }
    throw new StsError(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15.`);
  };

  const server = http.createServer((request, response) => {
    readBody(request)
      .then((body) => {
        const params = requestParams(request, body);
        const principal = authenticateCaller(iam, request);
        const xml = handleAction(params, principal);
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(xml);
      })
      .catch((error: unknown) => {
        const stsError =
          error instanceof StsError ? error : new StsError(500, 'InternalFailure', `STS emulator failed: ${String(error)}`);
        response.writeHead(stsError.status, { 'content-type': 'text/xml' });
        response.end(errorXml(stsError));
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    setCredentialLifetime(seconds: number) {
      lifetimeSeconds = validateLifetime(seconds);
    },
    assumeRoleCount(roleArn: string) {
      return assumeRoleCounts.get(roleArn) ?? 0;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function authenticateCaller(iam: Iam, request: http.IncomingMessage): Principal {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const credential = readSigV4Credential(request.headers, url.searchParams);
  if (credential === undefined) {
    throw new StsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  }

  // TODO: verify the SigV4 signature with the identity's or session's secret key; only the access key id is checked.
  const result = iam.authenticate(credential.accessKeyId, credential.sessionToken);
  if (!result.ok) {
    if (result.failure === 'expired') {
      throw new StsError(400, 'ExpiredToken', 'The security token included in the request is expired');
    }
    throw new StsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
  }

  if (iam.disabledRegions.has(credential.region)) {
    throw new StsError(
      403,
      'RegionDisabledException',
      `STS is not activated in this region for account:${accountOfArn(result.principal.arn)}. ` +
        'Your account administrator can activate STS in this region using the IAM Console.',
    );
  }
  return result.principal;
}

function assumeRole(iam: Iam, params: URLSearchParams, caller: Principal, lifetimeSeconds: number): string {
  const roleArn = requireParam(params, 'RoleArn', 'roleArn');
  const sessionName = requireParam(params, 'RoleSessionName', 'roleSessionName');
  const externalId = params.get('ExternalId') ?? undefined;
  const durationSeconds = parseDuration(params.get('DurationSeconds'));
  validateRoleArn(roleArn);
  validatePattern(sessionName, 'roleSessionName', 2, 64, /^[\w+=,.@-]*$/, '[\\w+=,.@-]*');
  if (externalId !== undefined) {
    validatePattern(externalId, 'externalId', 2, 1224, /^[\w+=,.@:/-]*$/, '[\\w+=,.@:\\/-]*');
  }

  // AWS answers a missing role, an untrusted caller and a wrong external id alike, so that
  // callers cannot probe which roles exist.
  const role = iam.getRole(roleArn);
  const allowed =
    role !== undefined &&
    iam.isAllowed(caller, 'sts:AssumeRole', roleArn) &&
    iam.trustsPrincipal(role, caller, externalId);
  if (!allowed) {
    throw new StsError(
      403,
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    );
  }

  const session = iam.issueSession({
    roleArn,
    sessionName,
    externalId,
    lifetimeSeconds: Math.min(durationSeconds, lifetimeSeconds),
  });
  return `<AssumeRoleResponse xmlns="${STS_XML_NAMESPACE}">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <AssumedRoleId>${uniqueIdForArn('AROA', roleArn)}:${escapeXml(sessionName)}</AssumedRoleId>
      <Arn>${escapeXml(session.assumedRoleArn)}</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${session.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${escapeXml(session.secretAccessKey)}</SecretAccessKey>
      <SessionToken>${escapeXml(session.sessionToken)}</SessionToken>
      <Expiration>${formatAwsTimestamp(session.expiration)}</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>${newRequestId()}</RequestId></ResponseMetadata>
</AssumeRoleResponse>`;
}

function getCallerIdentity(caller: Principal): string {
  const userId =
    caller.kind === 'session'
      ? `${uniqueIdForArn('AROA', caller.session.roleArn)}:${caller.session.sessionName}`
      : uniqueIdForArn('AIDA', caller.arn);
  return `<GetCallerIdentityResponse xmlns="${STS_XML_NAMESPACE}">
  <GetCallerIdentityResult>
    <Arn>${escapeXml(caller.arn)}</Arn>
    <UserId>${escapeXml(userId)}</UserId>
    <Account>${accountOfArn(caller.arn)}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>${newRequestId()}</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`;
}

function errorXml(error: StsError): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return `<ErrorResponse xmlns="${STS_XML_NAMESPACE}">
  <Error>
    <Type>${type}</Type>
    <Code>${error.code}</Code>
    <Message>${escapeXml(error.message)}</Message>
  </Error>
  <RequestId>${newRequestId()}</RequestId>
</ErrorResponse>`;
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

function validateLifetime(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`Invalid credential lifetime ${seconds}: expected a positive number of seconds`);
  }
  return seconds;
}

/** Merges query string and form body parameters, because awsQuery may send either. */
function requestParams(request: http.IncomingMessage, body: Buffer): URLSearchParams {
  const params = new URL(request.url ?? '/', 'http://localhost').searchParams;
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    params.set(name, value);
  }
  return params;
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > MAX_REQUEST_BYTES) {
        // The rest of the body is read and dropped so that the error response can still be sent.
        reject(new StsError(413, 'RequestEntityTooLarge', `Request body is larger than ${MAX_REQUEST_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
