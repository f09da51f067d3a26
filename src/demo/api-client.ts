/** A small client of the public API, used by the demo as a customer script would. */
export class ApiClient {
  private constructor(
    private readonly baseUrl: string,
    private readonly authToken: string,
  ) {}

  /** Exchanges an application token for an auth token. */
  static async login(baseUrl: string, applicationToken: string): Promise<ApiClient> {
    const response = await fetch(`${baseUrl}/api/v1/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ application_token: applicationToken }),
    });
    const body = (await readBody(response, 'POST /api/v1/authenticate')) as { auth_token: string };
    return new ApiClient(baseUrl, body.auth_token);
  }

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: this.headers() });
    return (await readBody(response, `GET ${path}`)) as T;
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { ...this.headers(), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await readBody(response, `POST ${path}`)) as T;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.authToken}` };
  }
}

async function readBody(response: Response, request: string): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${request} failed with ${response.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}
