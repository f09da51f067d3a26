import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { issueApplicationToken } from '../auth/index.js';
import { loadConfig } from '../config.js';
import { startLocalAws, type LocalAws } from '../emulators/local-aws.js';
import { createLogger } from '../logger.js';
import { startService, type Service } from '../service.js';
import { runSimulation } from '../simulator/index.js';
import { ApiClient } from './api-client.js';
import { countDeliveries, type DeliveryCount } from './delivery-check.js';

export interface DemoOptions {
  durationSeconds: number;
  rate: number;
  sims: number;
  seed: string;
  /** Output function for the report lines; stdout by default. */
  print?: (line: string) => void;
}

export interface DemoResult {
  ingested: { usage: number; event: number };
  s3: DeliveryCount;
  kinesis: DeliveryCount;
  allDeliveredOnce: boolean;
}

const BUCKET = 'demo-datastreamer-bucket';
const KINESIS_STREAM = 'demo-datastreamer-stream';
const CUSTOMER_ROLE = 'arn:aws:iam::222222222222:role/datastreamer-delivery';

/**
 * Runs the whole product on one machine: local S3, Kinesis and STS, the
 * service on SQLite, an organisation whose streams are set up through the
 * public API, and simulated traffic. Then checks what arrived.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'datastreamer-demo-'));
  process.env.AWS_EC2_METADATA_DISABLED = 'true';

  let aws: LocalAws | undefined;
  let service: Service | undefined;
  try {
    print(`Starting local S3, Kinesis and STS in ${directory}`);
    aws = await startLocalAws({ directory: path.join(directory, 's3') });
    await aws.createBucket(BUCKET);
    await aws.createKinesisStream(KINESIS_STREAM, 2);

    const adminToken = randomBytes(24).toString('base64url');
    const config = loadConfig({
      DATASTREAMER_PORT: '0',
      DATASTREAMER_DATABASE: path.join(directory, 'datastreamer.db'),
      DATASTREAMER_ADMIN_TOKEN: adminToken,
      DATASTREAMER_OPERATOR_PRINCIPAL_ARN: aws.operator.principalArn,
      DATASTREAMER_S3_ENDPOINT: aws.endpoints.s3,
      DATASTREAMER_KINESIS_ENDPOINT: aws.endpoints.kinesis,
      DATASTREAMER_STS_ENDPOINT: aws.endpoints.sts,
      DATASTREAMER_RETRY_BASE_MS: '200',
      DATASTREAMER_RETRY_MAX_MS: '2000',
    });
    const operator = aws.operator;
    service = await startService(config, {
      logger: createLogger(process.env.DATASTREAMER_LOG_LEVEL ?? 'warn'),
      serviceCredentials: async () => ({ accessKeyId: operator.accessKeyId, secretAccessKey: operator.secretAccessKey }),
    });
    print(`datastreamer listens on ${service.url}`);

    // The operator creates the organisation; everything after is what a customer does.
    const organisation = service.storage.createOrganisation('Demo IoT Fleet');
    const { token } = issueApplicationToken(service.storage, organisation.id, 'demo');
    const customer = await ApiClient.login(service.url, token);
    const my = await customer.get<{ id: number; aws_external_id: string }>('/api/v1/organisation/my');
    print(`Organisation ${my.id}; its customer role must require the external id ${my.aws_external_id}`);

    aws.addCustomerRole({
      roleArn: CUSTOMER_ROLE,
      externalId: my.aws_external_id,
      permissions: [
        { action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}/*` },
        { action: 'kinesis:PutRecords', resource: `arn:aws:kinesis:${aws.region}:222222222222:stream/${KINESIS_STREAM}` },
        { action: 'kinesis:PutRecord', resource: `arn:aws:kinesis:${aws.region}:222222222222:stream/${KINESIS_STREAM}` },
      ],
    });

    const s3Stream = await customer.post<{ id: number }>('/api/v2/data_stream', {
      name: 'Usage and events to S3',
      data_stream_type: { id: 3 },
      destination: {
        connection_type: 'S3',
        credentials: { region: aws.region, bucket_name: BUCKET, role_arn: CUSTOMER_ROLE, prefix: 'datastreamer/', rotate_interval: 10000 },
      },
    });
    const kinesisStream = await customer.post<{ id: number }>('/api/v2/data_stream', {
      name: 'Usage and events to Kinesis',
      data_stream_type: { id: 3 },
      destination: { connection_type: 'AwsKinesis', credentials: { region: aws.region, stream_name: KINESIS_STREAM, role_arn: CUSTOMER_ROLE } },
    });
    print(`Created S3 stream ${s3Stream.id} and Kinesis stream ${kinesisStream.id} through the API`);

    print(`Simulating ${options.sims} SIMs at ${options.rate} records/s for ${options.durationSeconds} s ...`);
    const simulated = await runSimulation({
      baseUrl: service.url,
      adminToken,
      organisations: [{ id: organisation.id, name: organisation.name }],
      sims: options.sims,
      rate: options.rate,
      durationSeconds: options.durationSeconds,
      seed: options.seed,
    });
    print(`Ingested ${simulated.usage} usage records and ${simulated.events} events`);

    print('Waiting for the last files to close (rotate_interval 10 s) ...');
    await waitUntilDelivered(customer, [s3Stream.id, kinesisStream.id], 60_000);

    const expected = { usage: simulated.ids.usage, event: simulated.ids.events };
    const keys = await aws.listAllObjects(BUCKET);
    const s3 = await countDeliveries.fromS3(aws, BUCKET, keys, expected);
    const kinesis = await countDeliveries.fromKinesis(aws, KINESIS_STREAM, expected);

    printReport(print, { keys, firstCsvLines: s3.sampleLines, s3, kinesis });
    const allDeliveredOnce = s3.exactlyOnce && kinesis.exactlyOnce;
    return { ingested: { usage: simulated.usage, event: simulated.events }, s3, kinesis, allDeliveredOnce };
  } finally {
    await service?.stop();
    await aws?.close();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

async function waitUntilDelivered(customer: ApiClient, streamIds: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const streams = await Promise.all(streamIds.map((id) => customer.get<{ delivery: { records_waiting: number } }>(`/api/v2/data_stream/${id}`)));
    if (streams.every((stream) => stream.delivery.records_waiting === 0)) return;
    await sleep(500);
  }
}

function printReport(
  print: (line: string) => void,
  report: { keys: string[]; firstCsvLines: string[]; s3: DeliveryCount; kinesis: DeliveryCount },
): void {
  print('');
  print(`S3 objects (${report.keys.length}):`);
  for (const key of report.keys) print(`  ${key}`);

  print('');
  print('First lines of one CSV file:');
  for (const line of report.firstCsvLines) print(`  ${line}`);

  print('');
  print(`Kinesis records: ${report.kinesis.received}`);
  for (const [name, count] of [['S3', report.s3] as const, ['Kinesis', report.kinesis] as const]) {
    print(
      `${name}: ${count.received} records received, ${count.missing} missing, ${count.duplicated} duplicated, ` +
        `${count.unexpected} unexpected -> ${count.exactlyOnce ? 'every ingested record arrived exactly once' : 'NOT exactly once'}`,
    );
  }
}
