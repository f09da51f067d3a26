import { setTimeout as delay } from 'node:timers/promises';

import type { EventRecord, OrganisationRef, RecordKind, UsageRecord } from '../records/types.js';
import { MAX_RECORDS_PER_REQUEST, postRecords } from './ingest-client.js';
import { createTraffic, type Traffic } from './traffic.js';
import { formatTimestamp } from './timestamps.js';

export interface SimulationOptions {
  /** Base URL of datastreamer, such as `http://127.0.0.1:8080`. */
  baseUrl: string;
  adminToken: string;
  /** Organisations that own the SIMs; they must exist in datastreamer, or ingest rejects their records. */
  organisations: readonly OrganisationRef[];
  sims: number;
  /** Records per second, usage records and events together. */
  rate: number;
  durationSeconds: number;
  seed: string | number;
  /** Record ids count up from this number. Default: the current time in microseconds. */
  idBase?: number;
  /** Stops the run before the next batch; a request in flight completes first. */
  signal?: AbortSignal;
  onBatch?: (summary: BatchSummary) => void;
  /** Timeout of one ingest request in milliseconds. Default: 30,000. */
  requestTimeoutMs?: number;
}

/** Progress report after each ingest request. */
export interface BatchSummary {
  kind: RecordKind;
  records: number;
  accepted: number;
  duplicates: number;
  /** Simulated time reached, ISO 8601 UTC. */
  simulatedTime: string;
  totals: { usage: number; events: number; duplicates: number; requests: number };
}

export interface SimulationResult {
  /** Usage records the server accepted as new. */
  usage: number;
  /** Events the server accepted as new. */
  events: number;
  /** Records the server had stored already. */
  duplicates: number;
  requests: number;
  /** Ids of every record the server acknowledged, new or duplicate, by kind. */
  ids: { usage: number[]; events: number[] };
}

/** Records generated and posted together at most this often, to keep requests few at high rates. */
const BATCH_INTERVAL_MS = 250;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Posts simulated traffic to datastreamer's ingest API: `rate` records per
 * second for `durationSeconds`, round(rate × durationSeconds) records in all.
 * Simulated time starts now and follows wall time approximately. Resolves with
 * what the server acknowledged, also after an abort. Rejects on the first
 * failed request, naming the HTTP status and the server's message.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  validateSimulationOptions(options);
  const { rate, durationSeconds, signal } = options;

  const traffic = createTraffic({
    seed: options.seed,
    sims: options.sims,
    organisations: options.organisations,
    rate,
    startTime: Date.now(),
    idBase: options.idBase,
  });
  const poster = new BatchPoster(options, traffic);

  const totalRecords = Math.round(rate * durationSeconds);
  const startedAt = performance.now();
  let generated = 0;
  let nextBatchAt = startedAt + BATCH_INTERVAL_MS;

  while (generated < totalRecords) {
    const nextRecordDueAt = startedAt + ((generated + 1) / rate) * 1000;
    const awake = await sleepUntil(Math.max(nextBatchAt, nextRecordDueAt), signal);
    if (!awake) break;

    const now = performance.now();
    nextBatchAt = now + BATCH_INTERVAL_MS;
    const dueRecords = Math.min(totalRecords, Math.floor(((now - startedAt) / 1000) * rate)) - generated;
    if (dueRecords <= 0) continue;

    const batch = traffic.next(dueRecords);
    generated += dueRecords;
    await poster.post('usage', batch.usage);
    await poster.post('event', batch.events);
  }

  return poster.result;
}

/** Posts records in requests of at most MAX_RECORDS_PER_REQUEST and keeps the totals. */
class BatchPoster {
  readonly result: SimulationResult = { usage: 0, events: 0, duplicates: 0, requests: 0, ids: { usage: [], events: [] } };

  constructor(
    private readonly options: SimulationOptions,
    private readonly traffic: Traffic,
  ) {}

  async post(kind: RecordKind, records: UsageRecord[] | EventRecord[]): Promise<void> {
    for (let offset = 0; offset < records.length; offset += MAX_RECORDS_PER_REQUEST) {
      const chunk = records.slice(offset, offset + MAX_RECORDS_PER_REQUEST) as UsageRecord[] | EventRecord[];
      const answer = await postRecords({
        baseUrl: this.options.baseUrl,
        adminToken: this.options.adminToken,
        kind,
        records: chunk,
        timeoutMs: this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      });

      const { result } = this;
      result.requests += 1;
      result.duplicates += answer.duplicates;
      const ids = kind === 'usage' ? result.ids.usage : result.ids.events;
      for (const record of chunk) ids.push(record.id);
      if (kind === 'usage') result.usage += answer.accepted;
      else result.events += answer.accepted;

      this.options.onBatch?.({
        kind,
        records: chunk.length,
        accepted: answer.accepted,
        duplicates: answer.duplicates,
        simulatedTime: formatTimestamp(this.traffic.simulatedTimeMs),
        totals: { usage: result.usage, events: result.events, duplicates: result.duplicates, requests: result.requests },
      });
    }
  }
}

/** Waits until `deadline` on the performance.now() clock. Returns false if the signal aborted the wait. */
async function sleepUntil(deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return false;

  const waitMs = deadline - performance.now();
  if (waitMs <= 0) return true;

  try {
    await delay(waitMs, undefined, { signal });
    return true;
  } catch (error) {
    if (signal?.aborted) return false;
    throw error;
  }
}

function validateSimulationOptions(options: SimulationOptions): void {
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new Error(`Invalid baseUrl "${options.baseUrl}": it must be an absolute URL such as http://127.0.0.1:8080.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`Invalid baseUrl "${options.baseUrl}": it must use http or https.`);
  }

  if (typeof options.adminToken !== 'string' || options.adminToken === '') {
    throw new Error('Missing admin token: pass the admin token that datastreamer was started with.');
  }
  if (!Number.isFinite(options.rate) || options.rate <= 0) {
    throw new Error(`Invalid rate ${options.rate}: it must be a positive number of records per second.`);
  }
  if (!Number.isFinite(options.durationSeconds) || options.durationSeconds <= 0) {
    throw new Error(`Invalid duration ${options.durationSeconds}: it must be a positive number of seconds.`);
  }
  const timeoutMs = options.requestTimeoutMs;
  if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
    throw new Error(`Invalid requestTimeoutMs ${timeoutMs}: it must be a positive number of milliseconds.`);
  }
}
