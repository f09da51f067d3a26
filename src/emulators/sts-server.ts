import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Logger } from 'pino';

import { createLogger } from '../logger.js';
import { escapeXml, formatAwsTimestamp, newRequestId, readSigV4Credential } from './aws-wire.js';
import { accountOfArn, uniqueIdForArn, type Iam, type Principal } from './iam.js';
import { readAssumeRoleParameters, StsError } from './sts-parameters.js';

export interface StsServerOptions {
  iam: Iam;
  host?: '127.0.0.1';
  /** 0 or absent picks a free port. */
  port?: number;
  /** Upper bound on the lifetime of issued credentials, in seconds. Default 3600. */
  credentialLifetimeSeconds?: number;
  /** Logs failures of the server itself. Rejected requests get AWS error responses and are not logged. */
  logger?: Logger;
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
const DEFAULT_CREDENTIAL_LIFETIME_SECONDS = 3600;
const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * Starts an STS server that speaks the awsQuery protocol (form-encoded POST, XML
 * responses) that `@aws-sdk/client-sts` sends. It implements AssumeRole and
 * GetCallerIdentity against the roles, trust policies and identities in `iam`.
 */
export async function startStsServer(options: StsServerOptions): Promise<StsServer> {
  const { iam } = options;
  let lifetimeSeconds = validateLifetime(options.credentialLifetimeSeconds ?? DEFAULT_CREDENTIAL_LIFETIME_SECONDS);
  const assumeRoleCounts = new Map<string, number>();
  const logger = (options.logger ?? createLogger()).child({ component: 'sts-emulator' });

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
        let stsError: StsError;
        if (error instanceof StsError) {
          stsError = error;
        } else {
          logger.error({ err: error }, 'STS emulator failed to handle a request');
          stsError = new StsError(500, 'InternalFailure', `STS emulator failed: ${String(error)}`);
        }
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
  const { roleArn, sessionName, externalId, durationSeconds } = readAssumeRoleParameters(params);

  // AWS returns the same error for a missing role, an untrusted caller and a wrong external id, so that
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
