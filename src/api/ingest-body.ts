import { apiError, type ApiError, type FieldError } from './errors.js';
import { InvalidJsonError, parseJsonBody, parseJsonText } from './json-body.js';

/** Maximum number of problems listed for one rejected ingest request. Further problems are not reported. */
export const MAX_REPORTED_ERRORS = 100;

/** Parses an `application/json` ingest body, which must be an array of records. */
export function parseJsonArrayBody(text: string): unknown[] {
  const parsed = parseJsonBody(text);
  if (!Array.isArray(parsed)) {
    const found = parsed === null ? 'JSON null' : `a JSON ${typeof parsed === 'object' ? 'object' : typeof parsed}, not an array`;
    throw apiError('invalid_ingest_body', { found });
  }
  return parsed;
}

/**
 * Parses an `application/x-ndjson` ingest body: one JSON record per line,
 * blank lines ignored. A record's index counts only the non-blank lines, so
 * it matches the index that record validation reports.
 */
export function parseNdjsonBody(text: string): unknown[] {
  const records: unknown[] = [];
  const errors: FieldError[] = [];

  const lines = text.split('\n');
  for (let lineIndex = 0; lineIndex < lines.length; lineIndex++) {
    const line = lines[lineIndex];
    if (line.trim() === '') continue;

    const index = records.length;
    try {
      records.push(parseJsonText(line));
    } catch (error) {
      if (!(error instanceof InvalidJsonError)) throw error;

      records.push(undefined);
      if (errors.length < MAX_REPORTED_ERRORS) {
        errors.push({ index, field: '', message: `line ${lineIndex + 1} is not valid JSON: ${error.message}` });
      }
    }
  }

  if (errors.length > 0) throw invalidRecordsError(errors);
  return records;
}

/** Builds the 400 error of a rejected ingest request from its first problems. */
export function invalidRecordsError(errors: FieldError[]): ApiError {
  const count = errors.length >= MAX_REPORTED_ERRORS ? `${MAX_REPORTED_ERRORS} or more` : errors.length;
  return apiError('invalid_records', { count }, errors);
}
