import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

import { CUSTOMER_ACCOUNT_ID, LOCAL_REGION } from './iam.js';

/** An emulator server started in this process, reachable at `url`. */
export interface UpstreamServer {
  url: string;
  close(): Promise<void>;
}

// Neither s3rver nor kinesalite ships type declarations, so these describe the parts used here.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  vhostBuckets: boolean;
}) => S3rverInstance;
type KinesaliteFactory = (options: {
  createStreamMs: number;
  deleteStreamMs: number;
  updateStreamMs: number;
  shardLimit: number;
}) => Server;

const require = createRequire(import.meta.url);

/** Starts s3rver on a free port of 127.0.0.1, storing buckets under `directory`. */
export async function startS3rver(directory: string): Promise<UpstreamServer> {
  await mkdir(directory, { recursive: true });
  const S3rver = require('s3rver') as S3rverConstructor;
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, vhostBuckets: false });
  const { port } = await s3rver.run();
  return { url: `http://127.0.0.1:${port}`, close: () => s3rver.close() };
}

/** Starts an in-memory kinesalite on a free port of 127.0.0.1, whose streams become ACTIVE at once. */
export async function startKinesalite(): Promise<UpstreamServer> {
  const kinesalite = require('kinesalite') as KinesaliteFactory;
  // kinesalite reads the account and region for its stream ARNs from the environment when it is created.
  const server = withEnvironment({ AWS_ACCOUNT_ID: CUSTOMER_ACCOUNT_ID, AWS_REGION: LOCAL_REGION }, () =>
    kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function withEnvironment<T>(variables: Record<string, string>, create: () => T): T {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  try {
    return create();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = value;
      }
    }
  }
}
