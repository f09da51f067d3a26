import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

import { encodeFile } from '../../records/formats.js';
import type { RecordKind } from '../../records/types.js';
import type { DataStream, LoggedRecord, PlannedS3File, S3Destination, Storage } from '../../storage/types.js';
import { diagnoseS3Error, type DiagnosisContext } from '../aws-diagnosis.js';
import { recordFilter } from '../filters.js';
import { NOTHING_TO_DO, type DeliveryOutcome, type Sink } from '../sink.js';
import { objectKey } from './object-key.js';
import type { S3Service } from './s3-service.js';

const gzipAsync = promisify(gzip);

/**
 * Writes a stream's records to S3 as files of at most `flush_size` records,
 * closed `rotate_interval` ms after their first record at the latest.
 *
 * Exactly-once files: the record range of a file is stored before its
 * upload, and the key derives from that range. After a crash the same range
 * is rebuilt and uploaded under the same key, overwriting any earlier copy,
 * and the cursor moves past it in the same transaction that drops the plan.
 */
export class S3Sink implements Sink {
  private readonly destination: S3Destination;

  constructor(
    private readonly stream: DataStream,
    private readonly storage: Storage,
    private readonly service: S3Service,
    private readonly diagnosis: DiagnosisContext,
    private readonly now: () => number = Date.now,
  ) {
    this.destination = stream.destination as S3Destination;
  }

  async deliverNext(kind: RecordKind, signal?: AbortSignal): Promise<DeliveryOutcome> {
    const planned = this.storage.getPlannedS3File(this.stream.id, kind);
    const next = planned ? { file: planned, records: this.readRange(planned) } : this.planNextFile(kind);
    if (!next.file) return next.waitUntil === undefined ? NOTHING_TO_DO : { ...NOTHING_TO_DO, waitUntil: next.waitUntil };

    const { file, records } = next;

    const filter = recordFilter(kind, this.stream.filters);
    const bodies = filter ? records.map((record) => record.body).filter(filter) : records.map((record) => record.body);

    if (bodies.length > 0) {
      await this.upload(file.key, kind, bodies, signal);
    }

    this.storage.completeS3File(file, bodies.length, new Date(this.now()).toISOString());
    return { delivered: bodies.length, progressed: true, firstIngestedAt: records[0]?.ingested_at };
  }

  /** Fixes the range of the next file once it is full or its rotate_interval has passed. */
  private planNextFile(kind: RecordKind): { file: PlannedS3File; records: LoggedRecord[] } | { file?: undefined; waitUntil?: number } {
    const cursor = this.storage.getCursor(this.stream.id, kind);
    const flushSize = this.destination.flush_size;

    const backlog = this.storage.backlog(this.stream.organisation_id, kind, cursor, flushSize);
    if (backlog.count === 0 || backlog.oldest_ingested_at === null) return {};

    const closesAt = backlog.oldest_ingested_at + this.destination.rotate_interval;
    if (backlog.count < flushSize && this.now() < closesAt) return { waitUntil: closesAt };

    const records = this.storage.readRecords(this.stream.organisation_id, kind, cursor, flushSize);
    const first = records[0];
    const last = records[records.length - 1];
    const file: PlannedS3File = {
      stream_id: this.stream.id,
      kind,
      first_seq: first.seq,
      last_seq: last.seq,
      key: objectKey(this.destination, this.stream.id, kind, { firstSeq: first.seq, lastSeq: last.seq, firstIngestedAt: first.ingested_at }),
    };

    this.storage.planS3File(file);
    return { file, records };
  }

  private readRange(file: PlannedS3File): LoggedRecord[] {
    const size = file.last_seq - file.first_seq + 1;
    return this.storage.readRecords(this.stream.organisation_id, file.kind, file.first_seq - 1, size, file.last_seq);
  }

  private async upload(key: string, kind: RecordKind, bodies: string[], signal?: AbortSignal): Promise<void> {
    // The key fixes the encoding: a file planned before a PATCH of format or
    // compression is retried in the encoding its name promises.
    const format = /\.jsonl(\.gz)?$/.test(key) ? 'jsonl' : 'csv';
    let body = encodeFile(kind, format, bodies);
    if (key.endsWith('.gz')) {
      // zlib runs in the libuv thread pool, off the event loop.
      body = await gzipAsync(body);
    }

    try {
      await this.service.putFile(key, body, signal);
    } catch (error) {
      throw diagnoseS3Error(error, this.diagnosis);
    }
  }
}
