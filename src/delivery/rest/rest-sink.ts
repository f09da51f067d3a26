import type { RecordKind } from '../../records/types.js';
import type { DataStream, RestApiDestination, Storage } from '../../storage/types.js';
import { recordFilter } from '../filters.js';
import { NOTHING_TO_DO, type DeliveryOutcome, type Sink } from '../sink.js';
import type { RestService } from './rest-service.js';

interface PendingRequest {
  id: string;
  body: string;
  count: number;
  lastSeq: number;
  firstIngestedAt: number;
}

/**
 * Posts a stream's records to the customer's endpoint: one JSON object per
 * request when `size` is 1, otherwise a JSON array of up to `size` records.
 * A request is retried unchanged, with the same id, until the endpoint
 * answers 2xx; only then does the cursor move.
 */
export class RestSink implements Sink {
  private readonly destination: RestApiDestination;
  private readonly pending = new Map<RecordKind, PendingRequest>();

  constructor(
    private readonly stream: DataStream,
    private readonly storage: Storage,
    private readonly service: RestService,
  ) {
    this.destination = stream.destination as RestApiDestination;
  }

  async deliverNext(kind: RecordKind, signal?: AbortSignal): Promise<DeliveryOutcome> {
    const next = this.pending.get(kind) ?? this.buildRequest(kind);
    if (!next) return NOTHING_TO_DO;

    if (next.count > 0) {
      this.pending.set(kind, next);
      await this.service.send(this.destination, next.id, next.body, signal);
      this.pending.delete(kind);
    }

    this.storage.advanceCursor(this.stream.id, kind, next.lastSeq, next.count, new Date().toISOString());
    return { delivered: next.count, progressed: true, firstIngestedAt: next.firstIngestedAt };
  }

  private buildRequest(kind: RecordKind): PendingRequest | undefined {
    const cursor = this.storage.getCursor(this.stream.id, kind);
    const records = this.storage.readRecords(this.stream.organisation_id, kind, cursor, this.destination.size);
    if (records.length === 0) return undefined;

    const filter = recordFilter(kind, this.stream.filters);
    const bodies = records.map((record) => record.body).filter((body) => !filter || filter(body));
    const firstSeq = records[0].seq;
    const lastSeq = records[records.length - 1].seq;

    // The id names the stream and the log range, so it stays the same across
    // retries and restarts, and receivers can deduplicate on it.
    const id = `${this.stream.id}-${kind}-${firstSeq}-${lastSeq}`;
    const body = this.destination.size === 1 ? (bodies[0] ?? '') : `[${bodies.join(',')}]`;
    return { id, body, count: bodies.length, lastSeq, firstIngestedAt: records[0].ingested_at };
  }
}
