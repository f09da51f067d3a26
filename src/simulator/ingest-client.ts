import type { EventRecord, RecordKind, UsageRecord } from '../records/types.js';

/** Maximum number of records in one ingest request. */
export const MAX_RECORDS_PER_REQUEST = 1000;

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

export interface IngestRequest {
  baseUrl: string;
  adminToken: string;
  kind: RecordKind;
  records: UsageRecord[] | EventRecord[];
  timeoutMs: number;
}

const INGEST_PATHS: Record<RecordKind, string> = {
  usage: 'api/v1/ingest/usage',
  event: 'api/v1/ingest/events',
};

/**
 * Posts one batch of records of one kind to datastreamer's ingest API.
 * Throws an Error that names the URL, the HTTP status and the server's message
 * when the request fails or is rejected.
 */
export async function postRecords(request: IngestRequest): Promise<IngestResult> {
  const { kind, records } = request;
  if (records.length > MAX_RECORDS_PER_REQUEST) {
    throw new Error(`Cannot post ${records.length} records in one request; split them into batches of at most ${MAX_RECORDS_PER_REQUEST}.`);
  }

  const url = ingestUrl(request.baseUrl, kind);
  const batchDescription = `${records.length} ${kind === 'usage' ? 'usage records' : 'events'}`;

  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${request.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(records),
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new Error(`Posting ${batchDescription} to ${url} failed: ${reason}. Check that datastreamer is running at ${request.baseUrl}.`, {
      cause: error,
    });
  }

  const body = await response.text();
  if (!response.ok) {
    throw new Error(`Posting ${batchDescription} to ${url} failed with HTTP ${response.status} ${response.statusText}: ${describeRejection(body)}`);
  }

  return parseIngestResult(body, url, records.length);
}

/** Joins the base URL and the ingest path, keeping a path prefix of the base URL such as `/datastreamer`. */
export function ingestUrl(baseUrl: string, kind: RecordKind): string {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  return new URL(INGEST_PATHS[kind], base).toString();
}

function parseIngestResult(body: string, url: string, posted: number): IngestResult {
  let result: Partial<IngestResult>;
  try {
    result = JSON.parse(body) as Partial<IngestResult>;
  } catch {
    throw new Error(`${url} responded with a body that is not JSON: ${truncate(body)}`);
  }

  const { accepted, duplicates } = result;
  if (!Number.isInteger(accepted) || !Number.isInteger(duplicates)) {
    throw new Error(`${url} responded without integer "accepted" and "duplicates" counts: ${truncate(body)}`);
  }
  // The ingest API either stores the whole batch or rejects it, so the counts must add up.
  if (accepted! + duplicates! !== posted) {
    throw new Error(`${url} counted ${accepted} accepted and ${duplicates} duplicate records, but ${posted} were posted.`);
  }
  return { accepted: accepted!, duplicates: duplicates! };
}

/** Returns the server's message and the first field errors of a rejection body, or the raw body if it is not the JSON error form. */
function describeRejection(body: string): string {
  let parsed: { message?: unknown; error_code?: unknown; errors?: unknown };
  try {
    parsed = JSON.parse(body);
  } catch {
    return truncate(body) || '(empty body)';
  }

  const message = typeof parsed.message === 'string' ? parsed.message : truncate(body);
  const code = parsed.error_code === undefined ? '' : ` (error_code ${String(parsed.error_code)})`;
  const fieldErrors = Array.isArray(parsed.errors)
    ? parsed.errors
        .slice(0, 3)
        .map((error: { index?: unknown; field?: unknown; message?: unknown }) => `record ${error.index} ${error.field}: ${error.message}`)
    : [];
  const more = Array.isArray(parsed.errors) && parsed.errors.length > 3 ? `; and ${parsed.errors.length - 3} more` : '';

  return message + code + (fieldErrors.length > 0 ? `; ${fieldErrors.join('; ')}${more}` : '');
}

function truncate(text: string, maxLength = 500): string {
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}
