import type { PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';

import type { LoggedRecord } from '../../storage/types.js';

/** Kinesis PutRecords limits: records per call, bytes per call, bytes per record. */
export const MAX_RECORDS_PER_CALL = 500;
export const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;
export const MAX_BYTES_PER_RECORD = 1024 * 1024;

export interface KinesisBatch {
  entries: PutRecordsRequestEntry[];
  /** Log position of the last record the batch covers, including filtered ones. */
  lastSeq: number;
}

/**
 * Takes records from the front of `records` until a PutRecords limit would be
 * exceeded. The partition key is the endpoint id, else the SIM id, else the
 * record id, so one device's records go to one shard in order.
 */
export function buildPutRecordsBatch(records: LoggedRecord[], filter: ((body: string) => boolean) | null): KinesisBatch {
  const entries: PutRecordsRequestEntry[] = [];
  let bytes = 0;
  let lastSeq = records[0].seq - 1;

  for (const record of records) {
    if (filter && !filter(record.body)) {
      lastSeq = record.seq;
      continue;
    }

    const data = Buffer.from(record.body, 'utf8');
    const partitionKey = partitionKeyOf(record.body);
    const size = data.length + Buffer.byteLength(partitionKey);

    if (entries.length === MAX_RECORDS_PER_CALL || (entries.length > 0 && bytes + size > MAX_BYTES_PER_CALL)) break;

    // TODO: a record over 1 MiB cannot go to Kinesis at all; ingest should reject it.
    entries.push({ Data: data, PartitionKey: partitionKey });
    bytes += size;
    lastSeq = record.seq;
  }

  return { entries, lastSeq };
}

export function partitionKeyOf(body: string): string {
  const record = JSON.parse(body) as { id: number; endpoint?: { id?: number } | null; sim?: { id?: number } | null };
  return String(record.endpoint?.id ?? record.sim?.id ?? record.id);
}
