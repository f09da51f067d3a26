import { findEventSeverity, findEventSource, findEventType, findTrafficType } from '../records/event-types.js';
import type { IdDescription } from '../records/types.js';

function requireEntry(find: (id: number) => IdDescription | undefined, id: number, catalogue: string): IdDescription {
  const entry = find(id);
  if (entry === undefined) {
    throw new Error(`The ${catalogue} catalogue has no id ${id}; the simulator needs it. Add it to src/records/event-types.ts.`);
  }
  return entry;
}

/** The event types that the simulator emits. */
export const EVENT_TYPE = {
  updateLocation: requireEntry(findEventType, 1, 'event type'),
  updateGprsLocation: requireEntry(findEventType, 2, 'event type'),
  createPdpContext: requireEntry(findEventType, 3, 'event type'),
  updatePdpContext: requireEntry(findEventType, 4, 'event type'),
  deletePdpContext: requireEntry(findEventType, 5, 'event type'),
  simActivation: requireEntry(findEventType, 8, 'event type'),
  quotaThresholdReached: requireEntry(findEventType, 18, 'event type'),
  quotaUsedUp: requireEntry(findEventType, 19, 'event type'),
  resetConnectivity: requireEntry(findEventType, 68, 'event type'),
};

export const EVENT_SEVERITY = {
  info: requireEntry(findEventSeverity, 0, 'event severity'),
  warn: requireEntry(findEventSeverity, 1, 'event severity'),
  critical: requireEntry(findEventSeverity, 2, 'event severity'),
};

export const EVENT_SOURCE = {
  network: requireEntry(findEventSource, 0, 'event source'),
  policyControl: requireEntry(findEventSource, 1, 'event source'),
  api: requireEntry(findEventSource, 2, 'event source'),
};

export const TRAFFIC_TYPE = {
  data: requireEntry(findTrafficType, 5, 'traffic type'),
  sms: requireEntry(findTrafficType, 6, 'traffic type'),
};
