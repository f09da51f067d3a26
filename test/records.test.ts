import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parse } from 'csv-parse/sync';

import { EVENT_COLUMNS, USAGE_COLUMNS, formatDecimal } from '../src/records/columns.js';
import {
  EVENT_SEVERITIES,
  EVENT_SOURCES,
  EVENT_TYPES,
  TRAFFIC_TYPES,
  findEventType,
  findTrafficType,
  isKnownEventType,
} from '../src/records/event-types.js';
import { encodeFile, fileExtension } from '../src/records/formats.js';
import type { EventRecord, UsageRecord } from '../src/records/types.js';
import { validateRecords } from '../src/records/validate.js';
import { sampleEvent, sampleUsage } from './fixtures.js';

// The column lists as customers' parsers expect them, written out here so a change to the module shows up.
const EXPECTED_EVENT_COLUMNS = (
  'id, timestamp, event_type_id, event_type_description, event_severity_id, event_severity_description, ' +
  'event_source_id, event_source_name, alert, description, organisation_id, organisation_name, user_id, ' +
  'user_username, user_name, endpoint_id, endpoint_name, endpoint_imei, endpoint_ip_address, endpoint_tags, ' +
  'sim_id, sim_iccid, msisdn_msisdn, sim_production_date, imsi_id, imsi_imsi, imsi_import_date, detail'
).split(', ');

const EXPECTED_USAGE_COLUMNS = (
  'id, traffic_type_id, traffic_type_description, start_timestamp, end_timestamp, organisation_id, ' +
  'organisation_name, endpoint_id, endpoint_name, endpoint_ip_address, endpoint_tags, endpoint_imei, sim_id, ' +
  'sim_iccid, msisdn_msisdn, sim_production_date, imsi_id, imsi_imsi, operator_id, operator_name, operator_mncs, ' +
  'country_id, country_mcc, country_name, tariff_id, tariff_name, ratezone_id, ratezone_name, volume_total, ' +
  'volume_rx, volume_tx, cost, currency_id, currency_code, currency_symbol'
).split(', ');

/** Parses CSV text into rows, reading an unquoted empty field as null and a quoted one ("") as ''. */
function parseCsv(text: string): (string | null)[][] {
  return parse(text, {
    cast: (value, context) => (value === '' && !context.quoting ? null : value),
  }) as (string | null)[][];
}

/** Encodes records to CSV and returns the header and the data rows as column-name maps. */
function csvRoundTrip(kind: 'event' | 'usage', records: object[]) {
  const file = encodeFile(kind, 'csv', records.map((record) => JSON.stringify(record)));
  const [header, ...rows] = parseCsv(file.toString('utf8'));
  const maps = rows.map((row) => Object.fromEntries(header.map((name, i) => [name as string, row[i]])));
  return { file, header, rows: maps };
}

function withoutField<T extends object>(record: T, path: string): T {
  const copy = structuredClone(record) as Record<string, unknown>;
  const segments = path.split('.');
  let target = copy;
  for (const segment of segments.slice(0, -1)) target = target[segment] as Record<string, unknown>;
  delete target[segments[segments.length - 1]];
  return copy as T;
}

