import { setTimeout as sleep } from 'node:timers/promises';

import type { ServiceProcess } from './environment.js';

/**
 * Polls the service until its streams have delivered `expected` records in
 * total. Returns the time (performance.now(), ms) at which the count was
 * first seen, so a result is late by at most one poll interval.
 */
export async function waitForDelivered(
  service: ServiceProcess,
  streamIds: number[],
  expected: number,
  options: { timeoutMs: number; pollMs: number },
): Promise<number> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const progress = await service.progress(streamIds);
    const now = performance.now();
    if (progress.delivered >= expected) return now;

    if (now > deadline) {
      const errors = progress.errors.length > 0 ? ` Last errors: ${progress.errors.slice(0, 3).join('; ')}` : '';
      throw new Error(`Streams ${streamIds.slice(0, 5).join(', ')}${streamIds.length > 5 ? ', ...' : ''} delivered ${progress.delivered} of ${expected} records within ${options.timeoutMs} ms.${errors} Check the service output above for delivery errors.`);
    }
    await sleep(options.pollMs);
  }
}
