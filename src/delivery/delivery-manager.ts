import type { Logger } from 'pino';

import type { StreamSnapshot } from '../metrics.js';
import type { RecordKind } from '../records/types.js';
import { StreamStatus, type DataStream, type Storage } from '../storage/types.js';
import type { DeliveryEvents } from './events.js';
import { StreamWorker, type WorkerDependencies } from './stream-worker.js';

/**
 * Runs one worker per stream that is Running or in Error, and routes ingest
 * and API signals to them. Workers of different streams run concurrently, so
 * a slow or failing destination delays only its own stream.
 */
export class DeliveryManager implements DeliveryEvents {
  private readonly workers = new Map<number, StreamWorker>();
  private readonly workersByOrganisation = new Map<number, Set<StreamWorker>>();
  /** Workers of deleted or paused streams that are finishing their last step; stop() waits for them too. */
  private readonly stoppingWorkers = new Set<StreamWorker>();
  private readonly storage: Storage;
  private readonly logger: Logger;

  constructor(private readonly deps: WorkerDependencies) {
    this.storage = deps.storage;
    this.logger = deps.logger;
    deps.metrics.setStreamSnapshot(() => this.snapshot());
  }

  start(): void {
    const streams = this.storage.listActiveDataStreams();
    for (const stream of streams) this.startWorker(stream);
    this.logger.info({ streams: streams.length }, 'delivery started');
  }

  /**
   * Stops every worker. Sleeping workers end at once. A running delivery step
   * may finish for `graceMs`, and after that its requests are aborted and its
   * records are delivered again after the restart.
   */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
    const workers = [...this.workers.values()];
    this.workers.clear();
    this.workersByOrganisation.clear();
    await Promise.all([...workers, ...this.stoppingWorkers].map((worker) => worker.stop(graceMs)));
    this.logger.info({ streams: workers.length }, 'delivery stopped');
  }

  recordsAppended(organisationIds: Iterable<number>, _kind: RecordKind): void {
    for (const organisationId of organisationIds) {
      for (const worker of this.workersByOrganisation.get(organisationId) ?? []) worker.notify();
    }
  }

  streamChanged(streamId: number): void {
    const stream = this.storage.getDataStreamById(streamId);
    const worker = this.workers.get(streamId);
    const active = stream !== undefined && (stream.status === StreamStatus.Running || stream.status === StreamStatus.Error);

    if (!active) {
      if (worker) this.stopWorker(streamId, worker);
      return;
    }
    if (worker) worker.reload(stream);
    else this.startWorker(stream);
  }

  /** Makes a stream's worker try again at once, skipping any backoff. */
  retryNow(streamId: number): void {
    this.workers.get(streamId)?.retryNow();
  }

  get workerCount(): number {
    return this.workers.size;
  }

  /** Counts streams by destination and status, and their waiting records, for the metrics gauges. */
  private snapshot(): StreamSnapshot {
    const streams = new Map<string, { destination: string; status: string; count: number }>();
    const waiting = new Map<string, number>();

    for (const worker of this.workers.values()) {
      const stream = worker.currentStream;
      const destination = stream.destination.connection_type;
      const status = stream.status === StreamStatus.Error ? 'error' : 'running';
      const key = `${destination}|${status}`;
      const entry = streams.get(key) ?? { destination, status, count: 0 };
      entry.count += 1;
      streams.set(key, entry);
      waiting.set(destination, (waiting.get(destination) ?? 0) + this.storage.countWaiting(stream));
    }
    return {
      streams: [...streams.values()],
      waiting: [...waiting].map(([destination, count]) => ({ destination, count })),
    };
  }

  private startWorker(stream: DataStream): void {
    const worker = new StreamWorker(stream, this.deps);
    this.workers.set(stream.id, worker);

    let organisationWorkers = this.workersByOrganisation.get(stream.organisation_id);
    if (!organisationWorkers) {
      organisationWorkers = new Set();
      this.workersByOrganisation.set(stream.organisation_id, organisationWorkers);
    }
    organisationWorkers.add(worker);

    worker.start();
  }

  private stopWorker(streamId: number, worker: StreamWorker): void {
    this.workers.delete(streamId);
    this.workersByOrganisation.get(worker.organisationId)?.delete(worker);

    this.stoppingWorkers.add(worker);
    void worker.stop().finally(() => this.stoppingWorkers.delete(worker));
  }
}