describe('validateRecords', () => {
  test('accepts full event and usage records', () => {
    assert.deepEqual(validateRecords('event', [sampleEvent()]), []);
    assert.deepEqual(validateRecords('usage', [sampleUsage()]), []);
  });

  test('accepts null for objects that do not apply', () => {
    const event = sampleEvent({ user: null, endpoint: null, sim: null, imsi: null, detail: null });
    const usage = sampleUsage({
      endpoint: null,
      sim: null,
      imsi: null,
      imsi_id: null,
      operator: null,
      tariff: null,
      currency: null,
    });

    assert.deepEqual(validateRecords('event', [event]), []);
    assert.deepEqual(validateRecords('usage', [usage]), []);
  });

  test('accepts unknown fields at any level', () => {
    const event = { ...sampleEvent(), new_field: 1, sim: { ...sampleEvent().sim!, eid: '8904...' } };
    assert.deepEqual(validateRecords('event', [event]), []);
  });

  test('accepts fractional seconds', () => {
    const event = sampleEvent({ timestamp: '2026-12-04T19:00:00.123456Z' });
    assert.deepEqual(validateRecords('event', [event]), []);
  });

  test('reports missing fields by dotted path', () => {
    const records = [
      withoutField(sampleEvent(), 'timestamp'),
      withoutField(sampleEvent(), 'sim.iccid'),
      withoutField(sampleEvent(), 'event_type.id'),
      withoutField(sampleEvent(), 'detail'),
    ];

    assert.deepEqual(validateRecords('event', records), [
      { index: 0, field: 'timestamp', message: 'is required' },
      { index: 1, field: 'sim.iccid', message: 'is required' },
      { index: 2, field: 'event_type.id', message: 'is required' },
      { index: 3, field: 'detail', message: 'is required' },
    ]);
  });

  test('reports missing usage fields', () => {
    const records = [withoutField(sampleUsage(), 'volume.tx'), withoutField(sampleUsage(), 'cost')];
    const errors = validateRecords('usage', records);

    assert.deepEqual(errors, [
      { index: 0, field: 'volume.tx', message: 'is required' },
      { index: 1, field: 'cost', message: 'is required' },
    ]);
  });

  test('reports wrong types with the expected type', () => {
    const cases: [Partial<EventRecord> | Record<string, unknown>, string, string][] = [
      [{ id: '12' }, 'id', 'must be an integer'],
      [{ id: 1.5 }, 'id', 'must be an integer'],
      [{ alert: 'yes' }, 'alert', 'must be true or false'],
      [{ description: 42 }, 'description', 'must be a string'],
      [{ user: 'bob' }, 'user', 'must be an object or null'],
      [{ detail: [1, 2] }, 'detail', 'must be an object or null'],
      [{ event_type: { id: '3', description: 'Create PDP Context' } }, 'event_type.id', 'must be an integer'],
      [{ endpoint: { ...sampleEvent().endpoint!, imei: 356938035643809 } }, 'endpoint.imei', 'must be a string or null'],
    ];

    for (const [override, field, message] of cases) {
      const errors = validateRecords('event', [{ ...sampleEvent(), ...override }]);
      assert.deepEqual(errors, [{ index: 0, field, message }], `override ${JSON.stringify(override)}`);
    }
  });

  test('reports ids out of range', () => {
    const cases: [unknown, string][] = [
      [0, 'id'],
      [-5, 'id'],
      [Number.MAX_SAFE_INTEGER + 2, 'id'],
    ];

    for (const [id, field] of cases) {
      const errors = validateRecords('event', [sampleEvent({ id: id as number })]);
      assert.deepEqual(errors, [{ index: 0, field, message: 'must be an integer from 1 to 9007199254740991' }]);
    }
    assert.deepEqual(validateRecords('event', [sampleEvent({ id: Number.MAX_SAFE_INTEGER })]), []);
  });

  test('rejects timestamps that are not ISO 8601 UTC', () => {
    const message = 'must be an ISO 8601 timestamp in UTC, such as 2026-12-04T19:00:00Z';
    const bad = [
      '2026-12-04 19:00:00',
      '2026-12-04T19:00:00',
      '2026-12-04T19:00:00+01:00',
      '2026-12-04T19:00:00+00:00',
      '2026-13-04T19:00:00Z',
      '2026-02-30T19:00:00Z',
      '2026-12-04t19:00:00z',
      'yesterday',
      '',
    ];

    for (const timestamp of bad) {
      const errors = validateRecords('event', [sampleEvent({ timestamp })]);
      assert.deepEqual(errors, [{ index: 0, field: 'timestamp', message }], `timestamp ${JSON.stringify(timestamp)}`);
    }
  });

  test('rejects a bad nested timestamp', () => {
    const sim = { ...sampleUsage().sim!, production_date: '2025-03-01' };
    const errors = validateRecords('usage', [sampleUsage({ sim })]);

    assert.equal(errors.length, 1);
    assert.equal(errors[0].field, 'sim.production_date');
  });

  test('rejects negative volume', () => {
    const errors = validateRecords('usage', [sampleUsage({ volume: { total: 1, rx: -0.5, tx: 1.5 } })]);
    assert.deepEqual(errors, [{ index: 0, field: 'volume.rx', message: 'must be a number of at least 0' }]);
  });

  test('accepts negative cost', () => {
    assert.deepEqual(validateRecords('usage', [sampleUsage({ cost: -0.25 })]), []);
  });

  test('rejects unknown traffic type and severity', () => {
    const usage = sampleUsage({ traffic_type: { id: 7, description: 'Voice' } });
    const event = sampleEvent({ event_severity: { id: 3, description: 'Fatal' } });

    assert.deepEqual(validateRecords('usage', [usage]), [
      { index: 0, field: 'traffic_type.id', message: 'must be one of 5, 6' },
    ]);
    assert.deepEqual(validateRecords('event', [event]), [
      { index: 0, field: 'event_severity.id', message: 'must be an integer from 0 to 2' },
    ]);
  });

  test('rejects an interval that ends before it starts', () => {
    const usage = sampleUsage({
      start_timestamp: '2026-12-04T19:00:45Z',
      end_timestamp: '2026-12-04T19:00:00Z',
    });
    const errors = validateRecords('usage', [usage]);

    assert.deepEqual(errors, [
      {
        index: 0,
        field: 'end_timestamp',
        message: 'must not be earlier than start_timestamp (2026-12-04T19:00:45Z)',
      },
    ]);
  });

  test('rejects an overlong description', () => {
    const errors = validateRecords('event', [sampleEvent({ description: 'x'.repeat(4097) })]);
    assert.deepEqual(errors, [{ index: 0, field: 'description', message: 'must be at most 4096 characters long' }]);
  });

  test('rejects non-object items', () => {
    const errors = validateRecords('event', [sampleEvent(), 42, null, [], 'text', sampleEvent()]);

    assert.deepEqual(errors, [
      { index: 1, field: '', message: 'must be a JSON object' },
      { index: 2, field: '', message: 'must be a JSON object' },
      { index: 3, field: '', message: 'must be a JSON object' },
      { index: 4, field: '', message: 'must be a JSON object' },
    ]);
  });

  test('reports every problem of a record', () => {
    const event = { ...withoutField(sampleEvent(), 'description'), alert: 1 };
    const fields = validateRecords('event', [event]).map((error) => error.field);

    assert.deepEqual(fields.sort(), ['alert', 'description']);
  });

  test('stops at maxErrors', () => {
    const records = Array.from({ length: 10 }, () => 'not a record');

    assert.equal(validateRecords('usage', records, 3).length, 3);
    assert.equal(validateRecords('usage', records).length, 10);
  });
});

