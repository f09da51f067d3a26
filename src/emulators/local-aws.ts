import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

import {
  createBucket,
  createKinesisStream,
  getObjectText,
  listAllObjects,
  readAllKinesisRecords,
  type KinesisRecordRead,
} from './admin-operations.js';
import { startGate, type Gate } from './gate.js';
import { CUSTOMER_ACCOUNT_ID, Iam, LOCAL_REGION, OPERATOR_ROLE_ARN, newAccessKeyId, type Permission } from './iam.js';
import { S3BucketSettings } from './s3-buckets.js';
import { startStsServer, type StsServer } from './sts-server.js';
import { startKinesalite, startS3rver, type UpstreamServer } from './upstreams.js';

export interface LocalAwsOptions {
  /** Directory where s3rver stores buckets and objects. */
  directory: string;
  /** Upper bound on the lifetime of credentials that STS issues, in seconds. Default 3600. */
  credentialLifetimeSeconds?: number;
}

export interface LocalAws {
  iam: Iam;
  sts: StsServer;
  s3Gate: Gate;
  kinesisGate: Gate;
  /** Region that every client must sign for. */
  region: string;
  /** Endpoints for SDK clients: the gates for S3 and Kinesis, and the STS server. */
  endpoints: { s3: string; kinesis: string; sts: string };
  /** The datastreamer service's own identity: it may call sts:AssumeRole and nothing else. */
  operator: { accessKeyId: string; secretAccessKey: string; principalArn: string };
  /** An identity with full access, for tests and the demo to set up and read back buckets and streams. */
  admin: { accessKeyId: string; secretAccessKey: string };
  /** Returns the admin S3 client. LocalAws owns it and destroys it on close. */
  adminS3Client(): S3Client;
  /** Returns the admin Kinesis client. LocalAws owns it and destroys it on close. */
  adminKinesisClient(): KinesisClient;
  /** Creates the bucket in the local region, then moves it to `region` when one is given (see setBucketRegion). */
  createBucket(bucket: string, region?: string): Promise<void>;
  /**
   * Puts the bucket in another region. S3 requests for it must then be signed for that region, or they fail
   * as on S3 with AuthorizationHeaderMalformed naming the bucket's region. The admin clients sign for the
   * local region, so they no longer reach the bucket either.
   */
  setBucketRegion(bucket: string, region: string): void;
  /**
   * Sets the bucket's Object Ownership to "Bucket owner enforced" (true) or back to accepting ACLs (false).
   * With ACLs disabled, a request that sets an ACL other than bucket-owner-full-control gets 400
   * AccessControlListNotSupported.
   */
  setBucketRefusesAcls(bucket: string, refuses?: boolean): void;
  /** Creates the stream and waits until it is ACTIVE. */
  createKinesisStream(streamName: string, shardCount: number): Promise<void>;
  listAllObjects(bucket: string): Promise<string[]>;
  /** Reads an object as UTF-8 text, gunzipping it first when the key ends with `.gz`. */
  getObjectText(bucket: string, key: string): Promise<string>;
  /** Reads every record of every shard from TRIM_HORIZON. */
  readAllKinesisRecords(streamName: string): Promise<KinesisRecordRead[]>;
  /** Adds or replaces a role that trusts the operator with exactly this external id. */
  addCustomerRole(role: { roleArn: string; externalId: string; permissions: Permission[] }): void;
  /** Closes every server and client that this LocalAws started. */
  close(): Promise<void>;
}

const ADMIN_PRINCIPAL_ARN = `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:user/local-admin`;

/**
 * Starts s3rver, kinesalite, the STS server and one gate in front of each storage emulator,
 * all on free ports of 127.0.0.1, and registers the operator and admin identities.
 */
export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const iam = new Iam();
  const buckets = new S3BucketSettings(LOCAL_REGION);
  const operator = {
    accessKeyId: newAccessKeyId('AKIA'),
    secretAccessKey: 'local-operator-secret',
    principalArn: OPERATOR_ROLE_ARN,
  };
  const admin = { accessKeyId: newAccessKeyId('AKIA'), secretAccessKey: 'local-admin-secret' };
  iam.addIdentity({ ...operator, permissions: [{ action: 'sts:AssumeRole', resource: '*' }] });
  iam.addIdentity({ ...admin, principalArn: ADMIN_PRINCIPAL_ARN, permissions: [{ action: '*', resource: '*' }] });

  // Everything started so far, closed in reverse order if a later start fails or on close().
  const started: { close(): Promise<void> }[] = [];
  const track = async <T extends { close(): Promise<void> }>(starting: Promise<T>): Promise<T> => {
    const server = await starting;
    started.push(server);
    return server;
  };
  const closeAll = async (): Promise<void> => {
    for (const server of started.splice(0).reverse()) {
      await server.close();
    }
  };

  let s3rver: UpstreamServer, kinesalite: UpstreamServer, sts: StsServer, s3Gate: Gate, kinesisGate: Gate;
  try {
    s3rver = await track(startS3rver(options.directory));
    kinesalite = await track(startKinesalite());
    sts = await track(startStsServer({ iam, credentialLifetimeSeconds: options.credentialLifetimeSeconds }));
    s3Gate = await track(startGate({ iam, service: 's3', target: s3rver.url, region: LOCAL_REGION, buckets }));
    kinesisGate = await track(startGate({ iam, service: 'kinesis', target: kinesalite.url, region: LOCAL_REGION }));
  } catch (error) {
    await closeAll();
    throw error;
  }

  const adminCredentials = { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey };
  const s3 = new S3Client({
    region: LOCAL_REGION,
    endpoint: s3Gate.url,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: adminCredentials,
  });
  const kinesis = new KinesisClient({
    region: LOCAL_REGION,
    endpoint: kinesisGate.url,
    requestHandler: new NodeHttpHandler(),
    credentials: adminCredentials,
  });

  return {
    iam,
    sts,
    s3Gate,
    kinesisGate,
    region: LOCAL_REGION,
    endpoints: { s3: s3Gate.url, kinesis: kinesisGate.url, sts: sts.url },
    operator,
    admin,
    adminS3Client: () => s3,
    adminKinesisClient: () => kinesis,
    async createBucket(bucket, region) {
      await createBucket(s3, bucket);
      if (region !== undefined) buckets.setRegion(bucket, region);
    },
    setBucketRegion: (bucket, region) => buckets.setRegion(bucket, region),
    setBucketRefusesAcls: (bucket, refuses = true) => buckets.setAclsDisabled(bucket, refuses),
    createKinesisStream: (streamName, shardCount) => createKinesisStream(kinesis, streamName, shardCount),
    listAllObjects: (bucket) => listAllObjects(s3, bucket),
    getObjectText: (bucket, key) => getObjectText(s3, bucket, key),
    readAllKinesisRecords: (streamName) => readAllKinesisRecords(kinesis, streamName),
    addCustomerRole(role) {
      iam.putRole({
        arn: role.roleArn,
        trustedPrincipals: [OPERATOR_ROLE_ARN],
        externalIds: [role.externalId],
        permissions: role.permissions,
      });
    },
    async close() {
      s3.destroy();
      kinesis.destroy();
      await closeAll();
    },
  };
}
