import type { Logger } from 'pino';

import type { DeliveryConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import { StreamStatus, type DataStream, type Storage, type StreamStatusId } from '../storage/types.js';
import { kindsOfStream } from '../storage/stream-kinds.js';
import { backoffDelay } from './backoff.js';
import { DeliveryError } from './delivery-error.js';
import type { Sink } from './sink.js';
import type { SinkFactory } from './sink-factory.js';

export interface WorkerDependencies {
  storage: Storage;
  sinks: SinkFactory;
  config: DeliveryConfig;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Delivers one stream: repeats delivery steps while records are waiting,
 * sleeps until woken or until the next file is due, and backs off with
 * jitter after a failure. A configuration fault that lasts longer than
 * `errorAfterMs` moves the stream to Error; the first successful delivery
 * moves it back to Running.
 */
export class StreamWorker {
  private stream: DataStream;
  private sink: Sink | undefined;
  private stopped = false;
  private failures = 0;
  private backingOff = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** Aborts the requests of the running step when a stop's grace period ends. */
  private readonly abandon = new AbortController();
  private readonly logger: Logger;

  constructor(
    stream: DataStream,
    private readonly deps: WorkerDependencies,
  ) {
    this.stream = stream;
    this.logger = deps.logger.child({ stream_id: stream.id, organisation_id: stream.organisation_id });
  }

  get organisationId(): number {
    return this.stream.organisation_id;
  }

  /** The stream as this worker last saw it, including its delivery status. */
  get currentStream(): DataStream {
    return this.stream;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** New records arrived; a worker that is backing off keeps waiting. */
  notify(): void {
    if (!this.backingOff) this.wakeUp?.();
  }

  /** Retries at once, even during a backoff. */
  retryNow(): void {
    this.failures = 0;
    this.wakeUp?.();
  }

  /** Takes the stream's new settings; the next step uses a fresh sink. */
  reload(stream: DataStream): void {
    this.stream = stream;
    this.sink = undefined;
    this.wakeUp?.();
  }

  /**
   * Stops the worker: a sleeping worker wakes up and ends, and a running step
   * may finish for `graceMs`. After that its requests are aborted and the
   * step is abandoned without moving the cursor, so its records go out again
   * after the restart (the same S3 key, the same REST request id, or a
   * repeated Kinesis batch).
   */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    if (!this.loop) return;

    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace_over'>((resolve) => {
      if (Number.isFinite(graceMs)) graceTimer = setTimeout(() => resolve('grace_over'), graceMs);
    });
    const outcome = await Promise.race([this.loop.then(() => 'finished' as const), graceOver]);
    clearTimeout(graceTimer);

    if (outcome === 'grace_over') {
      this.logger.warn({ grace_ms: graceMs }, 'delivery step still running at stop, abandoning it');
      this.abandon.abort();
      await this.loop;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const delay = await this.step();
      if (delay > 0 && !this.stopped) await this.sleep(delay);
    }
  }

  /** Runs one delivery step over the stream's kinds; returns how long to wait before the next. */
  private async step(): Promise<number> {
    const now = Date.now();
    let nextDue = now + this.deps.config.idlePollMs;
    let progressed = false;
    let delivered = 0;

    try {
      // An idle stream gets no sink, and so no SDK client, until records wait for it.
      if (this.sink === undefined && !this.hasWaitingRecords()) return Math.max(nextDue - Date.now(), 1);
      this.sink ??= this.deps.sinks.create(this.stream);

      for (const kind of kindsOfStream(this.stream.data_stream_type)) {
        // A stop lets the running send finish but starts no new one.
        if (this.stopped) break;
        const outcome = await this.sink.deliverNext(kind, this.abandon.signal);
        progressed ||= outcome.progressed;
        delivered += outcome.delivered;
        if (outcome.firstIngestedAt !== undefined && outcome.delivered > 0) {
          this.deps.metrics.deliveryLatency.observe({ destination: this.stream.destination.connection_type }, (Date.now() - outcome.firstIngestedAt) / 1000);
        }
        if (outcome.waitUntil !== undefined) nextDue = Math.min(nextDue, outcome.waitUntil);
      }
    } catch (error) {
      // An abandoned step failed because stop() aborted it, not because of the destination.
      if (this.abandon.signal.aborted) return 0;
      return this.recordFailure(error);
    }

    if (delivered > 0) {
      this.deps.metrics.recordsDelivered.inc({ destination: this.stream.destination.connection_type }, delivered);
      this.recordSuccess();
    }
    return progressed ? 0 : Math.max(nextDue - Date.now(), 1);
  }

  private hasWaitingRecords(): boolean {
    return kindsOfStream(this.stream.data_stream_type).some((kind) => {
      const cursor = this.deps.storage.getCursor(this.stream.id, kind);
      return this.deps.storage.backlog(this.stream.organisation_id, kind, cursor, 1).count > 0;
    });
  }

  private recordSuccess(): void {
    this.failures = 0;
    if (this.stream.failing_since === null && this.stream.status !== StreamStatus.Error) return;

    this.logger.info({ previous_error: this.stream.last_error?.code }, 'stream delivers again');
    this.updateState(StreamStatus.Running, null, null);
  }

  /** Stores the failure on the stream and returns the delay before the next attempt. */
  private recordFailure(error: unknown): number {
    const failure =
      error instanceof DeliveryError ? error : new DeliveryError('transient', 'unexpected_error', `Unexpected error: ${(error as Error)?.message ?? error}`);
    const now = Date.now();
    this.failures += 1;

    const failingSince = this.stream.failing_since ?? new Date(now).toISOString();
    const lastsTooLong = now - Date.parse(failingSince) >= this.deps.config.errorAfterMs;
    const status: StreamStatusId =
      this.stream.status === StreamStatus.Error || (failure.failureClass === 'configuration' && lastsTooLong) ? StreamStatus.Error : StreamStatus.Running;

    const delay = status === StreamStatus.Error ? this.deps.config.errorProbeMs : backoffDelay(this.failures, this.deps.config.retryBaseMs, this.deps.config.retryMaxMs);

    if (status === StreamStatus.Error && this.stream.status !== StreamStatus.Error) {
      this.logger.error({ code: failure.code, err_message: failure.message }, 'stream moved to Error');
    } else {
      this.logger.warn({ code: failure.code, err_message: failure.message, failures: this.failures, retry_in_ms: delay }, 'delivery failed, will retry');
    }
    this.deps.metrics.deliveryFailures.inc({ destination: this.stream.destination.connection_type, code: failure.code });

    this.updateState(status, { code: failure.code, message: failure.message, at: new Date(now).toISOString() }, failingSince);
    this.backingOff = true;
    return delay;
  }

  private updateState(status: StreamStatusId, lastError: DataStream['last_error'], failingSince: string | null): void {
    this.stream = { ...this.stream, status, last_error: lastError, failing_since: failingSince };
    this.deps.storage.setDeliveryState(this.stream.id, { status, last_error: lastError, failing_since: failingSince });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = undefined;
        self.backingOff = false;
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