describe('CSV files', () => {
  test('header is the exact column list', () => {
    assert.deepEqual([...EVENT_COLUMNS], EXPECTED_EVENT_COLUMNS);
    assert.deepEqual([...USAGE_COLUMNS], EXPECTED_USAGE_COLUMNS);
    assert.deepEqual(csvRoundTrip('event', [sampleEvent()]).header, EXPECTED_EVENT_COLUMNS);
    assert.deepEqual(csvRoundTrip('usage', [sampleUsage()]).header, EXPECTED_USAGE_COLUMNS);
  });

  test('event row holds every field', () => {
    const event = sampleEvent({ id: 42, alert: true });
    const [row] = csvRoundTrip('event', [event]).rows;

    assert.deepEqual(row, {
      id: '42',
      timestamp: '2026-12-04T19:00:00Z',
      event_type_id: '3',
      event_type_description: 'Create PDP Context',
      event_severity_id: '0',
      event_severity_description: 'Info',
      event_source_id: '0',
      event_source_name: 'Network',
      alert: 'true',
      description: 'New PDP context created.',
      organisation_id: '1',
      organisation_name: 'Organisation 1',
      user_id: '77',
      user_username: 'ops@example.com',
      user_name: 'Ops User',
      endpoint_id: '5001',
      endpoint_name: 'Tracker 5001',
      endpoint_imei: '356938035643809',
      endpoint_ip_address: '100.96.1.17',
      endpoint_tags: 'fleet,berlin',
      sim_id: '9001',
      sim_iccid: '8988303000000009001',
      msisdn_msisdn: '423663900009001',
      sim_production_date: '2025-03-01T00:00:00Z',
      imsi_id: '4001',
      imsi_imsi: '295050900009001',
      imsi_import_date: '2025-03-02T10:15:00Z',
      detail: JSON.stringify(event.detail),
    });
  });

  test('usage row holds every field', () => {
    const usage = sampleUsage({ id: 43, organisation_id: 7 });
    const [row] = csvRoundTrip('usage', [usage]).rows;

    assert.deepEqual(row, {
      id: '43',
      traffic_type_id: '5',
      traffic_type_description: 'Data',
      start_timestamp: '2026-12-04T19:00:00Z',
      end_timestamp: '2026-12-04T19:00:45Z',
      organisation_id: '7',
      organisation_name: 'Organisation 7',
      endpoint_id: '5001',
      endpoint_name: 'Tracker 5001',
      endpoint_ip_address: '100.96.1.17',
      endpoint_tags: 'fleet,berlin',
      endpoint_imei: '356938035643809',
      sim_id: '9001',
      sim_iccid: '8988303000000009001',
      msisdn_msisdn: '423663900009001',
      sim_production_date: '2025-03-01T00:00:00Z',
      imsi_id: '4001',
      imsi_imsi: '295050900009001',
      operator_id: '2',
      operator_name: 'Telekom Deutschland',
      operator_mncs: '01',
      country_id: '74',
      country_mcc: '262',
      country_name: 'Germany',
      tariff_id: '12',
      tariff_name: 'Global IoT',
      ratezone_id: '3',
      ratezone_name: 'Zone 1',
      volume_total: '0.123456',
      volume_rx: '0.1',
      volume_tx: '0.023456',
      cost: '0.0012345678',
      currency_id: '1',
      currency_code: 'EUR',
      currency_symbol: '€',
    });
  });

  test('tricky text round-trips', () => {
    const texts = [
      'one, two, three',
      'say "hello"',
      '"',
      'line one\nline two',
      'line one\r\nline two',
      'ends with CR\r',
      'Zürich',
      '東京',
      'SIM 📡 online 🚀',
      ' leading and trailing spaces ',
      '=1+2',
    ];
    const events = texts.map((description, i) => sampleEvent({ id: i + 1, description }));
    const { rows } = csvRoundTrip('event', events);

    assert.equal(rows.length, texts.length);
    texts.forEach((text, i) => assert.equal(rows[i].description, text, `text ${JSON.stringify(text)}`));
  });

  test('empty string differs from null', () => {
    const user = { id: 77, username: 'ops', name: '' };
    const sim = { id: 9001, iccid: '8988303000000009001', msisdn: null, production_date: null };
    const [row] = csvRoundTrip('event', [sampleEvent({ user, sim })]).rows;

    assert.equal(row.user_name, '');
    assert.equal(row.msisdn_msisdn, null);
    assert.equal(row.sim_production_date, null);
  });

  test('null objects give empty cells', () => {
    const event = sampleEvent({ user: null, endpoint: null, sim: null, imsi: null, detail: null });
    const [row] = csvRoundTrip('event', [event]).rows;
    const emptyColumns = EXPECTED_EVENT_COLUMNS.filter((name) => /^(user|endpoint|sim|msisdn|imsi)_|^detail$/.test(name));

    assert.equal(emptyColumns.length, 16);
    for (const name of emptyColumns) assert.equal(row[name], null, name);
    assert.equal(row.id, String(event.id));
  });

  test('tags stay text, detail round-trips as JSON', () => {
    const detail = {
      quota: { volume: 1.5, threshold_percentage: 80 },
      note: 'a "quoted", multi-line\nvalue',
      city: 'Zürich',
      list: [1, null, true],
    };
    const endpoint = { id: 1, name: 'x', tags: 'a,b,"c"', ip_address: null, imei: null };
    const [row] = csvRoundTrip('event', [sampleEvent({ detail, endpoint })]).rows;

    assert.deepEqual(JSON.parse(row.detail!), detail);
    assert.equal(row.endpoint_tags, endpoint.tags, 'a tags string is written as it is');
  });

  test('decimals keep their digits', () => {
    const cases: [number, string][] = [
      [1e-7, '0.0000001'],
      [0.000001, '0.000001'],
      [123456.123456, '123456.123456'],
      [0.0000000001, '0.0000000001'],
      [1.2345678901e-5, '0.000012345678901'],
      [9876543210.0123, '9876543210.0123'],
      [1e21, '1000000000000000000000'],
      [0, '0'],
    ];
    const usages = cases.map(([value], i) =>
      sampleUsage({ id: i + 1, volume: { total: value, rx: value, tx: 0 }, cost: -value }),
    );
    const { rows } = csvRoundTrip('usage', usages);

    cases.forEach(([value, text], i) => {
      assert.equal(rows[i].volume_total, text);
      assert.equal(rows[i].cost, value === 0 ? '0' : `-${text}`);
      assert.equal(Number(rows[i].volume_total), value);
    });
  });

  test('rows stay in order across chunks', () => {
    const usages = Array.from({ length: 250 }, (_, i) => sampleUsage({ id: i + 1 }));
    const { rows } = csvRoundTrip('usage', usages);

    assert.equal(rows.length, 250);
    assert.deepEqual(
      rows.map((row) => Number(row.id)),
      usages.map((usage) => usage.id),
    );
  });

  test('uses CRLF, UTF-8 and no BOM', () => {
    const { file } = csvRoundTrip('usage', [sampleUsage(), sampleUsage()]);
    const text = file.toString('utf8');

    assert.equal(file.subarray(0, 3).toString('utf8'), 'id,');
    assert.ok(text.endsWith('\r\n'));
    assert.equal(text.split('\r\n').length, 4);
    assert.ok(file.includes(Buffer.from('€', 'utf8')));
  });

  test('empty file has only the header', () => {
    const text = encodeFile('event', 'csv', []).toString('utf8');
    assert.equal(text, EXPECTED_EVENT_COLUMNS.join(',') + '\r\n');
  });

  test('invalid stored JSON names the record', () => {
    assert.throws(() => encodeFile('usage', 'csv', [JSON.stringify(sampleUsage()), '{oops']), /Stored record 1 /);
  });
});

