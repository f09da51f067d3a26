import type { EventRecord, RecordKind, UsageRecord } from './types.js';

/**
 * CSV columns of the files delivered to S3, in file order. The names are kept
 * as customers' existing parsers expect them. Nested objects become
 * `<object>_<field>` columns, with these exceptions:
 *
 * - `msisdn_msisdn` is `sim.msisdn`.
 * - `event_source_name` is `event_source.description`.
 * - `imsi_id` and `imsi_imsi` of a usage record are its top-level `imsi_id` and `imsi`.
 * - `operator_mncs` is `operator.mnc`.
 * - `country_*` columns are `operator.country`, and `ratezone_*` columns are `tariff.ratezone`.
 */

export const EVENT_COLUMNS: readonly string[] = [
  'id',
  'timestamp',
  'event_type_id',
  'event_type_description',
  'event_severity_id',
  'event_severity_description',
  'event_source_id',
  'event_source_name',
  'alert',
  'description',
  'organisation_id',
  'organisation_name',
  'user_id',
  'user_username',
  'user_name',
  'endpoint_id',
  'endpoint_name',
  'endpoint_imei',
  'endpoint_ip_address',
  'endpoint_tags',
  'sim_id',
  'sim_iccid',
  'msisdn_msisdn',
  'sim_production_date',
  'imsi_id',
  'imsi_imsi',
  'imsi_import_date',
  'detail',
];

export const USAGE_COLUMNS: readonly string[] = [
  'id',
  'traffic_type_id',
  'traffic_type_description',
  'start_timestamp',
  'end_timestamp',
  'organisation_id',
  'organisation_name',
  'endpoint_id',
  'endpoint_name',
  'endpoint_ip_address',
  'endpoint_tags',
  'endpoint_imei',
  'sim_id',
  'sim_iccid',
  'msisdn_msisdn',
  'sim_production_date',
  'imsi_id',
  'imsi_imsi',
  'operator_id',
  'operator_name',
  'operator_mncs',
  'country_id',
  'country_mcc',
  'country_name',
  'tariff_id',
  'tariff_name',
  'ratezone_id',
  'ratezone_name',
  'volume_total',
  'volume_rx',
  'volume_tx',
  'cost',
  'currency_id',
  'currency_code',
  'currency_symbol',
];

export function columnsFor(kind: RecordKind): readonly string[] {
  return kind === 'event' ? EVENT_COLUMNS : USAGE_COLUMNS;
}

/** A CSV cell: text, or null for an absent value, which the writer leaves empty (unlike "", which it quotes). */
export type CsvCell = string | null;

/**
 * Formats a JSON value as CSV cell text. Numbers never use exponent notation,
 * so 1e-7 becomes "0.0000001" while keeping every significant digit.
 */
export function toCell(value: unknown): CsvCell {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return formatDecimal(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return null;
    default:
      return value === null ? null : JSON.stringify(value);
  }
}

/**
 * Formats `tags` and `detail` for their CSV column: objects and arrays as
 * JSON text, while a string (platforms send tags as "a,b") stays as it is
 * instead of gaining JSON quotes.
 */
function toJsonCell(value: unknown): CsvCell {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Formats a number in plain decimal notation with the digits of JavaScript's shortest round-trip form. */
export function formatDecimal(value: number): string {
  const text = String(value);
  const exponentAt = text.indexOf('e');
  if (exponentAt === -1) return text;

  const sign = text.startsWith('-') ? '-' : '';
  const mantissa = text.slice(sign.length, exponentAt);
  const exponent = Number(text.slice(exponentAt + 1));
  const pointAt = mantissa.indexOf('.');
  const integerDigits = pointAt === -1 ? mantissa : mantissa.slice(0, pointAt);
  const digits = pointAt === -1 ? mantissa : integerDigits + mantissa.slice(pointAt + 1);

  // Position of the decimal point within `digits` once the exponent is applied.
  const newPointAt = integerDigits.length + exponent;
  if (newPointAt <= 0) return `${sign}0.${'0'.repeat(-newPointAt)}${digits}`;
  if (newPointAt >= digits.length) return `${sign}${digits}${'0'.repeat(newPointAt - digits.length)}`;
  return `${sign}${digits.slice(0, newPointAt)}.${digits.slice(newPointAt)}`;
}

/** Flattens an event into cells in `EVENT_COLUMNS` order. */
export function eventRow(e: EventRecord): CsvCell[] {
  const { event_type, event_severity, event_source, organisation, user, endpoint, sim, imsi } = e;

  return [
    toCell(e.id),
    toCell(e.timestamp),
    toCell(event_type?.id),
    toCell(event_type?.description),
    toCell(event_severity?.id),
    toCell(event_severity?.description),
    toCell(event_source?.id),
    toCell(event_source?.description),
    toCell(e.alert),
    toCell(e.description),
    toCell(organisation?.id),
    toCell(organisation?.name),
    toCell(user?.id),
    toCell(user?.username),
    toCell(user?.name),
    toCell(endpoint?.id),
    toCell(endpoint?.name),
    toCell(endpoint?.imei),
    toCell(endpoint?.ip_address),
    toJsonCell(endpoint?.tags),
    toCell(sim?.id),
    toCell(sim?.iccid),
    toCell(sim?.msisdn),
    toCell(sim?.production_date),
    toCell(imsi?.id),
    toCell(imsi?.imsi),
    toCell(imsi?.import_date),
    toJsonCell(e.detail),
  ];
}

/** Flattens a usage record into cells in `USAGE_COLUMNS` order. */
export function usageRow(u: UsageRecord): CsvCell[] {
  const { traffic_type, organisation, endpoint, sim, operator, tariff, volume, currency } = u;
  const country = operator?.country;
  const ratezone = tariff?.ratezone;

  return [
    toCell(u.id),
    toCell(traffic_type?.id),
    toCell(traffic_type?.description),
    toCell(u.start_timestamp),
    toCell(u.end_timestamp),
    toCell(organisation?.id),
    toCell(organisation?.name),
    toCell(endpoint?.id),
    toCell(endpoint?.name),
    toCell(endpoint?.ip_address),
    toJsonCell(endpoint?.tags),
    toCell(endpoint?.imei),
    toCell(sim?.id),
    toCell(sim?.iccid),
    toCell(sim?.msisdn),
    toCell(sim?.production_date),
    toCell(u.imsi_id),
    toCell(u.imsi),
    toCell(operator?.id),
    toCell(operator?.name),
    toCell(operator?.mnc),
    toCell(country?.id),
    toCell(country?.mcc),
    toCell(country?.name),
    toCell(tariff?.id),
    toCell(tariff?.name),
    toCell(ratezone?.id),
    toCell(ratezone?.name),
    toCell(volume?.total),
    toCell(volume?.rx),
    toCell(volume?.tx),
    toCell(u.cost),
    toCell(currency?.id),
    toCell(currency?.code),
    toCell(currency?.symbol),
  ];
}
