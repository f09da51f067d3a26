import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** A record read back from a Kinesis stream. */
export interface KinesisRecordRead {
  partitionKey: string;
  data: Buffer;
  sequenceNumber: string;
}

const STREAM_ACTIVE_TIMEOUT_MS = 10_000;
const STREAM_POLL_INTERVAL_MS = 20;

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Returns every object key in the bucket, in S3's lexicographic order. */
export async function listAllObjects(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: continuationToken }));
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined) {
        keys.push(object.Key);
      }
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken !== undefined);
  return keys;
}

/** Reads an object as UTF-8 text, gunzipping it first when the key ends with `.gz`. */
export async function getObjectText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (object.Body === undefined) {
    throw new Error(`GetObject s3://${bucket}/${key} returned no body`);
  }

  const bytes = Buffer.from(await object.Body.transformToByteArray());
  return (key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** Creates the stream and waits until it is ACTIVE. */
export async function createKinesisStream(kinesis: KinesisClient, streamName: string, shardCount: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));

  const deadline = Date.now() + STREAM_ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
    if (StreamDescription?.StreamStatus === 'ACTIVE') {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Kinesis stream ${streamName} is still ${StreamDescription?.StreamStatus} after ${STREAM_ACTIVE_TIMEOUT_MS} ms`,
      );
    }
    await sleep(STREAM_POLL_INTERVAL_MS);
  }
}

/** Reads every record of the stream from TRIM_HORIZON, shard by shard in shard id order. */
export async function readAllKinesisRecords(kinesis: KinesisClient, streamName: string): Promise<KinesisRecordRead[]> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const records: KinesisRecordRead[] = [];

  for (const shard of Shards) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );

    // An open shard always returns a next iterator, so reading stops at the first empty page.
    let iterator = ShardIterator;
    while (iterator !== undefined) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
      const pageRecords = page.Records ?? [];
      for (const record of pageRecords) {
        records.push({
          partitionKey: record.PartitionKey ?? '',
          data: Buffer.from(record.Data ?? new Uint8Array()),
          sequenceNumber: record.SequenceNumber ?? '',
        });
      }
      iterator = pageRecords.length > 0 ? page.NextShardIterator : undefined;
    }
  }
  return records;
}
