import { bytesToMb } from './pricing.js';
import type { Random } from './random.js';

/** A SIM's data allowance for the current quota period. */
export interface DataQuota {
  limitMb: number;
  usedBytes: number;
  thresholdReported: boolean;
}

export const QUOTA_THRESHOLD_PERCENTAGE = 80;

/**
 * Creates a quota of 5 to 100 MB. At the start of a run part of it is used
 * already, up to 99 %, so that quota events show up in short runs too.
 */
export function createQuota(random: Random, startOfRun: boolean): DataQuota {
  const limitMb = random.int(5, 100);
  const usedBytes = startOfRun ? Math.floor(limitMb * 1e6 * 0.99 * random.float()) : 0;
  return { limitMb, usedBytes, thresholdReported: usedBytes >= thresholdBytes(limitMb) };
}

/** Adds `bytes` to the quota and returns which quota events the usage triggers. */
export function chargeQuota(quota: DataQuota, bytes: number): { thresholdReached: boolean; usedUp: boolean } {
  quota.usedBytes += bytes;

  const thresholdReached = !quota.thresholdReported && quota.usedBytes >= thresholdBytes(quota.limitMb);
  if (thresholdReached) quota.thresholdReported = true;

  return { thresholdReached, usedUp: quota.usedBytes >= quota.limitMb * 1e6 };
}

/** Builds the `quota` detail of quota events, with volumes in MB. */
export function quotaDetail(quota: DataQuota): Record<string, unknown> {
  return {
    volume: quota.limitMb,
    threshold_percentage: QUOTA_THRESHOLD_PERCENTAGE,
    used_volume: bytesToMb(Math.min(quota.usedBytes, quota.limitMb * 1e6)),
  };
}

function thresholdBytes(limitMb: number): number {
  return (limitMb * 1e6 * QUOTA_THRESHOLD_PERCENTAGE) / 100;
}
