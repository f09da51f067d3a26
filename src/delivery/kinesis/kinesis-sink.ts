import type { PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Metrics } from '../../metrics.js';
import type { RecordKind } from '../../records/types.js';
import type { DataStream, KinesisDestination, Storage } from '../../storage/types.js';
import { diagnoseKinesisError, type DiagnosisContext } from '../aws-diagnosis.js';
import { backoffDelay } from '../backoff.js';
import { DeliveryError } from '../delivery-error.js';
import { recordFilter } from '../filters.js';
import { NOTHING_TO_DO, type DeliveryOutcome, type Sink } from '../sink.js';
import type { KinesisService } from './kinesis-service.js';
import { MAX_RECORDS_PER_CALL, buildPutRecordsBatch } from './put-records-batch.js';

/** Partial-failure rounds within one step before the step fails and the worker backs off. */
const PARTIAL_RETRY_ROUNDS = 8;

interface InFlightBatch {
  lastSeq: number;
  firstIngestedAt: number;
  total: number;
  /** Entries not yet accepted by the stream. */
  pending: PutRecordsRequestEntry[];
}

/**
 * Sends a stream's records to Kinesis with PutRecords. When the stream
 * rejects some entries (throttling, internal failure), only those entries are
 * sent again; the batch stays in memory across failed steps so that accepted
 * entries are not repeated. The cursor moves once every entry was accepted.
 */
export class KinesisSink implements Sink {
  // NOTE: a change of the stream's settings gives the worker a new sink, which reads the batch again from
  // the cursor, so entries accepted before the change are sent again.
  private readonly inFlight = new Map<RecordKind, InFlightBatch>();

  constructor(
    private readonly stream: DataStream,
    private readonly storage: Storage,
    private readonly service: KinesisService,
    private readonly diagnosis: DiagnosisContext,
    private readonly metrics: Metrics,
  ) {}

  async deliverNext(kind: RecordKind, signal?: AbortSignal): Promise<DeliveryOutcome> {
    const batch = this.inFlight.get(kind) ?? this.takeNextBatch(kind);
    if (!batch) return NOTHING_TO_DO;

    await this.sendAll(batch, signal);

    this.inFlight.delete(kind);
    this.storage.advanceCursor(this.stream.id, kind, batch.lastSeq, batch.total, new Date().toISOString());
    return { delivered: batch.total, progressed: true, firstIngestedAt: batch.firstIngestedAt };
  }

  private takeNextBatch(kind: RecordKind): InFlightBatch | undefined {
    const cursor = this.storage.getCursor(this.stream.id, kind);
    const records = this.storage.readRecords(this.stream.organisation_id, kind, cursor, MAX_RECORDS_PER_CALL);
    if (records.length === 0) return undefined;

    const { entries, lastSeq } = buildPutRecordsBatch(records, recordFilter(kind, this.stream.filters));
    const batch = { lastSeq, firstIngestedAt: records[0].ingested_at, total: entries.length, pending: entries };
    this.inFlight.set(kind, batch);
    return batch;
  }

  private async sendAll(batch: InFlightBatch, signal?: AbortSignal): Promise<void> {
    for (let round = 1; batch.pending.length > 0; round++) {
      let result;
      try {
        result = await this.service.putRecords(batch.pending, signal);
      } catch (error) {
        throw diagnoseKinesisError(error, this.diagnosis);
      }
      if (result.failed.length === 0) return;

      batch.pending = result.failed;
      this.metrics.recordsRetried.inc({ destination: 'AwsKinesis' }, result.failed.length);

      if (round >= PARTIAL_RETRY_ROUNDS) {
        const destination = this.stream.destination as KinesisDestination;
        throw new DeliveryError(
          'transient',
          'kinesis_records_rejected',
          `Kinesis stream ${destination.stream_name} rejected ${result.failed.length} of ${batch.total} records ` +
            `(first error code ${result.firstErrorCode}); only those records are retried.`,
        );
      }
      await sleep(backoffDelay(round, 100, 5000), undefined, { signal });
    }
  }
}
