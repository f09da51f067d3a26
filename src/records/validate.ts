import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';

import { fieldPathOf, rangeMessage, typeMessage } from './ajv-error-text.js';
import { TIMESTAMP_EXAMPLE, eventRecordSchema, usageRecordSchema } from './schemas.js';
import type { RecordKind } from './types.js';

/** One problem in one record of a batch. `field` is a dotted path such as `sim.iccid`, or '' for the record itself. */
export interface RecordError {
  index: number;
  field: string;
  message: string;
}

// ajv-formats is CommonJS, and its function is also exported as `default`.
const addFormats = formatsPlugin.default;

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
addFormats(ajv, ['date-time']);

const validators: Record<RecordKind, ValidateFunction> = {
  event: ajv.compile(eventRecordSchema),
  usage: ajv.compile(usageRecordSchema),
};

/**
 * Validates a batch of records of one kind and returns the problems found,
 * at most `maxErrors` of them, in record order. An empty list means the whole
 * batch is valid.
 */
export function validateRecords(kind: RecordKind, records: unknown[], maxErrors = 100): RecordError[] {
  const validate = validators[kind];
  const errors: RecordError[] = [];

  for (let index = 0; index < records.length && errors.length < maxErrors; index++) {
    const record = records[index];

    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      errors.push({ index, field: '', message: 'must be a JSON object' });
      continue;
    }

    if (!validate(record)) {
      addSchemaErrors(errors, index, validate.errors ?? [], maxErrors);
      continue;
    }

    if (kind === 'usage') {
      const intervalError = checkUsageInterval(record as UsageInterval);
      if (intervalError !== undefined) errors.push({ index, ...intervalError });
    }
  }

  return errors;
}

function addSchemaErrors(
  errors: RecordError[],
  index: number,
  ajvErrors: ErrorObject[],
  maxErrors: number,
): void {
  for (const ajvError of ajvErrors) {
    if (errors.length >= maxErrors) return;

    const error = { index, field: fieldPathOf(ajvError), message: messageOf(ajvError) };

    // A timestamp such as "yesterday" fails both the format and the pattern, and is reported once.
    const previous = errors[errors.length - 1];
    const isRepeat =
      previous !== undefined &&
      previous.index === index &&
      previous.field === error.field &&
      previous.message === error.message;
    if (!isRepeat) errors.push(error);
  }
}

function messageOf(error: ErrorObject): string {
  const schema = (error.parentSchema ?? {}) as Record<string, unknown>;

  switch (error.keyword) {
    case 'required':
      return 'is required';

    case 'type':
      return typeMessage(error, schema);

    case 'minimum':
    case 'maximum':
      return rangeMessage(schema);

    case 'enum': {
      const allowed = error.params.allowedValues as unknown[];
      return `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`;
    }

    case 'maxLength':
      return `must be at most ${error.params.limit} characters long`;

    case 'format':
    case 'pattern':
      if (schema.format === 'date-time') {
        return `must be an ISO 8601 timestamp in UTC, such as ${TIMESTAMP_EXAMPLE}`;
      }
      if (error.keyword === 'pattern') return `must match the pattern ${error.params.pattern}`;
      return `must be in ${error.params.format} format`;

    default:
      return error.message ?? `is invalid (${error.keyword})`;
  }
}

type UsageInterval = { start_timestamp: string; end_timestamp: string };

function checkUsageInterval(record: UsageInterval): Omit<RecordError, 'index'> | undefined {
  // Date.parse keeps milliseconds only, so an end earlier by less than 1 ms passes.
  if (Date.parse(record.end_timestamp) < Date.parse(record.start_timestamp)) {
    return {
      field: 'end_timestamp',
      message: `must not be earlier than start_timestamp (${record.start_timestamp})`,
    };
  }
  return undefined;
}
