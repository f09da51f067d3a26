import type { EventRecord, IdDescription, UsageRecord } from '../records/types.js';
import { TRAFFIC_TYPE } from './catalogue.js';
import type { PlatformUser, SimIdentity } from './identities.js';
import type { Operator } from './operators.js';
import { bytesToMb, CURRENCY_EUR, rateZoneFor, roundCost, TARIFF } from './pricing.js';
import { formatTimestamp } from './timestamps.js';

/** Hands out record ids `base + 1`, `base + 2`, … for one record kind. */
export class IdSequence {
  private last: number;

  constructor(private readonly base: number) {
    this.last = base;
  }

  next(): number {
    if (this.last >= Number.MAX_SAFE_INTEGER) {
      throw new Error(
        `Record ids starting at ${this.base} have run past ${Number.MAX_SAFE_INTEGER}, the largest id that JSON numbers carry exactly; pass a smaller idBase.`,
      );
    }
    this.last += 1;
    return this.last;
  }
}

export interface EventContent {
  type: IdDescription;
  severity: IdDescription;
  source: IdDescription;
  alert: boolean;
  description: string;
  /** The user who acted through the API, or null for network and policy events. */
  user: PlatformUser | null;
  detail: Record<string, unknown> | null;
}

export function buildEvent(id: number, identity: SimIdentity, atMs: number, content: EventContent): EventRecord {
  return {
    id,
    timestamp: formatTimestamp(atMs),
    event_type: { ...content.type },
    event_severity: { ...content.severity },
    event_source: { ...content.source },
    alert: content.alert,
    description: content.description,
    organisation: { ...identity.organisation },
    user: content.user === null ? null : { ...content.user },
    endpoint: { ...identity.endpoint },
    sim: { ...identity.sim },
    imsi: { ...identity.imsi },
    detail: content.detail,
  };
}

/** Builds one interval of a data session; `rxBytes` and `txBytes` are what the device received and sent. */
export function buildDataUsage(
  id: number,
  identity: SimIdentity,
  operator: Operator,
  interval: { startMs: number; endMs: number },
  rxBytes: number,
  txBytes: number,
): UsageRecord {
  const zone = rateZoneFor(operator.mcc);
  const totalMb = bytesToMb(rxBytes + txBytes);

  return {
    ...usageBase(id, identity, operator, interval),
    traffic_type: { ...TRAFFIC_TYPE.data },
    volume: { total: totalMb, rx: bytesToMb(rxBytes), tx: bytesToMb(txBytes) },
    cost: roundCost(totalMb * zone.pricePerMb),
  };
}

/**
 * Builds the record of one SMS. Its volume counts the message (1) in the
 * direction it travelled: tx for one the device sent, rx for one it received.
 */
export function buildSmsUsage(
  id: number,
  identity: SimIdentity,
  operator: Operator,
  atMs: number,
  direction: 'sent' | 'received',
): UsageRecord {
  const zone = rateZoneFor(operator.mcc);
  const sent = direction === 'sent' ? 1 : 0;

  return {
    ...usageBase(id, identity, operator, { startMs: atMs, endMs: atMs }),
    traffic_type: { ...TRAFFIC_TYPE.sms },
    volume: { total: 1, rx: 1 - sent, tx: sent },
    cost: roundCost(zone.pricePerSms),
  };
}

function usageBase(
  id: number,
  identity: SimIdentity,
  operator: Operator,
  interval: { startMs: number; endMs: number },
): Omit<UsageRecord, 'traffic_type' | 'volume' | 'cost'> {
  const zone = rateZoneFor(operator.mcc);

  return {
    id,
    start_timestamp: formatTimestamp(interval.startMs),
    end_timestamp: formatTimestamp(interval.endMs),
    organisation: { ...identity.organisation },
    endpoint: { ...identity.endpoint },
    sim: { ...identity.sim },
    imsi: identity.imsi.imsi,
    imsi_id: identity.imsi.id,
    operator: {
      id: operator.id,
      name: operator.name,
      mnc: operator.mnc,
      country: { id: operator.country.id, mcc: operator.mcc, name: operator.country.name },
    },
    tariff: { ...TARIFF, ratezone: { id: zone.id, name: zone.name } },
    currency: { ...CURRENCY_EUR },
  };
}

/** Builds the `operator` detail of location events. */
export function operatorDetail(operator: Operator): Record<string, unknown> {
  return {
    id: operator.id,
    name: operator.name,
    country: {
      id: operator.country.id,
      name: operator.country.name,
      mcc: operator.mcc,
      iso_code: operator.country.iso_code,
    },
    mnc: operator.mnc,
  };
}
