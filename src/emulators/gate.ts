import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Logger } from 'pino';

import { headerValue, readSigV4Credential, type SigV4Credential } from './aws-wire.js';
import { kinesisOperation, s3Operation, type AuthorizedOperation } from './gate-actions.js';
import {
  kinesisErrorResponse,
  s3ErrorResponse,
  upstreamErrorResponse,
  type GateRejection,
  type GateResponse,
} from './gate-errors.js';
import { createLogger } from '../logger.js';
import { accountOfArn, CUSTOMER_ACCOUNT_ID, LOCAL_REGION, type Iam, type Principal } from './iam.js';
import { bucketOfResource, checkS3BucketRules, S3BucketSettings } from './s3-buckets.js';

export interface GateOptions {
  iam: Iam;
  service: 's3' | 'kinesis';
  /** Base URL of the upstream emulator, for example http://127.0.0.1:4568 for s3rver. */
  target: string;
  /**
   * Region of the upstream's buckets and streams, default LOCAL_REGION. S3 requests must be signed for
   * their bucket's region. Kinesis requests signed for another region find no stream there.
   */
  region?: string;
  /** S3 only: regions and ACL settings of buckets. Default: every bucket in `region`, accepting ACLs. */
  buckets?: S3BucketSettings;
  /** Account in Kinesis stream ARNs. Default CUSTOMER_ACCOUNT_ID. */
  accountId?: string;
  /** Logs failures of the gate itself. Rejected requests are not logged but recorded in `requests`. */
  logger?: Logger;
}

export interface GateRequestLogEntry {
  /** Time the gate received the request, in ms since the Unix epoch. */
  at: number;
  /** '' when the request carried no SigV4 credential. */
  accessKeyId: string;
  /** ARN of the identity or assumed-role session, '' when the credentials were rejected. */
  principal: string;
  action: string;
  resource: string;
  allowed: boolean;
  /** Kind of rejection, for example 'expired' for an expired session token, or undefined when the request was allowed. */
  rejection: GateRejection['kind'] | undefined;
  /** True when the fault injector responded in place of the upstream service, or closed the connection. */
  faulted: boolean;
}

/** A response sent in place of the upstream's, or `{ resetConnection: true }` to close the connection without a response. */
export type FaultResponse = { status: number; headers?: Record<string, string>; body: string } | { resetConnection: true };

/** The authorized request that a fault injector decides on. */
export interface FaultRequest {
  action: string;
  resource: string;
  /** ARN of the identity or assumed-role session that signed the request. */
  principal: string;
  body: Buffer;
}

/**
 * Returns a response to send in place of the upstream's, or undefined to let the request through.
 * An injector may return a promise, for example to delay a request or to write to the upstream itself.
 */
export type FaultInjector = (request: FaultRequest) => FaultResponse | undefined | Promise<FaultResponse | undefined>;

export interface Gate {
  url: string;
  /** Every request received, in order, including rejected ones. */
  requests: GateRequestLogEntry[];
  setFault(injector: FaultInjector | null): void;
  close(): Promise<void>;
}

// Bodies are buffered for Kinesis (to read the stream name) and while a fault injector is set.
const MAX_BUFFERED_BODY_BYTES = 64 * 1024 * 1024;
const HOP_BY_HOP_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);
// s3rver 3.x rejects every access key but its built-in one, and does not verify SigV4 signatures.
const S3RVER_ACCESS_KEY_ID = 'S3RVER';

/**
 * Starts a reverse proxy in front of s3rver or kinesalite that authenticates each request
 * against `iam`, authorizes it as S3 or Kinesis would, and forwards allowed requests unchanged.
 * Rejections are returned in the service's own error format.
 */
