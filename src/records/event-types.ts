import type { IdDescription } from './types.js';

/**
 * Catalogues of the ids that records carry, numbered as the connectivity
 * platform numbers them. The event type ids have gaps, and records may carry
 * ids that are not listed here.
 */

export const EVENT_TYPES: readonly IdDescription[] = [
  { id: 0, description: 'Generic' },
  { id: 1, description: 'Update location' },
  { id: 2, description: 'Update GPRS location' },
  { id: 3, description: 'Create PDP Context' },
  { id: 4, description: 'Update PDP Context' },
  { id: 5, description: 'Delete PDP Context' },
  { id: 6, description: 'User authentication failed' },
  { id: 7, description: 'Application authentication failed' },
  { id: 8, description: 'SIM activation' },
  { id: 9, description: 'SIM suspension' },
  { id: 10, description: 'SIM deletion' },
  { id: 11, description: 'Endpoint blocked' },
  { id: 12, description: 'Organisation blocked' },
  { id: 13, description: 'Support Access' },
  { id: 14, description: 'Multi-factor Authentication' },
  { id: 15, description: 'Purge location' },
  { id: 16, description: 'Purge GPRS location' },
  { id: 17, description: 'Self-Signup' },
  { id: 18, description: 'Quota threshold reached' },
  { id: 19, description: 'Quota used up' },
  { id: 20, description: 'SMS quota threshold reached' },
  { id: 21, description: 'SMS quota used up' },
  { id: 22, description: 'CloudConnect TGW Resource Share created' },
  { id: 23, description: 'CloudConnect TGW available' },
  { id: 25, description: 'CloudConnect TGW breakout terminated' },
  { id: 30, description: 'OpenVPN authentication' },
  { id: 31, description: 'Organisation updated' },
  { id: 32, description: 'Billing configuration updated' },
  { id: 41, description: 'User verified' },
  { id: 42, description: 'Endpoint enabled' },
  { id: 43, description: 'Endpoint disabled' },
  { id: 45, description: 'SIM factory test' },
  { id: 46, description: 'User deleted' },
  { id: 48, description: 'SIM registration' },
  { id: 50, description: 'SIM Released' },
  { id: 51, description: 'SIM Assigned' },
  { id: 52, description: 'Data quota enabled' },
  { id: 53, description: 'Data quota disabled' },
  { id: 54, description: 'SMS quota enabled' },
  { id: 55, description: 'SMS quota disabled' },
  { id: 60, description: 'Data quota expired' },
  { id: 68, description: 'Reset connectivity' },
  { id: 69, description: 'SIM migration' },
];

export const EVENT_SEVERITIES: readonly IdDescription[] = [
  { id: 0, description: 'Info' },
  { id: 1, description: 'Warn' },
  { id: 2, description: 'Critical' },
];

export const EVENT_SOURCES: readonly IdDescription[] = [
  { id: 0, description: 'Network' },
  { id: 1, description: 'Policy Control' },
  { id: 2, description: 'API' },
];

/** Traffic types of usage records: a data-session interval or one SMS. */
export const TRAFFIC_TYPES: readonly IdDescription[] = [
  { id: 5, description: 'Data' },
  { id: 6, description: 'SMS' },
];

function indexById(entries: readonly IdDescription[]): ReadonlyMap<number, IdDescription> {
  return new Map(entries.map((entry) => [entry.id, entry]));
}

const eventTypesById = indexById(EVENT_TYPES);
const eventSeveritiesById = indexById(EVENT_SEVERITIES);
const eventSourcesById = indexById(EVENT_SOURCES);
const trafficTypesById = indexById(TRAFFIC_TYPES);

/** Returns the catalogue entry for an event type id, or undefined for an id the catalogue lacks. */
export function findEventType(id: number): IdDescription | undefined {
  return eventTypesById.get(id);
}

export function findEventSeverity(id: number): IdDescription | undefined {
  return eventSeveritiesById.get(id);
}

export function findEventSource(id: number): IdDescription | undefined {
  return eventSourcesById.get(id);
}

export function findTrafficType(id: number): IdDescription | undefined {
  return trafficTypesById.get(id);
}

export function isKnownEventType(id: number): boolean {
  return eventTypesById.has(id);
}
