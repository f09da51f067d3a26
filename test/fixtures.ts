import type { EventRecord, UsageRecord } from '../src/records/types.js';

/**
 * Valid, fully populated records for tests. Each call without an `id`
 * override gets a new id, so records built in a row are not duplicates.
 * `organisation_id` sets the organisation, and any other field replaces the
 * default field as a whole.
 */
export type SampleOverrides<T> = Partial<T> & { organisation_id?: number };

let lastId = 1000;

function nextId(): number {
  lastId += 1;
  return lastId;
}

function organisationFor(organisationId: number): { id: number; name: string } {
  return { id: organisationId, name: `Organisation ${organisationId}` };
}

export function sampleEvent(overrides: SampleOverrides<EventRecord> = {}): EventRecord {
  const { organisation_id = 1, ...fields } = overrides;

  return {
    id: nextId(),
    timestamp: '2026-12-04T19:00:00Z',
    event_type: { id: 3, description: 'Create PDP Context' },
    event_severity: { id: 0, description: 'Info' },
    event_source: { id: 0, description: 'Network' },
    alert: false,
    description: 'New PDP context created.',
    organisation: organisationFor(organisation_id),
    user: { id: 77, username: 'ops@example.com', name: 'Ops User' },
    endpoint: {
      id: 5001,
      name: 'Tracker 5001',
      tags: 'fleet,berlin',
      ip_address: '100.96.1.17',
      imei: '356938035643809',
    },
    sim: {
      id: 9001,
      iccid: '8988303000000009001',
      msisdn: '423663900009001',
      production_date: '2025-03-01T00:00:00Z',
    },
    imsi: { id: 4001, imsi: '295050900009001', import_date: '2025-03-02T10:15:00Z' },
    detail: {
      id: 2,
      name: 'Telekom Deutschland',
      country: { id: 74, name: 'Germany', mcc: '262', iso_code: 'de' },
      mnc: '01',
      pdp_context: {
        apn: 'em',
        rat_type: 6,
        mcc: '262',
        mnc: '01',
        lac: 1234,
        ci: 56789,
        ue_ip_address: '100.96.1.17',
      },
    },
    ...fields,
  };
}

export function sampleUsage(overrides: SampleOverrides<UsageRecord> = {}): UsageRecord {
  const { organisation_id = 1, ...fields } = overrides;

  return {
    id: nextId(),
    traffic_type: { id: 5, description: 'Data' },
    start_timestamp: '2026-12-04T19:00:00Z',
    end_timestamp: '2026-12-04T19:00:45Z',
    organisation: organisationFor(organisation_id),
    endpoint: {
      id: 5001,
      name: 'Tracker 5001',
      ip_address: '100.96.1.17',
      tags: 'fleet,berlin',
      imei: '356938035643809',
    },
    sim: {
      id: 9001,
      iccid: '8988303000000009001',
      msisdn: '423663900009001',
      production_date: '2025-03-01T00:00:00Z',
    },
    imsi: '295050900009001',
    imsi_id: 4001,
    operator: {
      id: 2,
      name: 'Telekom Deutschland',
      mnc: '01',
      country: { id: 74, mcc: '262', name: 'Germany' },
    },
    tariff: { id: 12, name: 'Global IoT', ratezone: { id: 3, name: 'Zone 1' } },
    volume: { total: 0.123456, rx: 0.1, tx: 0.023456 },
    cost: 0.0012345678,
    currency: { id: 1, code: 'EUR', symbol: '€' },
    ...fields,
  };
}