export async function startGate(options: GateOptions): Promise<Gate> {
  const { iam, service } = options;
  const region = options.region ?? LOCAL_REGION;
  const accountId = options.accountId ?? CUSTOMER_ACCOUNT_ID;
  const buckets = options.buckets ?? new S3BucketSettings(region);
  const target = new URL(options.target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const logger = (options.logger ?? createLogger()).child({ component: `${service}-gate` });
  const requests: GateRequestLogEntry[] = [];
  let faultInjector: FaultInjector | null = null;

  const renderRejection = service === 's3' ? s3ErrorResponse : kinesisErrorResponse;

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const credential = readSigV4Credential(request.headers, url.searchParams);
    const injector = faultInjector;
    const body = service === 'kinesis' || injector !== null ? await readBody(request) : undefined;

    // A Kinesis stream ARN names the region that the request is signed for.
    const streamArnPrefix = `arn:aws:kinesis:${credential?.region ?? region}:${accountId}:stream/`;
    const operation =
      service === 's3'
        ? s3Operation(request.method ?? 'GET', url)
        : kinesisOperation(headerValue(request.headers, 'x-amz-target'), body ?? Buffer.alloc(0), streamArnPrefix);
    const { principal, rejection } = checkRequest({ iam, service, region, buckets }, credential, operation, request.headers);
    const entry: GateRequestLogEntry = {
      at: Date.now(),
      accessKeyId: credential?.accessKeyId ?? '',
      principal: principal?.arn ?? '',
      action: operation.action,
      resource: operation.resource,
      allowed: rejection === undefined,
      rejection: rejection?.kind,
      faulted: false,
    };
    requests.push(entry);

    if (rejection !== undefined) {
      sendResponse(response, renderRejection(rejection));
      return;
    }

    const fault = await injector?.({ ...operation, principal: entry.principal, body: body ?? Buffer.alloc(0) });
    if (fault !== undefined) {
      entry.faulted = true;
      if ('resetConnection' in fault) {
        request.socket.destroy();
        return;
      }
      sendResponse(response, { status: fault.status, headers: fault.headers ?? {}, body: fault.body });
      return;
    }
    forward(request, response, operation, body);
  };

  const forward = (
    request: http.IncomingMessage,
    response: http.ServerResponse,
    operation: AuthorizedOperation,
    body: Buffer | undefined,
  ): void => {
    const upstreamRequest = http.request({
      host: target.hostname,
      port: target.port,
      method: request.method,
      path: service === 's3' ? withS3rverQueryCredential(request.url ?? '/') : request.url,
      headers: forwardedRequestHeaders(request.headers, service),
      agent,
    });

    upstreamRequest.on('response', (upstreamResponse) => {
      response.writeHead(upstreamResponse.statusCode ?? 502, withoutHopByHop(upstreamResponse.rawHeaders));
      upstreamResponse.pipe(response);
      upstreamResponse.on('error', (error) => response.destroy(error));
      response.on('close', () => {
        if (!response.writableFinished) {
          upstreamResponse.destroy();
        }
      });
    });
    upstreamRequest.on('error', (error) => {
      logger.error({ err: error, target: options.target, ...operation }, 'Gate request to upstream failed');
      if (response.headersSent) {
        response.destroy(error);
        return;
      }
      sendResponse(response, upstreamErrorResponse(service, `Gate failed to reach ${options.target}: ${error.message}`));
    });

    if (body !== undefined) {
      upstreamRequest.end(body);
      return;
    }
    request.pipe(upstreamRequest);
    request.on('error', () => upstreamRequest.destroy());
  };

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // The path only, because a presigned URL's query carries the session token.
      const path = request.url?.split('?')[0];
      logger.error({ err: error, method: request.method, path }, 'Gate failed to handle a request');
      if (response.headersSent) {
        response.destroy();
        return;
      }
      sendResponse(response, upstreamErrorResponse(service, `Gate failed to handle the request: ${String(error)}`));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setFault(injector: FaultInjector | null) {
      faultInjector = injector;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
        agent.destroy();
      });
    },
  };
}

interface GateRules {
  iam: Iam;
  service: 's3' | 'kinesis';
  region: string;
  buckets: S3BucketSettings;
}

/**
 * Authenticates the credential, then authorizes the operation for the principal behind it, then applies
 * the service's own rules: S3's bucket settings, and Kinesis's streams existing in the gate's region only.
 */
