/**
 * JSON Schemas (draft-07) of the records that the platform ingests and
 * datastreamer delivers. They are plain objects so that the ingest validator
 * and the OpenAPI description share one definition.
 *
 * Nullable fields use `type: [<type>, 'null']`, which @fastify/swagger 9
 * turns into `nullable: true` for OpenAPI 3.0. Every object allows additional
 * properties because the platform may add fields and consumers must tolerate them.
 */

export type JsonSchema = Record<string, unknown>;

/** Example of the only timestamp form accepted: ISO 8601 in UTC, ending in `Z`. */
export const TIMESTAMP_EXAMPLE = '2026-12-04T19:00:00Z';

// TODO: platform ids are 64-bit integers. Ids above 2^53 - 1 lose precision in
// JSON.parse, so they are rejected until ingest and delivery use a big-int parser.
const recordId: JsonSchema = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER };
const nullableRecordId: JsonSchema = { ...recordId, type: ['integer', 'null'] };

/** Catalogue ids (event type, severity, source, traffic type) start at 0. */
const catalogueId: JsonSchema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

/**
 * A timestamp must be a valid RFC 3339 date-time (checked by the `date-time`
 * format) and must be in UTC with a `T` separator and a `Z` suffix (checked by
 * the pattern). Records are delivered with their values unchanged, so
 * accepting offsets would hand consumers a mix of time zones. Fractional
 * seconds of up to 9 digits are allowed.
 */
const utcTimestamp: JsonSchema = {
  type: 'string',
  format: 'date-time',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$',
  maxLength: 40,
  examples: [TIMESTAMP_EXAMPLE],
};
const nullableUtcTimestamp: JsonSchema = { ...utcTimestamp, type: ['string', 'null'] };

/** Length limits in characters. They are generous and exist to stop garbage, not to enforce formats. */
const MAX_CODE_LENGTH = 64;
const MAX_NAME_LENGTH = 1024;
const MAX_TEXT_LENGTH = 4096;

function text(maxLength: number, nullable = false): JsonSchema {
  return { type: nullable ? ['string', 'null'] : 'string', maxLength };
}

function object(properties: Record<string, JsonSchema>, nullable = false): JsonSchema {
  return {
    type: nullable ? ['object', 'null'] : 'object',
    required: Object.keys(properties),
    properties,
    additionalProperties: true,
  };
}

function idDescription(id: JsonSchema): JsonSchema {
  return object({ id, description: text(MAX_NAME_LENGTH) });
}

const organisation = object({ id: recordId, name: text(MAX_NAME_LENGTH) });

const endpoint = object(
  {
    id: recordId,
    name: text(MAX_NAME_LENGTH, true),
    tags: text(MAX_TEXT_LENGTH, true),
    ip_address: text(MAX_CODE_LENGTH, true),
    imei: text(MAX_CODE_LENGTH, true),
  },
  true,
);

const sim = object(
  {
    id: recordId,
    iccid: text(MAX_CODE_LENGTH),
    msisdn: text(MAX_CODE_LENGTH, true),
    production_date: nullableUtcTimestamp,
  },
  true,
);

/** Volume in MB. */
const volume: JsonSchema = { type: 'number', minimum: 0 };

export const eventRecordSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Event',
  ...object({
    id: recordId,
    timestamp: utcTimestamp,
    event_type: idDescription(catalogueId),
    event_severity: idDescription({ type: 'integer', minimum: 0, maximum: 2 }),
    event_source: idDescription(catalogueId),
    alert: { type: 'boolean' },
    description: text(MAX_TEXT_LENGTH),
    organisation,
    user: object(
      { id: recordId, username: text(MAX_NAME_LENGTH), name: text(MAX_NAME_LENGTH, true) },
      true,
    ),
    endpoint,
    sim,
    imsi: object(
      { id: recordId, imsi: text(MAX_CODE_LENGTH), import_date: nullableUtcTimestamp },
      true,
    ),
    detail: { type: ['object', 'null'], additionalProperties: true },
  }),
};

export const usageRecordSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Usage record',
  ...object({
    id: recordId,
    traffic_type: idDescription({ type: 'integer', enum: [5, 6] }),
    start_timestamp: utcTimestamp,
    end_timestamp: utcTimestamp,
    organisation,
    endpoint,
    sim,
    imsi: text(MAX_CODE_LENGTH, true),
    imsi_id: nullableRecordId,
    operator: object(
      {
        id: recordId,
        name: text(MAX_NAME_LENGTH),
        mnc: text(MAX_CODE_LENGTH),
        country: object({ id: recordId, mcc: text(MAX_CODE_LENGTH), name: text(MAX_NAME_LENGTH) }),
      },
      true,
    ),
    tariff: object(
      {
        id: recordId,
        name: text(MAX_NAME_LENGTH),
        ratezone: object({ id: recordId, name: text(MAX_NAME_LENGTH) }, true),
      },
      true,
    ),
    volume: object({ total: volume, rx: volume, tx: volume }),
    // Cost has no lower bound so that credits and corrections can be delivered.
    cost: { type: 'number' },
    currency: object(
      { id: recordId, code: text(MAX_CODE_LENGTH), symbol: text(MAX_CODE_LENGTH) },
      true,
    ),
  }),
};
