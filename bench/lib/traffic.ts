import { writeFileSync } from 'node:fs';
import path from 'node:path';

import type { OrganisationRef, PlatformRecord, RecordKind } from '../../src/records/types.js';
import { createTraffic } from '../../src/simulator/index.js';

/** Stored record bodies (compact JSON, as ingest stores them) of one organisation, by kind. */
export type RecordBodies = Record<RecordKind, string[]>;

/** One ingest request: a JSON array of records of one kind. */
export interface IngestBatch {
  kind: RecordKind;
  body: string;
  count: number;
}

const SEED = 'datastreamer-bench';
/** Simulated SIMs per organisation: enough that records spread over many endpoints and partition keys. */
const SIMS_PER_ORGANISATION = 10;
const MIN_SIMS = 20_000;

/**
 * Generates simulated traffic once and re-addresses it to other
 * organisations, so that every scenario sends the same realistic records
 * without paying for the simulation again.
 */
export class TrafficPool {
  private records: { usage: PlatformRecord[]; event: PlatformRecord[] } = { usage: [], event: [] };

  /** Makes sure at least `count` records (both kinds together) are generated. */
  ensure(count: number): void {
    const have = this.records.usage.length + this.records.event.length;
    if (have >= count) return;

    const traffic = createTraffic({ seed: SEED, sims: MIN_SIMS, organisations: [{ id: 1, name: 'Bench' }], rate: 1000 });
    const batch = traffic.next(count);
    this.records = { usage: batch.usage, event: batch.events };
  }

  /** Returns the first records of the pool as bodies of `organisation`, at most `count` of both kinds together. */
  bodiesFor(organisation: OrganisationRef, count: number): RecordBodies {
    this.ensure(count);
    const usageShare = this.records.usage.length / (this.records.usage.length + this.records.event.length);
    const usageCount = Math.round(count * usageShare);
    return {
      usage: readdress(this.records.usage.slice(0, usageCount), organisation),
      event: readdress(this.records.event.slice(0, count - usageCount), organisation),
    };
  }
}

/** Generates traffic of many organisations at once; SIMs are assigned to the organisations in turn. */
export function bodiesForOrganisations(organisations: OrganisationRef[], count: number): RecordBodies {
  const sims = Math.max(MIN_SIMS, organisations.length * SIMS_PER_ORGANISATION);
  const batch = createTraffic({ seed: SEED, sims, organisations, rate: 1000 }).next(count);
  return { usage: batch.usage.map((record) => JSON.stringify(record)), event: batch.events.map((record) => JSON.stringify(record)) };
}

function readdress(records: PlatformRecord[], organisation: OrganisationRef): string[] {
  const owner = { id: organisation.id, name: organisation.name };
  return records.map((record) => JSON.stringify({ ...record, organisation: owner }));
}

/** Drops records from the end of each kind so that each kind fills whole files of `flushSize` records. */
export function toWholeFiles(bodies: RecordBodies, flushSize: number): RecordBodies {
  const whole = (list: string[]) => list.slice(0, list.length - (list.length % flushSize));
  return { usage: whole(bodies.usage), event: whole(bodies.event) };
}

export function countBodies(bodies: RecordBodies): number {
  return bodies.usage.length + bodies.event.length;
}

/**
 * Splits the bodies into ingest requests of `batchSize` records,
 * alternating kinds in proportion to their counts, as a platform would post them.
 */
export function toIngestBatches(bodies: RecordBodies, batchSize: number): IngestBatch[] {
  const batchesOf = (kind: RecordKind): IngestBatch[] => {
    const batches: IngestBatch[] = [];
    for (let start = 0; start < bodies[kind].length; start += batchSize) {
      const chunk = bodies[kind].slice(start, start + batchSize);
      batches.push({ kind, body: `[${chunk.join(',')}]`, count: chunk.length });
    }
    return batches;
  };

  const usage = batchesOf('usage');
  const events = batchesOf('event');
  const mixed: IngestBatch[] = [];
  let usageTaken = 0;
  let eventsTaken = 0;
  while (usageTaken < usage.length || eventsTaken < events.length) {
    const usageBehind = usageTaken / Math.max(usage.length, 1) <= eventsTaken / Math.max(events.length, 1);
    if ((usageBehind && usageTaken < usage.length) || eventsTaken >= events.length) mixed.push(usage[usageTaken++]);
    else mixed.push(events[eventsTaken++]);
  }
  return mixed;
}

/** Writes each kind's bodies to an NDJSON file for the ceiling host. Returns the file paths. */
export function writeRecordFiles(directory: string, name: string, bodies: RecordBodies): Record<RecordKind, string> {
  const files = { usage: path.join(directory, `${name}-usage.ndjson`), event: path.join(directory, `${name}-event.ndjson`) };
  writeFileSync(files.usage, bodies.usage.join('\n') + '\n');
  writeFileSync(files.event, bodies.event.join('\n') + '\n');
  return files;
}
