import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

import { PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { PutObjectCommand } from '@aws-sdk/client-s3';

import { AssumedRoleCredentials, type RoleTarget } from '../../src/aws/assumed-role-credentials.js';
import { AwsClientFactory } from '../../src/aws/clients.js';
import { loadConfig } from '../../src/config.js';
import { partitionKeyOf } from '../../src/delivery/kinesis/put-records-batch.js';
import { encodeFile } from '../../src/records/formats.js';
import { RECORD_KINDS, type RecordKind } from '../../src/records/types.js';
import type { AwsHostInfo } from './aws-host.js';
import { serveRpc } from '../lib/rpc.js';

/**
 * Bench host with the minimal loops that set the ceiling of each
 * destination: the same stored records, encoded by the same functions and
 * sent through the same gate with assumed-role credentials as the service
 * uses, one request at a time, but without the service, its database or
 * its API.
 */

const gzipAsync = promisify(gzip);

export interface CeilingTarget {
  aws: AwsHostInfo;
  roleArn: string;
  organisationId: number;
  /** NDJSON files of stored record bodies, one per kind. */
  recordFiles: Record<RecordKind, string>;
}

export interface CeilingResult {
  records: number;
  requests: number;
  seconds: number;
}

serveRpc({
  async s3(params: CeilingTarget & { bucket: string; flushSize: number; compression: 'none' | 'gzip' }): Promise<CeilingResult> {
    const { clients, provider } = await connect(params);
    const s3 = clients.s3(params.aws.region, provider);
    const bodies = readBodies(params.recordFiles);

    const started = performance.now();
    let records = 0;
    let requests = 0;
    for (const kind of RECORD_KINDS) {
      for (let start = 0; start < bodies[kind].length; start += params.flushSize) {
        const chunk = bodies[kind].slice(start, start + params.flushSize);
        let body = encodeFile(kind, 'csv', chunk);
        if (params.compression === 'gzip') body = await gzipAsync(body);

        const key = `ceiling/${kind}/${start}.csv${params.compression === 'gzip' ? '.gz' : ''}`;
        await s3.send(new PutObjectCommand({ Bucket: params.bucket, Key: key, Body: body, ContentLength: body.length, ContentType: 'text/csv; charset=utf-8' }));
        records += chunk.length;
        requests += 1;
      }
    }
    const seconds = (performance.now() - started) / 1000;

    clients.destroy();
    return { records, requests, seconds };
  },

  async kinesis(params: CeilingTarget & { streamName: string; recordsPerCall: number }): Promise<CeilingResult> {
    const { clients, provider } = await connect(params);
    const kinesis = clients.kinesis(params.aws.region, provider);
    const bodies = readBodies(params.recordFiles);

    const started = performance.now();
    let records = 0;
    let requests = 0;
    for (const kind of RECORD_KINDS) {
      for (let start = 0; start < bodies[kind].length; start += params.recordsPerCall) {
        let entries: PutRecordsRequestEntry[] = bodies[kind]
          .slice(start, start + params.recordsPerCall)
          .map((body) => ({ Data: Buffer.from(body, 'utf8'), PartitionKey: partitionKeyOf(body) }));
        records += entries.length;

        // Only rejected entries are sent again, as the service does.
        while (entries.length > 0) {
          const response = await kinesis.send(new PutRecordsCommand({ StreamName: params.streamName, Records: entries }));
          requests += 1;
          entries = entries.filter((_entry, index) => response.Records?.[index]?.ErrorCode !== undefined);
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;

    clients.destroy();
    return { records, requests, seconds };
  },

  stop(): void {},
});

/** Builds clients as the service does and assumes the customer role before the clock starts. */
async function connect(params: CeilingTarget) {
  const { aws } = params;
  const config = loadConfig({
    DATASTREAMER_S3_ENDPOINT: aws.endpoints.s3,
    DATASTREAMER_KINESIS_ENDPOINT: aws.endpoints.kinesis,
    DATASTREAMER_STS_ENDPOINT: aws.endpoints.sts,
  });
  const clients = new AwsClientFactory(config.aws);
  const operator = { accessKeyId: aws.operator.accessKeyId, secretAccessKey: aws.operator.secretAccessKey };
  const credentials = new AssumedRoleCredentials(clients, config.aws, async () => operator);

  const target: RoleTarget = { roleArn: params.roleArn, organisationId: params.organisationId, region: aws.region };
  await credentials.get(target);
  return { clients, provider: credentials.providerFor(target) };
}

function readBodies(files: Record<RecordKind, string>): Record<RecordKind, string[]> {
  const read = (file: string) => readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  return { usage: read(files.usage), event: read(files.event) };
}
