import { Pool } from 'undici';

import type { RecordKind } from '../../src/records/types.js';
import type { IngestBatch } from './traffic.js';

const PATHS: Record<RecordKind, string> = { usage: '/api/v1/ingest/usage', event: '/api/v1/ingest/events' };

export interface PostedBatch {
  /** Wall-clock time (ms since the epoch) at which the response arrived. */
  acknowledgedAt: number;
  latencyMs: number;
}

/**
 * Posts ingest requests over HTTP/1.1 keep-alive connections, as a platform
 * would, and times each request from send to response.
 */
export class IngestClient {
  private readonly pool: Pool;

  constructor(
    baseUrl: string,
    private readonly adminToken: string,
    connections: number,
  ) {
    this.pool = new Pool(new URL(baseUrl).origin, { connections, pipelining: 1 });
  }

  async post(batch: IngestBatch): Promise<PostedBatch> {
    const started = performance.now();
    const response = await this.pool.request({
      path: PATHS[batch.kind],
      method: 'POST',
      headers: { authorization: `Bearer ${this.adminToken}`, 'content-type': 'application/json' },
      body: batch.body,
    });
    const text = await response.body.text();
    const latencyMs = performance.now() - started;

    if (response.statusCode !== 200) {
      throw new Error(`ingest of ${batch.count} ${batch.kind} records failed with HTTP ${response.statusCode}: ${text.slice(0, 500)}`);
    }
    const result = JSON.parse(text) as { accepted: number; duplicates: number };
    if (result.accepted !== batch.count) {
      throw new Error(`ingest accepted ${result.accepted} of ${batch.count} ${batch.kind} records (${result.duplicates} duplicates); each bench run needs fresh record ids.`);
    }
    return { acknowledgedAt: Date.now(), latencyMs };
  }

  /** Posts every batch with `concurrency` requests in flight. Returns the acknowledgement time and latency of each batch, in batch order. */
  async postAll(batches: IngestBatch[], concurrency: number): Promise<PostedBatch[]> {
    const results = new Array<PostedBatch>(batches.length);
    let next = 0;
    const lane = async () => {
      while (next < batches.length) {
        const index = next++;
        results[index] = await this.post(batches[index]);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return results;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
