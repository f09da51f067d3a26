import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';

import type { KinesisDestination, S3Destination } from '../storage/types.js';

/** Name of the check object, written under the stream's prefix. Each check overwrites it. */
export const CHECK_OBJECT_NAME = 'datastreamer-setup-check.txt';

/** Partition key of the check record, so that consumers can tell it from delivered records too. */
export const CHECK_PARTITION_KEY = 'datastreamer-setup-check';

/** Facts about the check that a check object or check record carries. */
export interface CheckStamp {
  organisationId: number;
  roleArn: string;
  checkedAt: Date;
}

/** Returns the key of the check object: `<prefix>datastreamer-setup-check.txt`. */
export function checkObjectKey(prefix: string): string {
  return `${prefix}${CHECK_OBJECT_NAME}`;
}

/**
 * Returns the text of the check object. It states who wrote it and why, so
 * that a customer who finds it in the bucket can tell that it may be deleted.
 */
export function checkObjectText(stamp: CheckStamp): string {
  return [
    'datastreamer wrote this object to verify that it can deliver files to this bucket.',
    `Organisation: ${stamp.organisationId}`,
    `Role: ${stamp.roleArn}`,
    `Checked at: ${stamp.checkedAt.toISOString()}`,
    'It holds no data and may be deleted. The next setup check writes it again.',
    '',
  ].join('\n');
}

/** Returns the JSON of the check record, which consumers can skip by its datastreamer_setup_check field. */
export function checkRecordJson(stamp: CheckStamp): string {
  return JSON.stringify({
    datastreamer_setup_check: true,
    organisation_id: stamp.organisationId,
    checked_at: stamp.checkedAt.toISOString(),
  });
}

/**
 * Uploads the check object with the stream's server-side encryption, so
 * that a missing KMS permission fails here as it would on delivery.
 */
export async function putCheckObject(client: S3Client, destination: S3Destination, stamp: CheckStamp): Promise<string> {
  const key = checkObjectKey(destination.prefix);
  const body = Buffer.from(checkObjectText(stamp), 'utf8');
  const input: PutObjectCommandInput = {
    Bucket: destination.bucket_name,
    Key: key,
    Body: body,
    ContentLength: body.length,
    ContentType: 'text/plain; charset=utf-8',
  };

  if (destination.server_side_encryption) {
    input.ServerSideEncryption = destination.server_side_encryption;
    if (destination.server_side_encryption === 'aws:kms' && destination.kms_key_id) {
      input.SSEKMSKeyId = destination.kms_key_id;
    }
  }

  await client.send(new PutObjectCommand(input));
  return key;
}

/** An entry that PutRecords rejected, shaped like an SDK error so that the Kinesis diagnosis reads it. */
export class RejectedRecordError extends Error {
  constructor(errorCode: string, message: string) {
    super(message);
    this.name = errorCode;
  }
}

/**
 * Sends the check record with PutRecords, the call that delivery uses.
 * Throws the SDK error, or a RejectedRecordError when the stream rejected
 * the entry, as it does for throttling and for KMS faults.
 */
export async function putCheckRecord(client: KinesisClient, destination: KinesisDestination, stamp: CheckStamp): Promise<void> {
  // kinesalite does not accept StreamARN, so the stream is named.
  const response = await client.send(
    new PutRecordsCommand({
      StreamName: destination.stream_name,
      Records: [{ PartitionKey: CHECK_PARTITION_KEY, Data: Buffer.from(checkRecordJson(stamp), 'utf8') }],
    }),
  );

  const rejected = response.Records?.find((entry) => entry.ErrorCode);
  if (rejected?.ErrorCode) {
    throw new RejectedRecordError(rejected.ErrorCode, rejected.ErrorMessage ?? `Kinesis rejected the check record with ${rejected.ErrorCode}`);
  }
}
