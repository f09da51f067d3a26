import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Stream counts that the delivery manager reports when metrics are scraped. */
export interface StreamSnapshot {
  streams: { destination: string; status: string; count: number }[];
  waiting: { destination: string; count: number }[];
}

/** Prometheus metrics of one service instance, served at /metrics. */
export class Metrics {
  readonly registry = new Registry();
  private snapshot: (() => StreamSnapshot) | undefined;

  readonly recordsIngested = new Counter({
    name: 'datastreamer_records_ingested_total',
    help: 'Records stored by the ingest API, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly recordsDuplicated = new Counter({
    name: 'datastreamer_records_duplicate_total',
    help: 'Ingested records skipped because their id was already stored, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly recordsDelivered = new Counter({
    name: 'datastreamer_records_delivered_total',
    help: 'Records confirmed by a destination, by destination type.',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });

  readonly deliveryFailures = new Counter({
    name: 'datastreamer_delivery_failures_total',
    help: 'Failed delivery attempts, by destination type and error code.',
    labelNames: ['destination', 'code'] as const,
    registers: [this.registry],
  });

  readonly recordsRetried = new Counter({
    name: 'datastreamer_records_retried_total',
    help: 'Records sent again after a destination rejected them individually (Kinesis partial failures).',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });

  readonly deliveryLatency = new Histogram({
    name: 'datastreamer_delivery_latency_seconds',
    help: 'Time from ingest of the oldest record of a delivered batch to its confirmation by the destination.',
    labelNames: ['destination'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [this.registry],
  });

  readonly streamsByStatus = new Gauge({
    name: 'datastreamer_streams',
    help: 'Data streams with a delivery worker (Running or Error), by destination type and status.',
    labelNames: ['destination', 'status'] as const,
    registers: [this.registry],
    collect: () => {
      this.streamsByStatus.reset();
      for (const entry of this.takeSnapshot()?.streams ?? []) {
        this.streamsByStatus.set({ destination: entry.destination, status: entry.status }, entry.count);
      }
    },
  });

  readonly recordsWaiting = new Gauge({
    name: 'datastreamer_records_waiting',
    help: 'Records ingested but not yet delivered, by destination type, summed over streams with a worker.',
    labelNames: ['destination'] as const,
    registers: [this.registry],
    collect: () => {
      this.recordsWaiting.reset();
      for (const entry of this.takeSnapshot()?.waiting ?? []) this.recordsWaiting.set({ destination: entry.destination }, entry.count);
    },
  });

  private lastSnapshot: { at: number; value: StreamSnapshot } | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Sets the function that counts streams and waiting records at scrape time. */
  setStreamSnapshot(snapshot: () => StreamSnapshot): void {
    this.snapshot = snapshot;
  }

  /** Takes one snapshot per scrape, shared by the gauges that need it. */
  private takeSnapshot(): StreamSnapshot | undefined {
    if (!this.snapshot) return undefined;
    const now = Date.now();
    if (!this.lastSnapshot || now - this.lastSnapshot.at > 1000) this.lastSnapshot = { at: now, value: this.snapshot() };
    return this.lastSnapshot.value;
  }
}
