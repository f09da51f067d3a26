import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

import { externalIdOf } from '../../src/aws/external-id.js';
import { CUSTOMER_ACCOUNT_ID } from '../../src/emulators/iam.js';
import type { KinesisDestination, RestApiDestination, S3Destination } from '../../src/storage/types.js';
import type { AwsHostInfo, CustomerRole } from '../hosts/aws-host.js';
import type { CeilingResult } from '../hosts/ceiling-host.js';
import type { ServiceMemory, StreamSpec, TenantIds, TenantSeed } from '../hosts/service-host.js';
import { trackCpu } from './process-usage.js';
import { forkHost, type ChildHandle } from './rpc.js';

export const BUCKET = 'bench-datastreamer';

/** The service running in its own process, with the calls the scenarios need. */
export interface ServiceProcess {
  url: string;
  pid: number;
  adminToken: string;
  createOrganisations(names: string[]): Promise<{ id: number; name: string }[]>;
  createStreams(streams: StreamSpec[]): Promise<number[]>;
  resumeStream(streamId: number): Promise<void>;
  progress(streamIds: number[]): Promise<{ delivered: number; errors: string[] }>;
  memory(): Promise<ServiceMemory>;
  /** Starts the V8 CPU profiler in the service, to profile one phase of a scenario. */
  startProfile(): Promise<void>;
  /** Stops the profiler and writes the profile to `file`. */
  stopProfile(file: string): Promise<void>;
  stop(): Promise<void>;
}

export interface EnvironmentOptions {
  /** Directory for CPU profiles of the service, or undefined to run without profiling. */
  profileDirectory?: string;
  /** Log level of the service. `warn` keeps per-request info lines out of the measurements. */
  serviceLogLevel: string;
  /** Extra environment variables for the service, for example DATASTREAMER_IDLE_POLL_MS to try another setting. */
  serviceEnvironment: Record<string, string>;
}

/**
 * The shared parts of a bench run: a temporary directory, the local AWS
 * host with one bucket, and the ceiling host. Each scenario starts its own
 * service process on a fresh database.
 */
export class BenchEnvironment {
  private ceilingHost: ChildHandle | undefined;
  private adminClients: { s3: S3Client; kinesis: KinesisClient } | undefined;
  private serviceCount = 0;

  private constructor(
    readonly directory: string,
    private readonly awsHost: ChildHandle,
    readonly aws: AwsHostInfo,
    private readonly options: EnvironmentOptions,
  ) {}

