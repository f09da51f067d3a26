import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one service instance, served at /metrics. */
export class Metrics {
  readonly registry = new Registry();

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
    help: 'Data streams with a delivery worker, by destination type and status.',
    labelNames: ['destination', 'status'] as const,
    registers: [this.registry],
  });

  readonly recordsWaiting = new Gauge({
    name: 'datastreamer_records_waiting',
    help: 'Records ingested but not yet delivered, by destination type, summed over streams with a worker.',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
