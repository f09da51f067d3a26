import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { issueApplicationToken } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config.js';
import { startLocalAws, type LocalAws } from '../../src/emulators/local-aws.js';
import { createLogger } from '../../src/logger.js';
import { startService, type Service } from '../../src/service.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';

export const ADMIN_TOKEN = 'test-admin-token';
export const CUSTOMER_ACCOUNT = '222222222222';

/** Environment for a service that talks to the local AWS emulators. */
export function serviceEnvironment(aws: LocalAws, databasePath: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATASTREAMER_PORT: '0',
    DATASTREAMER_DATABASE: databasePath,
    DATASTREAMER_ADMIN_TOKEN: ADMIN_TOKEN,
    DATASTREAMER_OPERATOR_PRINCIPAL_ARN: aws.operator.principalArn,
    DATASTREAMER_S3_ENDPOINT: aws.endpoints.s3,
    DATASTREAMER_KINESIS_ENDPOINT: aws.endpoints.kinesis,
    DATASTREAMER_STS_ENDPOINT: aws.endpoints.sts,
    DATASTREAMER_RETRY_BASE_MS: '50',
    DATASTREAMER_RETRY_MAX_MS: '500',
    DATASTREAMER_ERROR_AFTER_MS: '0',
    DATASTREAMER_ERROR_PROBE_MS: '300',
    DATASTREAMER_IDLE_POLL_MS: '200',
    ...extra,
  };
}

/** Local AWS plus a datastreamer service in this process, with helpers to drive it through its API. */
export class Harness {
  private constructor(
    readonly aws: LocalAws,
    readonly service: Service,
    readonly directory: string,
  ) {}

  static async start(extraEnvironment: Record<string, string> = {}): Promise<Harness> {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'datastreamer-test-'));
    const aws = await startLocalAws({ directory: path.join(directory, 's3') });
    const config = loadConfig(serviceEnvironment(aws, path.join(directory, 'test.db'), extraEnvironment));
    const service = await startService(config, {
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
      serviceCredentials: async () => ({ accessKeyId: aws.operator.accessKeyId, secretAccessKey: aws.operator.secretAccessKey }),
    });
    return new Harness(aws, service, directory);
  }

  async close(): Promise<void> {
    await this.service.stop();
    await this.aws.close();
    fs.rmSync(this.directory, { recursive: true, force: true });
  }

  /** Creates an organisation and returns its id and an auth token. */
  async createOrganisation(name = 'Test Organisation'): Promise<{ id: number; name: string; authToken: string }> {
    const organisation = this.service.storage.createOrganisation(name);
    const { token } = issueApplicationToken(this.service.storage, organisation.id, 'test');
    const response = await this.request('POST', '/api/v1/authenticate', { body: { application_token: token } });
    return { id: organisation.id, name, authToken: (response.body as { auth_token: string }).auth_token };
  }

  /** Adds a customer role that trusts the operator with `org-<id>` and may write to the bucket and stream. */
  addCustomerRole(organisationId: number, roleName: string, target: { bucket?: string; kinesisStream?: string }, externalId = `org-${organisationId}`): string {
    const roleArn = `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/${roleName}`;
    const permissions = [];
    if (target.bucket) permissions.push({ action: 's3:PutObject', resource: `arn:aws:s3:::${target.bucket}/*` });
    if (target.kinesisStream) {
      const streamArn = `arn:aws:kinesis:${this.aws.region}:${CUSTOMER_ACCOUNT}:stream/${target.kinesisStream}`;
      permissions.push({ action: 'kinesis:PutRecords', resource: streamArn }, { action: 'kinesis:PutRecord', resource: streamArn });
    }
    this.aws.addCustomerRole({ roleArn, externalId, permissions });
    return roleArn;
  }

  async request(
    method: string,
    url: string,
    options: { body?: unknown; token?: string; contentType?: string; rawBody?: string } = {},
  ): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';

    const response = await this.service.api.inject({ method: method as 'GET', url, headers, payload });
    const text = response.body;
    return { status: response.statusCode, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  async createStream(token: string, body: unknown): Promise<{ id: number } & Record<string, unknown>> {
    const response = await this.request('POST', '/api/v2/data_stream', { body, token });
    if (response.status !== 201) throw new Error(`creating a stream failed with ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body as { id: number };
  }

  async getStream(token: string, id: number): Promise<StreamView> {
    const response = await this.request('GET', `/api/v2/data_stream/${id}`, { token });
    if (response.status !== 200) throw new Error(`reading stream ${id} failed with ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body as StreamView;
  }

  async ingest(kind: 'usage' | 'events', records: unknown[]): Promise<{ accepted: number; duplicates: number }> {
    const response = await this.request('POST', `/api/v1/ingest/${kind}`, { body: records, token: ADMIN_TOKEN });
    if (response.status !== 200) throw new Error(`ingest failed with ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body as { accepted: number; duplicates: number };
  }
}

export interface StreamView {
  id: number;
  status: { id: number; description: string };
  delivery: { records_delivered: number; records_waiting: number; last_delivery: string | null; last_error: { code: string; message: string; at: string } | null };
}

/** Polls `check` until it returns a truthy value or the timeout passes, then returns the last value. */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await check();
  while (!value && Date.now() < deadline) {
    await sleep(intervalMs);
    value = await check();
  }
  return value;
}
