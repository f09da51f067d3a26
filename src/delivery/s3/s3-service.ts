import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';

import type { S3Destination } from '../../storage/types.js';

/** Wraps the S3 client for one destination: uploads a finished file. */
export class S3Service {
  constructor(
    private readonly client: S3Client,
    private readonly destination: S3Destination,
  ) {}

  async putFile(key: string, body: Buffer, signal?: AbortSignal): Promise<void> {
    const input: PutObjectCommandInput = {
      Bucket: this.destination.bucket_name,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ContentType: this.destination.format === 'jsonl' ? 'application/x-ndjson' : 'text/csv; charset=utf-8',
    };

    if (this.destination.server_side_encryption) {
      input.ServerSideEncryption = this.destination.server_side_encryption;
      if (this.destination.server_side_encryption === 'aws:kms' && this.destination.kms_key_id) {
        input.SSEKMSKeyId = this.destination.kms_key_id;
      }
    }

    await this.client.send(new PutObjectCommand(input), { abortSignal: signal });
  }
}
