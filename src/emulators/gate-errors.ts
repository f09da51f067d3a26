import { randomBytes } from 'node:crypto';

import { escapeXml, newRequestId } from './aws-wire.js';

/** Reason the gate rejected a request before it reached the upstream service. */
export type GateRejection =
  | { kind: 'missing-authentication' }
  | { kind: 'wrong-region'; signedRegion: string; expectedRegion: string }
  | { kind: 'unknown-access-key'; accessKeyId: string }
  | { kind: 'invalid-session-token' }
  | { kind: 'expired' }
  | { kind: 'access-denied'; principalArn: string; action: string; resource: string }
  // S3 only: the bucket's Object Ownership disables ACLs, and the request set one.
  | { kind: 'acl-not-supported' }
  // S3 only: KMS denied the kms:GenerateDataKey call that S3 makes with the caller's identity.
  | { kind: 'kms-access-denied'; principalArn: string; keyArn: string }
  // Kinesis only: kinesalite contains the streams of the gate's region, so a stream in any other region does not exist.
  | { kind: 'stream-not-found'; streamName: string; accountId: string };

export interface GateResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Renders a rejection as S3 does: an XML `<Error>` document. */
export function s3ErrorResponse(rejection: GateRejection): GateResponse {
  switch (rejection.kind) {
    case 'missing-authentication':
      return s3Error(403, 'AccessDenied', 'Access Denied');
    case 'wrong-region':
      return s3Error(
        400,
        'AuthorizationHeaderMalformed',
        `The authorization header is malformed; the region '${rejection.signedRegion}' is wrong; expecting '${rejection.expectedRegion}'`,
        { Region: rejection.expectedRegion },
      );
    case 'unknown-access-key':
      return s3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
        AWSAccessKeyId: rejection.accessKeyId,
      });
    case 'invalid-session-token':
      return s3Error(400, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
    case 'expired':
      return s3Error(400, 'ExpiredToken', 'The provided token has expired.');
    case 'access-denied':
      return s3Error(
        403,
        'AccessDenied',
        `User: ${rejection.principalArn} is not authorized to perform: ${rejection.action} on resource: ` +
          `"${rejection.resource}" because no identity-based policy allows the ${rejection.action} action`,
      );
    case 'acl-not-supported':
      return s3Error(400, 'AccessControlListNotSupported', 'The bucket does not allow ACLs');
    // S3 forwards KMS's denial as its own AccessDenied, naming the KMS action and key.
    case 'kms-access-denied':
      return s3Error(
        403,
        'AccessDenied',
        `User: ${rejection.principalArn} is not authorized to perform: kms:GenerateDataKey on resource: ${rejection.keyArn} ` +
          'because no identity-based policy allows the kms:GenerateDataKey action',
      );
    case 'stream-not-found':
      throw new Error(`Gate rejection ${rejection.kind} does not apply to S3`);
  }
}

/** Renders a rejection as Kinesis does: a JSON body with `__type` and `message`. */
export function kinesisErrorResponse(rejection: GateRejection): GateResponse {
  switch (rejection.kind) {
    case 'missing-authentication':
      return kinesisError(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    case 'wrong-region':
      return kinesisError(
        400,
        'InvalidSignatureException',
        `Credential should be scoped to a valid region, not '${rejection.signedRegion}'. This endpoint serves '${rejection.expectedRegion}'.`,
      );
    case 'unknown-access-key':
    case 'invalid-session-token':
      return kinesisError(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    case 'expired':
      return kinesisError(400, 'ExpiredTokenException', 'The security token included in the request is expired');
    case 'access-denied':
      return kinesisError(
        400,
        'AccessDeniedException',
        `User: ${rejection.principalArn} is not authorized to perform: ${rejection.action} on resource: ` +
          `${rejection.resource} because no identity-based policy allows the ${rejection.action} action`,
      );
    case 'stream-not-found':
      return kinesisError(400, 'ResourceNotFoundException', `Stream ${rejection.streamName} under account ${rejection.accountId} not found.`);
    case 'acl-not-supported':
    case 'kms-access-denied':
      throw new Error(`Gate rejection ${rejection.kind} does not apply to Kinesis`);
  }
}

/** Renders a failure to reach the upstream service, in the service's error format. */
export function upstreamErrorResponse(service: 's3' | 'kinesis', message: string): GateResponse {
  return service === 's3' ? s3Error(502, 'InternalError', message) : kinesisError(502, 'InternalFailure', message);
}

function s3Error(status: number, code: string, message: string, details: Record<string, string> = {}): GateResponse {
  const requestId = newRequestId();
  const detailXml = Object.entries(details)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${detailXml}` +
    `<RequestId>${requestId}</RequestId><HostId>${randomBytes(24).toString('base64')}</HostId></Error>`;
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
    body,
  };
}

function kinesisError(status: number, type: string, message: string): GateResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': newRequestId() },
    body: JSON.stringify({ __type: type, message }),
  };
}
