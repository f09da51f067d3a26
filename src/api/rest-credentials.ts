import type { RestApiDestination } from '../storage/index.js';
import { REST_DEFAULTS, SIGNING_SECRET_LENGTH } from './data-stream-schemas.js';
import { MASK } from './data-stream-view.js';
import type { FieldError } from './errors.js';

/**
 * Checks and merges of RestAPI credentials that the body schema cannot
 * express: the form of the "Name: value" header lines, and PATCH bodies that
 * send back the masked values they read. The URL is checked separately by
 * rest-url-check.ts, because that check resolves the host name.
 */

/** RestAPI destination of the create body after it passed dataStreamInputSchema. */
export interface RestDestinationInput {
  connection_type: 'RestAPI';
  format?: 'json';
  credentials: {
    url: string;
    method?: RestApiDestination['method'];
    headers?: string[];
    size?: number;
    signing_secret?: string | null;
  };
}

/** RestAPI settings of a PATCH body after it passed dataStreamPatchSchema. */
export interface RestSettingsPatch {
  url?: string;
  method?: RestApiDestination['method'];
  headers?: string[];
  size?: number;
  signing_secret?: string | null;
}

/** Settings that only RestAPI streams have, so a PATCH may change them. */
export const REST_SETTINGS: ReadonlySet<string> = new Set(['url', 'method', 'headers', 'size', 'signing_secret']);

const HEADERS_FIELD = 'destination.credentials.headers';
const SIGNING_SECRET_FIELD = 'destination.credentials.signing_secret';

/** A header name: one or more token characters. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A header value: tab, space, visible ASCII and obs-text bytes, so no CR, LF or other control character. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Headers that the service sets on every request, or that describe the
 * connection or the framing of the body rather than the request. The HTTP
 * client rejects several of them, and a customer value would break delivery.
 */
const SERVICE_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'content-type',
  'user-agent',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);

/** Names with this prefix carry the request id and signature. */
const SIGNATURE_HEADER_PREFIX = 'x-datastreamer-';

/** Builds the destination to store from a schema-valid input, with defaults filled in. */
export function toRestDestination(input: RestDestinationInput, errors: FieldError[]): RestApiDestination {
  const credentials = input.credentials;
  const headers = credentials.headers ?? [];
  checkHeaders(headers, errors);

  return {
    connection_type: 'RestAPI',
    url: credentials.url,
    method: credentials.method ?? REST_DEFAULTS.method,
    headers: [...headers],
    size: credentials.size ?? REST_DEFAULTS.size,
    signing_secret: credentials.signing_secret ?? null,
  };
}

/** Applies the RestAPI settings of a schema-valid patch to a stored destination. */
export function patchedRestDestination(current: RestApiDestination, patch: RestSettingsPatch, errors: FieldError[]): RestApiDestination {
  let headers = current.headers;
  if (patch.headers !== undefined) {
    headers = withStoredMaskedValues(patch.headers, current.headers, errors);
    checkHeaders(headers, errors);
  }

  return {
    ...current,
    url: patch.url ?? current.url,
    method: patch.method ?? current.method,
    headers,
    size: patch.size ?? current.size,
    signing_secret: patchedSigningSecret(patch.signing_secret, current.signing_secret, errors),
  };
}

/**
 * Reports header lines that are not "Name: value" with a token name and a
 * value without control characters, names the service sets itself, and names
 * given twice. Messages name the header but never show its value, which may
 * be a secret.
 */
export function checkHeaders(headers: string[], errors: FieldError[]): void {
  const firstIndexByName = new Map<string, number>();

  headers.forEach((line, index) => {
    const field = `${HEADERS_FIELD}.${index}`;
    const colon = line.indexOf(':');
    if (colon === -1) {
      errors.push({ field, message: 'has no ":"; write each header as "Name: value", such as "X-Api-Key: abc123"' });
      return;
    }

    const name = line.slice(0, colon);
    const value = line.slice(colon + 1);
    const problem = headerNameProblem(name) ?? headerValueProblem(name, value);
    if (problem !== undefined) {
      errors.push({ field, message: problem });
      return;
    }

    const key = name.toLowerCase();
    const firstIndex = firstIndexByName.get(key);
    if (firstIndex !== undefined) {
      errors.push({ field, message: `repeats header "${name}" of item ${firstIndex}; give each header once` });
      return;
    }
    firstIndexByName.set(key, index);
  });
}

function headerNameProblem(name: string): string | undefined {
  if (name === '') return 'has no header name before the ":"; write each header as "Name: value"';

  if (!HEADER_NAME.test(name)) {
    return (
      `has the header name ${JSON.stringify(name)}, which contains characters other than letters, digits and !#$%&'*+-.^_\`|~; ` +
      'remove spaces and other characters before the ":"'
    );
  }

  const key = name.toLowerCase();
  if (SERVICE_HEADERS.has(key)) {
    return `sets header "${name}", which the service sets itself or which controls the connection; remove it`;
  }
  if (key.startsWith(SIGNATURE_HEADER_PREFIX)) {
    return `sets header "${name}", but names starting with "X-Datastreamer-" are reserved for the request id and signature; choose another name`;
  }
  return undefined;
}

function headerValueProblem(name: string, value: string): string | undefined {
  if (HEADER_VALUE.test(value)) return undefined;
  return `has a value for header "${name}" that contains a line break, another control character or a character above U+00FF; remove it`;
}

/**
 * Replaces each line whose value is the mask by the stored line of the same
 * header, so a client can send back the headers it read and change only some.
 */
function withStoredMaskedValues(requested: string[], stored: string[], errors: FieldError[]): string[] {
  const storedByName = new Map(stored.map((line) => [headerNameOf(line).toLowerCase(), line]));

  return requested.map((line, index) => {
    const colon = line.indexOf(':');
    if (colon === -1 || line.slice(colon + 1).trim() !== MASK) return line;

    const name = line.slice(0, colon);
    const storedLine = storedByName.get(name.toLowerCase());
    if (storedLine === undefined) {
      errors.push({
        field: `${HEADERS_FIELD}.${index}`,
        message: `has the masked value "${MASK}", but the stream has no header "${name}" whose value it could keep; send the real value`,
      });
      return line;
    }
    return storedLine;
  });
}

function headerNameOf(line: string): string {
  const colon = line.indexOf(':');
  return colon === -1 ? line : line.slice(0, colon);
}

/** Returns the secret to store: the current one for an omitted or masked value, else the requested one if its length is valid. */
function patchedSigningSecret(requested: string | null | undefined, current: string | null, errors: FieldError[]): string | null {
  if (requested === undefined) return current;
  if (requested === null) return null;

  if (requested === MASK) {
    if (current === null) {
      errors.push({
        field: SIGNING_SECRET_FIELD,
        message: `is the masked value "${MASK}", but the stream has no signing secret to keep; send a new secret or null`,
      });
    }
    return current;
  }

  if (requested.length < SIGNING_SECRET_LENGTH.min) {
    errors.push({
      field: SIGNING_SECRET_FIELD,
      message: `must be ${SIGNING_SECRET_LENGTH.min} to ${SIGNING_SECRET_LENGTH.max} characters long, not ${requested.length} characters`,
    });
  }
  return requested;
}
