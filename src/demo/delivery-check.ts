import { parse } from 'csv-parse/sync';

import { CHECK_OBJECT_NAME, CHECK_PARTITION_KEY } from '../aws/setup-check-writes.js';
import type { LocalAws } from '../emulators/local-aws.js';
import type { RecordKind } from '../records/types.js';

/** Comparison of the records found in a destination with the ingested ones. */
export interface DeliveryCount {
  received: number;
  /** Ingested ids that never arrived. */
  missing: number;
  /** Arrivals beyond the first of an id. */
  duplicated: number;
  /** Arrivals whose id was never ingested. */
  unexpected: number;
  exactlyOnce: boolean;
  /** The first lines of one file, for display (S3 only). */
  sampleLines: string[];
}

type ExpectedIds = Record<RecordKind, number[]>;

/**
 * Counts, per kind, how often each ingested id arrived in S3 or Kinesis. The
 * object and record that the setup check writes when a stream is created are
 * not records and are skipped.
 */
export const countDeliveries = {
  async fromS3(aws: LocalAws, bucket: string, keys: string[], expected: ExpectedIds): Promise<DeliveryCount> {
    const arrivals: Record<RecordKind, number[]> = { usage: [], event: [] };
    let sampleLines: string[] = [];

    for (const key of keys) {
      if (key.endsWith(CHECK_OBJECT_NAME)) continue;
      const kind: RecordKind = key.includes('/usage/') || key.startsWith('usage/') ? 'usage' : 'event';
      const text = await aws.getObjectText(bucket, key);
      if (sampleLines.length === 0 && /\.csv(\.gz)?$/.test(key)) sampleLines = text.split(/\r?\n/).slice(0, 4);
      arrivals[kind].push(...idsOfFile(key, text));
    }
    return { ...compare(arrivals, expected), sampleLines };
  },

  async fromKinesis(aws: LocalAws, streamName: string, expected: ExpectedIds): Promise<DeliveryCount> {
    const arrivals: Record<RecordKind, number[]> = { usage: [], event: [] };
    for (const record of await aws.readAllKinesisRecords(streamName)) {
      if (record.partitionKey === CHECK_PARTITION_KEY) continue;
      const body = JSON.parse(record.data.toString('utf8')) as { id: number; traffic_type?: unknown };
      arrivals[body.traffic_type === undefined ? 'event' : 'usage'].push(body.id);
    }
    return { ...compare(arrivals, expected), sampleLines: [] };
  },
};

function idsOfFile(key: string, text: string): number[] {
  if (/\.jsonl(\.gz)?$/.test(key)) {
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { id: number }).id);
  }
  const rows = parse(text, { columns: true }) as { id: string }[];
  return rows.map((row) => Number(row.id));
}

function compare(arrivals: Record<RecordKind, number[]>, expected: ExpectedIds): Omit<DeliveryCount, 'sampleLines'> {
  let received = 0;
  let missing = 0;
  let duplicated = 0;
  let unexpected = 0;

  for (const kind of ['usage', 'event'] as const) {
    const expectedIds = new Set(expected[kind]);
    const seen = new Map<number, number>();
    for (const id of arrivals[kind]) seen.set(id, (seen.get(id) ?? 0) + 1);

    received += arrivals[kind].length;
    for (const [id, count] of seen) {
      if (!expectedIds.has(id)) unexpected += count;
      else duplicated += count - 1;
    }
    for (const id of expectedIds) if (!seen.has(id)) missing += 1;
  }
  return { received, missing, duplicated, unexpected, exactlyOnce: missing === 0 && duplicated === 0 && unexpected === 0 };
}