function checkRequest(
  rules: GateRules,
  credential: SigV4Credential | undefined,
  operation: AuthorizedOperation,
  headers: http.IncomingHttpHeaders,
): { principal?: Principal; rejection?: GateRejection } {
  if (credential === undefined) {
    return { rejection: { kind: 'missing-authentication' } };
  }
  const expectedRegion = expectedSigningRegion(rules, credential.region, operation);
  if (credential.region !== expectedRegion) {
    return { rejection: { kind: 'wrong-region', signedRegion: credential.region, expectedRegion } };
  }

  // TODO: verify the SigV4 signature with the identity's or session's secret key; only the access key id is checked.
  const result = rules.iam.authenticate(credential.accessKeyId, credential.sessionToken);
  if (!result.ok) {
    if (result.failure === 'unknown-access-key') {
      return { rejection: { kind: 'unknown-access-key', accessKeyId: credential.accessKeyId } };
    }
    return { rejection: { kind: result.failure } };
  }

  const { principal } = result;
  if (!rules.iam.isAllowed(principal, operation.action, operation.resource)) {
    return { principal, rejection: { kind: 'access-denied', principalArn: principal.arn, ...operation } };
  }

  if (rules.service === 's3') {
    return { principal, rejection: checkS3BucketRules(rules.iam, rules.buckets, principal, operation, headers) };
  }
  if (credential.region !== rules.region) {
    const [streamArnHead, streamName = ''] = operation.resource.split(':stream/');
    return { principal, rejection: { kind: 'stream-not-found', streamName, accountId: accountOfArn(streamArnHead) } };
  }
  return { principal };
}

/**
 * S3 requests must be signed for the region of their bucket, and requests without a bucket for the gate's
 * region. A Kinesis request that names a stream may be signed for any region, because each region has
 * its own streams. Other Kinesis requests, such as ListStreams, must be signed for the gate's region.
 */
function expectedSigningRegion(rules: GateRules, signedRegion: string, operation: AuthorizedOperation): string {
  if (rules.service === 's3') {
    const bucket = bucketOfResource(operation.resource);
    return bucket === undefined ? rules.region : rules.buckets.regionOf(bucket);
  }
  return operation.resource.includes(':stream/') ? signedRegion : rules.region;
}

function forwardedRequestHeaders(headers: http.IncomingHttpHeaders, service: 's3' | 'kinesis'): http.OutgoingHttpHeaders {
  const forwarded: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    // Node's HTTP server has already sent `100 Continue` to the client.
    if (value !== undefined && !HOP_BY_HOP_HEADERS.has(name) && name !== 'expect') {
      forwarded[name] = value;
    }
  }

  const authorization = headerValue(headers, 'authorization');
  if (service === 's3' && authorization !== undefined) {
    forwarded.authorization = authorization.replace(/Credential=[^/]+\//, `Credential=${S3RVER_ACCESS_KEY_ID}/`);
  }
  return forwarded;
}

/** Replaces the access key in a presigned URL's `X-Amz-Credential` with the one s3rver accepts. */
function withS3rverQueryCredential(path: string): string {
  const url = new URL(path, 'http://localhost');
  const credential = url.searchParams.get('X-Amz-Credential');
  if (credential === null) {
    return path;
  }
  url.searchParams.set('X-Amz-Credential', credential.replace(/^[^/]+\//, `${S3RVER_ACCESS_KEY_ID}/`));
  return url.pathname + url.search;
}

function withoutHopByHop(rawHeaders: string[]): string[] {
  const forwardedHeaders: string[] = [];
  for (let index = 0; index < rawHeaders.length; index += 2) {
    if (!HOP_BY_HOP_HEADERS.has(rawHeaders[index].toLowerCase())) {
      forwardedHeaders.push(rawHeaders[index], rawHeaders[index + 1]);
    }
  }
  return forwardedHeaders;
}

function sendResponse(response: http.ServerResponse, gateResponse: GateResponse): void {
  response.writeHead(gateResponse.status, {
    ...gateResponse.headers,
    'content-length': Buffer.byteLength(gateResponse.body),
  });
  response.end(gateResponse.body);
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > MAX_BUFFERED_BODY_BYTES) {
        reject(new Error(`Request body is larger than the gate's buffer limit of ${MAX_BUFFERED_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
