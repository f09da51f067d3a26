import type { RecordKind } from '../records/types.js';

/**
 * Signals from the API to the delivery workers, so a worker wakes up as
 * soon as there is something to do instead of waiting for its next poll.
 */
export interface DeliveryEvents {
  /** Records of these organisations were committed to the log. */
  recordsAppended(organisationIds: Iterable<number>, kind: RecordKind): void;
  /** A stream was created, changed or deleted; its worker reloads it. */
  streamChanged(streamId: number): void;
  /** The customer asked to retry now: the stream's worker skips its backoff. */
  retryNow(streamId: number): void;
}

/** Events sink for tools that run the API without delivery workers. */
export const NO_DELIVERY: DeliveryEvents = {
  recordsAppended() {},
  streamChanged() {},
  retryNow() {},
};
