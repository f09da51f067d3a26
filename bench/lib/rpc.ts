import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Request and response messages between the benchmark driver and the
 * processes it starts (local AWS, the service, the ceiling loops). Each
 * child runs in its own Node.js process, so it has its own event loop and
 * its CPU time and memory can be read from /proc.
 */
interface RpcRequest {
  id: number;
  method: string;
  params: unknown;
}

interface RpcResponse {
  id: number;
  result?: unknown;
  error?: string;
}

const READY = 'ready';

export type RpcHandlers = Record<string, (params: never) => unknown>;

export interface ChildHandle {
  readonly pid: number;
  call<T>(method: string, params?: unknown): Promise<T>;
  /** Calls the child's `stop` handler, then waits for the process to exit. */
  stop(): Promise<void>;
}

export interface ForkOptions {
  /** Extra node flags, for example `--cpu-prof`. */
  nodeFlags?: string[];
  env?: Record<string, string>;
}

/** Starts `bench/hosts/<name>.ts` in a new Node.js process and waits until it is ready for calls. */
export async function forkHost(name: string, options: ForkOptions = {}): Promise<ChildHandle> {
  const modulePath = fileURLToPath(new URL(`../hosts/${name}.ts`, import.meta.url));
  const child = fork(modulePath, [], {
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    env: { ...process.env, ...options.env },
    // The hosts' output (service and emulator logs) goes to stderr, so stdout keeps only the results table.
    stdio: ['ignore', process.stderr.fd, process.stderr.fd, 'ipc'],
  });

  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench host ${name} exited with code ${code} before it was ready; see its output above.`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      if (message === READY) resolve();
      else reject(new Error(`bench host ${name} sent ${JSON.stringify(message)} instead of "${READY}".`));
    });
  });
  return new RpcClient(name, child);
}

class RpcClient implements ChildHandle {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; method: string }>();
  private readonly exited: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: RpcResponse) => this.settle(message));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        for (const call of this.pending.values()) call.reject(new Error(`bench host ${name} exited with code ${code} during ${call.method}.`));
        this.pending.clear();
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  call<T>(method: string, params?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, method });
      this.child.send({ id, method, params } satisfies RpcRequest);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) await this.call('stop');
    await this.exited;
  }

  private settle(message: RpcResponse): void {
    const call = this.pending.get(message.id);
    if (!call) return;

    this.pending.delete(message.id);
    if (message.error !== undefined) call.reject(new Error(`${this.name}.${call.method} failed: ${message.error}`));
    else call.resolve(message.result);
  }
}

/**
 * Serves calls from the driver in a bench host. A `stop` handler is
 * required: it runs, its response is sent, and the process exits, which
 * also writes a CPU profile when the host runs with --cpu-prof.
 */
export function serveRpc(handlers: RpcHandlers & { stop(): unknown }): void {
  process.on('message', async (request: RpcRequest) => {
    let response: RpcResponse;
    try {
      const handler = handlers[request.method];
      if (!handler) throw new Error(`unknown method ${request.method}; known methods: ${Object.keys(handlers).join(', ')}`);
      response = { id: request.id, result: (await handler(request.params as never)) ?? null };
    } catch (error) {
      response = { id: request.id, error: (error as Error).stack ?? String(error) };
    }

    process.send!(response);
    if (request.method === 'stop') process.disconnect();
  });

  // The driver going away (a crash or Ctrl-C) ends the host too.
  process.on('disconnect', () => process.exit(0));
  process.send!(READY);
}
