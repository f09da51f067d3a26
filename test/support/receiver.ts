import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Decides the response to one request, and may delay it. */
export type Responder = (request: ReceivedRequest, index: number) => Promise<{ status: number; body?: string }> | { status: number; body?: string };

/** A webhook receiver on 127.0.0.1 that records every request it gets. */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  responder: Responder = () => ({ status: 200 });
  private server: http.Server;
  private port = 0;

  private constructor() {
    this.server = this.createServer();
  }

  static async start(port = 0): Promise<Receiver> {
    const receiver = new Receiver();
    await receiver.listen(port);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Stops accepting connections, keeping the port number for a later restart. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  async restart(): Promise<void> {
    this.server = this.createServer();
    await this.listen(this.port);
  }

  /** Returns every record received, parsed from single-object and array bodies alike. */
  records(): { id: number }[] {
    return this.requests.flatMap((request) => {
      const parsed = JSON.parse(request.body) as { id: number } | { id: number }[];
      return Array.isArray(parsed) ? parsed : [parsed];
    });
  }

  private createServer(): http.Server {
    return http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const received: ReceivedRequest = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
        const index = this.requests.length;
        this.requests.push(received);
        const answer = await this.responder(received, index);
        response.writeHead(answer.status, { 'content-type': 'text/plain' });
        response.end(answer.body ?? '');
      });
    });
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
}
