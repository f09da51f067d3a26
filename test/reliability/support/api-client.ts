import { ADMIN_TOKEN } from '../../support/harness.js';

export interface ApiResponse {
  status: number;
  /** Parsed JSON body, or the text when the body is not JSON. */
  body: unknown;
}

/** Calls the service's HTTP API over the network, as operators and customers do. */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, options: { body?: unknown; rawBody?: string; contentType?: string; token?: string } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined = options.rawBody;
    if (payload === undefined && options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';

    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON, such as the Prometheus text format: keep the text.
    }
    return { status: response.status, body };
  }

  /** Sends the request and returns the body, throwing unless the status is 2xx. */
  async call(method: string, path: string, body?: unknown, token?: string): Promise<unknown> {
    const response = await this.request(method, path, { body, token });
    if (response.status < 200 || response.status >= 300) {
      throw new Error(`${method} ${path} failed with ${response.status}: ${JSON.stringify(response.body)}`);
    }
    return response.body;
  }

  /** Exchanges an application token for an auth token. */
  async authenticate(applicationToken: string): Promise<string> {
    const body = (await this.call('POST', '/api/v1/authenticate', { application_token: applicationToken })) as { auth_token: string };
    return body.auth_token;
  }

  /** Records waiting for delivery on a stream, as the stream view reports them. */
  async recordsWaiting(streamId: number, authToken: string): Promise<number> {
    const view = (await this.call('GET', `/api/v2/data_stream/${streamId}`, undefined, authToken)) as { delivery: { records_waiting: number } };
    return view.delivery.records_waiting;
  }

  /** Reads one sample of a Prometheus counter or gauge from GET /metrics; 0 when the series does not exist yet. */
  async metric(name: string, labels: Record<string, string>): Promise<number> {
    const response = await this.request('GET', '/metrics');
    return readMetric(String(response.body), name, labels);
  }

  ingest(kind: 'usage' | 'events', records: unknown[]): Promise<ApiResponse> {
    return this.request('POST', `/api/v1/ingest/${kind}`, { body: records, token: ADMIN_TOKEN });
  }
}

/** Finds the sample of `name` whose labels include `labels` in the Prometheus text format. */
export function readMetric(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;

    const matches = Object.entries(labels).every(([label, value]) => line.includes(`${label}="${value}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
