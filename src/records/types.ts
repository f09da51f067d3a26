/** The two kinds of record the platform produces and datastreamer delivers. */
export type RecordKind = 'usage' | 'event';

export const RECORD_KINDS: readonly RecordKind[] = ['usage', 'event'];

export interface IdDescription {
  id: number;
  description: string;
}

export interface OrganisationRef {
  id: number;
  name: string;
}

export interface SimRef {
  id: number;
  iccid: string;
  msisdn: string | null;
  production_date: string | null;
}

export interface EndpointRef {
  id: number;
  name: string | null;
  tags: string | null;
  ip_address: string | null;
  imei: string | null;
}

/** A network, SIM, endpoint, quota or user event. `detail` is free-form. */
export interface EventRecord {
  id: number;
  timestamp: string;
  event_type: IdDescription;
  event_severity: IdDescription;
  event_source: IdDescription;
  alert: boolean;
  description: string;
  organisation: OrganisationRef;
  user: { id: number; username: string; name: string | null } | null;
  endpoint: EndpointRef | null;
  sim: SimRef | null;
  imsi: { id: number; imsi: string; import_date: string | null } | null;
  detail: Record<string, unknown> | null;
}

/** One data-session interval or one SMS, with volume in MB and cost. */
export interface UsageRecord {
  id: number;
  traffic_type: IdDescription;
  start_timestamp: string;
  end_timestamp: string;
  organisation: OrganisationRef;
  endpoint: EndpointRef | null;
  sim: SimRef | null;
  imsi: string | null;
  imsi_id: number | null;
  operator: {
    id: number;
    name: string;
    mnc: string;
    country: { id: number; mcc: string; name: string };
  } | null;
  tariff: { id: number; name: string; ratezone: { id: number; name: string } | null } | null;
  volume: { total: number; rx: number; tx: number };
  cost: number;
  currency: { id: number; code: string; symbol: string } | null;
}

export type PlatformRecord = EventRecord | UsageRecord;
