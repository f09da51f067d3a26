import { Agent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { NodeHttpHandler } from '@smithy/node-http-handler';

import type { AwsConfig } from '../config.js';

/**
 * Builds the SDK clients for one region. Every client uses HTTP/1.1 through
 * NodeHttpHandler with keep-alive: the Kinesis client would otherwise pick
 * HTTP/2, which local emulators reject, and PutRecords needs no HTTP/2.
 */
export class AwsClientFactory {
  private readonly requestHandler: NodeHttpHandler;

  constructor(private readonly config: AwsConfig) {
    this.requestHandler = new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
      httpsAgent: new Agent({ keepAlive: true, maxSockets: 256 }),
      connectionTimeout: 5000,
      requestTimeout: 60_000,
    });
  }

  /** STS client signed with the service's own identity from the standard credential chain. */
  sts(region: string, credentials?: AwsCredentialIdentityProvider): STSClient {
    return new STSClient({
      region,
      endpoint: this.config.stsEndpoint,
      credentials,
      requestHandler: this.requestHandler,
      maxAttempts: 2,
    });
  }

  s3(region: string, credentials: AwsCredentialIdentityProvider): S3Client {
    const local = this.config.s3Endpoint !== undefined;
    return new S3Client({
      region,
      endpoint: this.config.s3Endpoint,
      credentials,
      requestHandler: this.requestHandler,
      // Local S3 emulators need path-style URLs, and s3rver corrupts uploads
      // sent with the SDK's default streaming checksums.
      forcePathStyle: local,
      requestChecksumCalculation: local ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      responseChecksumValidation: local ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      // Retries are the delivery worker's job, which backs off per stream.
      maxAttempts: 1,
    });
  }

  kinesis(region: string, credentials: AwsCredentialIdentityProvider): KinesisClient {
    return new KinesisClient({
      region,
      endpoint: this.config.kinesisEndpoint,
      credentials,
      requestHandler: this.requestHandler,
      maxAttempts: 1,
    });
  }

  destroy(): void {
    this.requestHandler.destroy();
  }
}
