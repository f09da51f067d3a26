/**
 * Exponential backoff with full jitter: the n-th consecutive failure waits a
 * random time between half and all of min(max, base * 2^(n-1)), so many
 * streams failing at once do not retry in lockstep.
 */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
