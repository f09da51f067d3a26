import { setTimeout as sleep } from 'node:timers/promises';

import type { RecordKind } from '../../../src/records/types.js';
import { sampleEvent, sampleUsage } from '../../fixtures.js';
import type { ApiClient } from './api-client.js';

/** Endpoint ids cycle through this many values, so records spread over several Kinesis partition keys. */
export const PARTITION_KEYS = 7;

export interface FeederOptions {
  organisationIds: number[];
  /** Kinds to ingest; batches take turns between them. */
  kinds: RecordKind[];
  batchSize: number;
  /** Pause between accepted batches, in ms. */
  intervalMs: number;
  /** Id of the first record; later records count up from it, so ingest order is id order. */
  firstId: number;
}

export interface AcceptedRecord {
  kind: RecordKind;
  organisationId: number;
  id: number;
}

/**
 * Ingests batches of valid records until stopped, like an operator's
 * producer. A batch that fails with a connection error or a 5xx is sent again
 * unchanged until the service accepts it, so a batch that the service stored
 * just before a crash comes back as duplicates.
 */
export class IngestFeeder {
  /** Every record the service accepted, in ingest order. */
  readonly accepted: AcceptedRecord[] = [];
  /** Requests sent again after a connection error or a 5xx. */
  resends = 0;
  /** Records the service reported as duplicates of stored ones. */
  duplicates = 0;

  private nextId: number;
  private stopping = false;
  private abandoned = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly options: FeederOptions,
  ) {
    this.nextId = options.firstId;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Finishes the batch being sent, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  /** Stops without waiting for the service to accept the batch being sent; for cleanup after a failed test. */
  async abandon(): Promise<void> {
    this.abandoned = true;
    await this.stop();
  }

  /** Ids of accepted records of one kind, optionally of one organisation, in ingest order. */
  ids(kind: RecordKind, organisationId?: number): number[] {
    return this.accepted
      .filter((record) => record.kind === kind && (organisationId === undefined || record.organisationId === organisationId))
      .map((record) => record.id);
  }

  private async run(): Promise<void> {
    for (let batchIndex = 0; !this.stopping; batchIndex++) {
      const kind = this.options.kinds[batchIndex % this.options.kinds.length];
      const organisationId = this.options.organisationIds[batchIndex % this.options.organisationIds.length];
      await this.sendUntilAccepted(kind, organisationId);
      await sleep(this.options.intervalMs);
    }
  }

  private async sendUntilAccepted(kind: RecordKind, organisationId: number): Promise<void> {
    const records = Array.from({ length: this.options.batchSize }, () => buildRecord(kind, this.nextId++, organisationId));

    while (!this.abandoned) {
      let status: number;
      let body: unknown;
      try {
        ({ status, body } = await this.client.ingest(kind === 'usage' ? 'usage' : 'events', records));
      } catch {
        status = 0;
      }

      if (status === 200) {
        this.duplicates += (body as { duplicates: number }).duplicates;
        for (const record of records) this.accepted.push({ kind, organisationId, id: record.id });
        return;
      }
      if (status !== 0 && status < 500) throw new Error(`ingest rejected a valid batch with ${status}: ${JSON.stringify(body)}`);

      this.resends += 1;
      await sleep(100);
    }
  }
}

/** Builds a valid record whose endpoint id, and so its Kinesis partition key, is one of PARTITION_KEYS values. */
export function buildRecord(kind: RecordKind, id: number, organisationId: number) {
  const endpoint = { id: 5000 + (id % PARTITION_KEYS), name: `Tracker ${id % PARTITION_KEYS}`, tags: 'fleet', ip_address: '100.96.1.17', imei: '356938035643809' };
  return kind === 'usage' ? sampleUsage({ id, organisation_id: organisationId, endpoint }) : sampleEvent({ id, organisation_id: organisationId, endpoint });
}
