import { CHECK_OBJECT_NAME, CHECK_PARTITION_KEY } from '../../../src/aws/setup-check-writes.js';
import type { KinesisRecordRead } from '../../../src/emulators/admin-operations.js';

export interface S3FileRange {
  key: string;
  kind: string;
  first: number;
  last: number;
}

/** Reads kind and log range from keys `<prefix><kind>/<yyyy>/<mm>/<dd>/<HH>/<stream id>-<first>-<last>.<ext>` of one stream. */
export function s3FileRanges(keys: string[], streamId: number): S3FileRange[] {
  const ranges: S3FileRange[] = [];
  for (const key of keys) {
    if (key.endsWith(CHECK_OBJECT_NAME)) continue;

    const match = /(?:^|\/)(usage|event)\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/(\d+)-(\d+)-(\d+)\.[a-z.]+$/.exec(key);
    if (!match || Number(match[2]) !== streamId) continue;
    ranges.push({ key, kind: match[1], first: Number(match[3]), last: Number(match[4]) });
  }
  return ranges;
}

/** Counts pairs of files of the same kind whose log ranges overlap; 0 means every record is in at most one file. */
export function overlappingRanges(ranges: S3FileRange[]): number {
  let overlaps = 0;
  for (const kind of new Set(ranges.map((range) => range.kind))) {
    const sorted = ranges.filter((range) => range.kind === kind).sort((a, b) => a.first - b.first);
    for (let index = 1; index < sorted.length; index++) {
      if (sorted[index].first <= sorted[index - 1].last) overlaps += 1;
    }
  }
  return overlaps;
}

/**
 * Counts records that arrived after a record with a higher id of the same
 * partition key. Repeats of an id already seen (at-least-once duplicates)
 * and ids in `exempt` (entries retried after a partial failure, which
 * Kinesis may store after later ones) are skipped.
 */
export function kinesisOrderViolations(records: KinesisRecordRead[], exempt: ReadonlySet<number> = new Set()): number {
  const highestByKey = new Map<string, number>();
  const seen = new Set<number>();
  let violations = 0;

  for (const record of records) {
    if (record.partitionKey === CHECK_PARTITION_KEY) continue;

    const id = (JSON.parse(record.data.toString('utf8')) as { id: number }).id;
    if (seen.has(id) || exempt.has(id)) continue;
    seen.add(id);

    const highest = highestByKey.get(record.partitionKey) ?? Number.NEGATIVE_INFINITY;
    if (id < highest) violations += 1;
    highestByKey.set(record.partitionKey, Math.max(highest, id));
  }
  return violations;
}

/** Returns the distinct partition keys of the records, without the setup check's. */
export function partitionKeysOf(records: KinesisRecordRead[]): Set<string> {
  return new Set(records.map((record) => record.partitionKey).filter((key) => key !== CHECK_PARTITION_KEY));
}

/** Returns the longest gap between consecutive times (ms), or 0 for fewer than two times. */
export function longestGap(times: number[]): number {
  let longest = 0;
  for (let index = 1; index < times.length; index++) longest = Math.max(longest, times[index] - times[index - 1]);
  return longest;
}
