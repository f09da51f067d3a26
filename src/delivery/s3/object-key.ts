import type { RecordKind } from '../../records/types.js';
import type { S3Destination } from '../../storage/types.js';

/**
 * Builds `<prefix><kind>/<yyyy>/<mm>/<dd>/<HH>/<stream id>-<first>-<last>.<ext>`.
 * The hour is the UTC ingest time of the file's first record and first/last
 * are log positions, so a retry of the same range yields the same key.
 */
export function objectKey(
  destination: S3Destination,
  streamId: number,
  kind: RecordKind,
  range: { firstSeq: number; lastSeq: number; firstIngestedAt: number },
): string {
  const time = new Date(range.firstIngestedAt);
  const folder = [
    time.getUTCFullYear(),
    pad(time.getUTCMonth() + 1),
    pad(time.getUTCDate()),
    pad(time.getUTCHours()),
  ].join('/');

  const extension = destination.format === 'jsonl' ? 'jsonl' : 'csv';
  const suffix = destination.compression === 'gzip' ? '.gz' : '';
  return `${destination.prefix}${kind}/${folder}/${streamId}-${range.firstSeq}-${range.lastSeq}.${extension}${suffix}`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