describe('JSONL files', () => {
  test('lines parse back to the records', () => {
    const records: UsageRecord[] = [
      sampleUsage(),
      sampleUsage({ endpoint: null, cost: 1e-7 }),
      sampleUsage({ tariff: { id: 1, name: 'Tarif Zürich 東京 🚀', ratezone: null } }),
    ];
    const bodies = records.map((record) => JSON.stringify(record));
    const text = encodeFile('usage', 'jsonl', bodies).toString('utf8');
    const lines = text.split('\n');

    assert.ok(text.endsWith('\n'));
    assert.equal(lines.pop(), '');
    assert.deepEqual(lines.map((line) => JSON.parse(line)), records);
  });

  test('pretty-printed bodies become one line', () => {
    const event = sampleEvent({ description: 'first\nsecond' });
    const text = encodeFile('event', 'jsonl', [JSON.stringify(event, null, 2)]).toString('utf8');

    assert.equal(text.split('\n').length, 2);
    assert.deepEqual(JSON.parse(text), event);
  });

  test('empty file is empty', () => {
    assert.equal(encodeFile('event', 'jsonl', []).length, 0);
  });
});

describe('formats', () => {
  test('file extensions', () => {
    assert.equal(fileExtension('csv', 'none'), 'csv');
    assert.equal(fileExtension('csv', 'gzip'), 'csv.gz');
    assert.equal(fileExtension('jsonl', 'none'), 'jsonl');
    assert.equal(fileExtension('jsonl', 'gzip'), 'jsonl.gz');
  });

  test('formatDecimal avoids exponents', () => {
    const cases: [number, string][] = [
      [1e-7, '0.0000001'],
      [-1.5e-9, '-0.0000000015'],
      [2.5e21, '2500000000000000000000'],
      [-1e21, '-1000000000000000000000'],
      [1.234e22, '12340000000000000000000'],
      [42, '42'],
      [0.1, '0.1'],
    ];
    for (const [value, text] of cases) assert.equal(formatDecimal(value), text, String(value));
  });
});

