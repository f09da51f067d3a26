import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

import type { RecordKind } from '../../src/records/types.js';

/** Identifies a record across kinds, because usage records and events may share ids. */
export function recordKey(kind: RecordKind, id: number): string {
  return `${kind}:${id}`;
}

/** Time (ms since the epoch) at which each record was first seen in a destination. */
export class ArrivalLog {
  readonly arrivals = new Map<string, number>();

  record(key: string, at: number): void {
    if (!this.arrivals.has(key)) this.arrivals.set(key, at);
  }

  /** Records one parsed JSON record, telling the kinds apart by their fields. */
  recordJson(record: { id: number; traffic_type?: unknown }, at: number): void {
    this.record(recordKey(record.traffic_type === undefined ? 'event' : 'usage', record.id), at);
  }

  get size(): number {
    return this.arrivals.size;
  }
}

/** A loop that runs until stopped, reading a destination and filling an ArrivalLog. */
export interface Poller {
  readonly log: ArrivalLog;
  stop(): Promise<void>;
}

/**
 * Lists the objects under `prefix` every `intervalMs` and reads each new
 * file. Its records count as arrived at the earlier of two upper bounds:
 * the time the listing first showed the file, and the end of the second of
 * its LastModified. s3rver 3.7 keeps LastModified in whole seconds, so
 * LastModified alone would make latencies look up to 1 s shorter.
 */
export function pollS3(s3: S3Client, bucket: string, prefix: string, intervalMs: number): Poller & { files: number } {
  const log = new ArrivalLog();
  const seen = new Set<string>();
  let stopped = false;
  const state = { files: 0 };

  const loop = (async () => {
    while (!stopped) {
      const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      const listedAt = Date.now();
      for (const object of listing.Contents ?? []) {
        if (!object.Key || seen.has(object.Key)) continue;
        seen.add(object.Key);
        state.files += 1;

        const arrivedAt = Math.min(listedAt, (object.LastModified?.getTime() ?? listedAt) + 999);
        const kind: RecordKind = object.Key.slice(prefix.length).startsWith('usage/') ? 'usage' : 'event';
        const file = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
        const text = await file.Body!.transformToString('utf8');
        // The first line is the header, and the id is the first column, never quoted.
        for (const line of text.split('\r\n').slice(1)) {
          if (line !== '') log.record(recordKey(kind, Number(line.slice(0, line.indexOf(',')))), arrivedAt);
        }
      }
      await sleep(intervalMs);
    }
  })();

  return {
    log,
    get files() {
      return state.files;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * Reads every shard of the stream from TRIM_HORIZON with GetRecords and
 * records each record as arrived at its ApproximateArrivalTimestamp.
 */
export async function pollKinesis(kinesis: KinesisClient, streamName: string, intervalMs: number): Promise<Poller> {
  const log = new ArrivalLog();
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const iterators: (string | undefined)[] = [];
  for (const shard of Shards) {
    const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    iterators.push(ShardIterator);
  }

  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      let received = 0;
      for (let shard = 0; shard < iterators.length; shard++) {
        if (!iterators[shard]) continue;
        const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterators[shard] }));
        iterators[shard] = page.NextShardIterator;
        for (const record of page.Records ?? []) {
          const arrivedAt = record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
          log.recordJson(JSON.parse(Buffer.from(record.Data!).toString('utf8')), arrivedAt);
          received += 1;
        }
      }
      if (received === 0) await sleep(intervalMs);
    }
  })();

  return {
    log,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** Starts a webhook receiver on 127.0.0.1 that responds 200 and records each record as arrived when its request body is complete. */
export async function startRestReceiver(): Promise<Poller & { url: string }> {
  const log = new ArrivalLog();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const arrivedAt = Date.now();
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number } | { id: number }[];
      for (const record of Array.isArray(parsed) ? parsed : [parsed]) log.recordJson(record, arrivedAt);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    log,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
