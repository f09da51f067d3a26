import { startLocalAws, type LocalAws } from '../../src/emulators/local-aws.js';
import type { Permission } from '../../src/emulators/iam.js';
import { serveRpc } from '../lib/rpc.js';

/**
 * Bench host that runs the local AWS emulators: s3rver, kinesalite, the STS
 * server and the credential gates, all on 127.0.0.1. It runs in its own
 * process so that the emulators do not share an event loop with the
 * service or with the ceiling loops that they serve.
 */

export interface AwsHostInfo {
  region: string;
  endpoints: { s3: string; kinesis: string; sts: string };
  operator: { accessKeyId: string; secretAccessKey: string; principalArn: string };
  admin: { accessKeyId: string; secretAccessKey: string };
}

export interface CustomerRole {
  roleArn: string;
  externalId: string;
  permissions: Permission[];
}

let aws: LocalAws | undefined;

function started(): LocalAws {
  if (!aws) throw new Error('local AWS is not started; call start first');
  return aws;
}

serveRpc({
  async start(params: { directory: string }): Promise<AwsHostInfo> {
    aws = await startLocalAws({ directory: params.directory });
    return { region: aws.region, endpoints: aws.endpoints, operator: aws.operator, admin: aws.admin };
  },

  createBucket: (params: { bucket: string }) => started().createBucket(params.bucket),

  createKinesisStream: (params: { streamName: string; shardCount: number }) => started().createKinesisStream(params.streamName, params.shardCount),

  addCustomerRoles(params: { roles: CustomerRole[] }): void {
    for (const role of params.roles) started().addCustomerRole(role);
  },

  /** Counts the requests that the gates let through with this action, for example `kinesis:PutRecords`. */
  countRequests(params: { action: string }): number {
    const { s3Gate, kinesisGate } = started();
    return [...s3Gate.requests, ...kinesisGate.requests].filter((entry) => entry.allowed && entry.action === params.action).length;
  },

  /** Drops the gates' request logs, which otherwise grow with every request of a long run. */
  clearGateLogs(): void {
    started().s3Gate.requests.length = 0;
    started().kinesisGate.requests.length = 0;
  },

  async stop(): Promise<void> {
    await aws?.close();
    aws = undefined;
  },
});
