import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The credential scope of a SigV4-signed request, plus the session token sent with it. */
export interface SigV4Credential {
  accessKeyId: string;
  /** The scope date, yyyymmdd. */
  date: string;
  region: string;
  service: string;
  sessionToken: string | undefined;
}

/**
 * Reads the credential scope from a SigV4 `Authorization` header or, for presigned
 * URLs, from the `X-Amz-Credential` query parameter.
 * Returns undefined when the request carries neither or the scope is malformed.
 * It reads only the scope and does not verify the signature.
 */
export function readSigV4Credential(headers: IncomingHttpHeaders, query: URLSearchParams): SigV4Credential | undefined {
  const authorization = headers.authorization;
  let scope: string | undefined;
  let sessionToken = headerValue(headers, 'x-amz-security-token');

  if (authorization !== undefined) {
    const match = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)/.exec(authorization);
    scope = match?.[1];
  } else if (query.has('X-Amz-Credential')) {
    scope = query.get('X-Amz-Credential') ?? undefined;
    sessionToken = query.get('X-Amz-Security-Token') ?? sessionToken;
  }
  if (scope === undefined) {
    return undefined;
  }

  const [accessKeyId, date, region, service, terminator] = scope.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request') {
    return undefined;
  }
  return { accessKeyId, date, region, service, sessionToken };
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

export function newRequestId(): string {
  return randomUUID();
}

/** Formats a time as AWS XML APIs do: ISO 8601 in UTC, whole seconds. */
export function formatAwsTimestamp(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
