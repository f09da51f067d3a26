import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';

import type { KinesisDestination } from '../../storage/types.js';

export interface PutRecordsResult {
  /** Entries the stream rejected, in request order, to be retried. */
  failed: PutRecordsRequestEntry[];
  /** Error code of the first rejected entry, for logs and metrics. */
  firstErrorCode: string | undefined;
}

/** Wraps the Kinesis client for one destination. */
export class KinesisService {
  constructor(
    private readonly client: KinesisClient,
    private readonly destination: KinesisDestination,
  ) {}

  async putRecords(entries: PutRecordsRequestEntry[], signal?: AbortSignal): Promise<PutRecordsResult> {
    // kinesalite does not accept StreamARN, so the stream is named.
    const response = await this.client.send(new PutRecordsCommand({ StreamName: this.destination.stream_name, Records: entries }), {
      abortSignal: signal,
    });

    if (!response.FailedRecordCount) return { failed: [], firstErrorCode: undefined };

    const failed: PutRecordsRequestEntry[] = [];
    let firstErrorCode: string | undefined;
    response.Records?.forEach((result, index) => {
      if (result.ErrorCode) {
        failed.push(entries[index]);
        firstErrorCode ??= result.ErrorCode;
      }
    });
    return { failed, firstErrorCode };
  }
}