describe('event catalogue', () => {
  test('has every event type id', () => {
    const ids = [
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 25, 30, 31, 32, 41, 42,
      43, 45, 46, 48, 50, 51, 52, 53, 54, 55, 60, 68, 69,
    ];
    assert.deepEqual(
      EVENT_TYPES.map((type) => type.id),
      ids,
    );
  });

  test('names match the platform', () => {
    assert.equal(findEventType(0)?.description, 'Generic');
    assert.equal(findEventType(3)?.description, 'Create PDP Context');
    assert.equal(findEventType(22)?.description, 'CloudConnect TGW Resource Share created');
    assert.equal(findEventType(50)?.description, 'SIM Released');
    assert.equal(findEventType(69)?.description, 'SIM migration');
    assert.equal(findEventType(24), undefined);
    assert.equal(isKnownEventType(68), true);
    assert.equal(isKnownEventType(70), false);
  });

  test('severities, sources and traffic types', () => {
    assert.deepEqual(EVENT_SEVERITIES.map((s) => s.description), ['Info', 'Warn', 'Critical']);
    assert.deepEqual(
      EVENT_SOURCES.map((s) => [s.id, s.description]),
      [[0, 'Network'], [1, 'Policy Control'], [2, 'API']],
    );
    assert.deepEqual(
      TRAFFIC_TYPES.map((t) => [t.id, t.description]),
      [[5, 'Data'], [6, 'SMS']],
    );
    assert.equal(findTrafficType(6)?.description, 'SMS');
  });
});
