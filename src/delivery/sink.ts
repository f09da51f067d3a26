import type { RecordKind } from '../records/types.js';

/** Result of one delivery step of a stream for one record kind. */
export interface DeliveryOutcome {
  /** Records the destination confirmed in this step. */
  delivered: number;
  /** True when the cursor moved, even if filters left nothing to send. */
  progressed: boolean;
  /** When nothing is due yet: the time (ms) at which the next step is due. */
  waitUntil?: number;
  /** Ingest time (ms) of the oldest record delivered in this step, for the latency metric. */
  firstIngestedAt?: number;
}

/**
 * One destination of one stream. A step reads records after the stream's
 * cursor, sends them, and moves the cursor only after the destination
 * confirmed them. Failures are thrown as DeliveryError.
 *
 * `signal` aborts the step's requests and waits when the service stops. An
 * aborted step leaves the cursor where it was, so the records go out again
 * after the restart.
 */
export interface Sink {
  deliverNext(kind: RecordKind, signal?: AbortSignal): Promise<DeliveryOutcome>;
}

export const NOTHING_TO_DO: DeliveryOutcome = { delivered: 0, progressed: false };