  static async start(options: EnvironmentOptions): Promise<BenchEnvironment> {
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'datastreamer-bench-'));
    const awsHost = await forkHost('aws-host');
    try {
      const aws = await awsHost.call<AwsHostInfo>('start', { directory: path.join(directory, 's3') });
      await awsHost.call('createBucket', { bucket: BUCKET });
      return new BenchEnvironment(directory, awsHost, aws, options);
    } catch (error) {
      await awsHost.stop();
      throw error;
    }
  }

  get awsHostPid(): number {
    return this.awsHost.pid;
  }

  /** Directory for CPU profiles, or undefined when the run is not profiled. */
  get profileDirectory(): string | undefined {
    return this.options.profileDirectory;
  }

  async close(): Promise<void> {
    this.adminClients?.s3.destroy();
    this.adminClients?.kinesis.destroy();
    await this.ceilingHost?.stop();
    await this.awsHost.stop();
    fs.rmSync(this.directory, { recursive: true, force: true });
  }

  /** Runs one ceiling loop in the ceiling host (started on first use) and measures the CPU use of it and of local AWS. */
  async runCeiling(method: 's3' | 'kinesis', params: object): Promise<CeilingResult & { recordsPerSecond: number; cpuPercent: Record<string, number> }> {
    this.ceilingHost ??= await forkHost('ceiling-host');
    const cpu = trackCpu({ ceiling: this.ceilingHost.pid, localAws: this.awsHost.pid });
    const result = await this.ceilingHost.call<CeilingResult>(method, { aws: this.aws, ...params });
    return { ...result, recordsPerSecond: Math.round(result.records / result.seconds), cpuPercent: cpu() };
  }

  /** S3 and Kinesis clients with full access, for reading back what arrived. */
  admin(): { s3: S3Client; kinesis: KinesisClient } {
    const credentials = { accessKeyId: this.aws.admin.accessKeyId, secretAccessKey: this.aws.admin.secretAccessKey };
    this.adminClients ??= {
      s3: new S3Client({
        region: this.aws.region,
        endpoint: this.aws.endpoints.s3,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        credentials,
      }),
      kinesis: new KinesisClient({ region: this.aws.region, endpoint: this.aws.endpoints.kinesis, requestHandler: new NodeHttpHandler(), credentials }),
    };
    return this.adminClients;
  }

  createKinesisStream(streamName: string, shardCount: number): Promise<void> {
    return this.awsHost.call('createKinesisStream', { streamName, shardCount });
  }

  /** Counts the requests with this action (for example `kinesis:PutRecords`) that the gates let through since the last clearGateLogs. */
  countRequests(action: string): Promise<number> {
    return this.awsHost.call('countRequests', { action });
  }

  clearGateLogs(): Promise<void> {
    return this.awsHost.call('clearGateLogs');
  }

  /** Adds, for each organisation, a customer role that requires `org-<id>` and may write to the bucket and to Kinesis streams named `bench-*`. */
  async addCustomerRoles(organisationIds: number[]): Promise<void> {
    const streamArn = `arn:aws:kinesis:${this.aws.region}:${CUSTOMER_ACCOUNT_ID}:stream/bench-*`;
    const roles: CustomerRole[] = organisationIds.map((id) => ({
      roleArn: customerRoleArn(id),
      externalId: externalIdOf(id),
      permissions: [
        { action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}/*` },
        { action: 'kinesis:PutRecords', resource: streamArn },
        { action: 'kinesis:PutRecord', resource: streamArn },
      ],
    }));
    await this.awsHost.call('addCustomerRoles', { roles });
  }

  s3Destination(settings: Pick<S3Destination, 'prefix' | 'flush_size' | 'rotate_interval' | 'compression'>): S3Destination {
    return {
      connection_type: 'S3',
      region: this.aws.region,
      bucket_name: BUCKET,
      role_arn: customerRoleArn('{organisation_id}'),
      format: 'csv',
      server_side_encryption: null,
      kms_key_id: null,
      ...settings,
    };
  }

  kinesisDestination(streamName: string): KinesisDestination {
    return { connection_type: 'AwsKinesis', region: this.aws.region, stream_name: streamName, role_arn: customerRoleArn('{organisation_id}') };
  }

  restDestination(url: string): RestApiDestination {
    return { connection_type: 'RestAPI', url, method: 'POST', headers: [], size: 3000, signing_secret: null };
  }

  /**
   * Starts the service in a new process on a fresh SQLite file. With
   * `tenants`, the organisations and streams are written to the database
   * first, so the service starts all their workers at once.
   */
  async startService(name: string, tenants?: TenantSeed): Promise<{ service: ServiceProcess; tenants: TenantIds }> {
    this.serviceCount += 1;
    const databasePath = path.join(this.directory, `${this.serviceCount}-${name}.db`);
    const adminToken = randomBytes(24).toString('base64url');
    const nodeFlags = this.options.profileDirectory
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(this.options.profileDirectory, `service-${name}`)}`]
      : [];

    // Seeding runs in a process of its own, so that the service's CPU profile and memory show only the service.
    let seeded: TenantIds = { organisationIds: [], streamIds: [] };
    if (tenants) {
      const seeder = await forkHost('service-host');
      try {
        seeded = await seeder.call<TenantIds>('seedTenants', { databasePath, seed: tenants });
      } finally {
        await seeder.stop();
      }
    }

    // --expose-gc only lets memory() report the live heap; nothing calls gc() otherwise.
    const host = await forkHost('service-host', { nodeFlags: ['--expose-gc', ...nodeFlags] });
    try {
      const env = {
        DATASTREAMER_PORT: '0',
        DATASTREAMER_DATABASE: databasePath,
        DATASTREAMER_ADMIN_TOKEN: adminToken,
        DATASTREAMER_OPERATOR_PRINCIPAL_ARN: this.aws.operator.principalArn,
        DATASTREAMER_S3_ENDPOINT: this.aws.endpoints.s3,
        DATASTREAMER_KINESIS_ENDPOINT: this.aws.endpoints.kinesis,
        DATASTREAMER_STS_ENDPOINT: this.aws.endpoints.sts,
        DATASTREAMER_REST_ALLOW_LOCAL: 'true',
        DATASTREAMER_LOG_LEVEL: this.options.serviceLogLevel,
        ...this.options.serviceEnvironment,
      };
      const { url } = await host.call<{ url: string }>('start', { env, operator: this.aws.operator });

      const service: ServiceProcess = {
        url,
        pid: host.pid,
        adminToken,
        createOrganisations: (names) => host.call('createOrganisations', { names }),
        createStreams: (streams) => host.call('createStreams', { streams }),
        resumeStream: (streamId) => host.call('resumeStream', { streamId }),
        progress: (streamIds) => host.call('progress', { streamIds }),
        memory: () => host.call('memory'),
        startProfile: () => host.call('startProfile'),
        stopProfile: (file) => host.call('stopProfile', { file }),
        stop: () => host.stop(),
      };
      return { service, tenants: seeded };
    } catch (error) {
      await host.stop();
      throw error;
    }
  }
}

export function customerRoleArn(organisationId: number | string): string {
  return `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:role/bench-org-${organisationId}`;
}
