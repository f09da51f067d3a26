import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

import type { LocalAws } from '../../../src/emulators/local-aws.js';
import { serviceEnvironment, waitFor } from '../../support/harness.js';

/** Environment for a `datastreamer serve` child process that talks to the local AWS emulators on `port`. */
export function childEnvironment(aws: LocalAws, databasePath: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...serviceEnvironment(aws, databasePath, { DATASTREAMER_PORT: String(port), DATASTREAMER_LOG_LEVEL: 'warn', ...extra }),
    AWS_ACCESS_KEY_ID: aws.operator.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.operator.secretAccessKey,
    AWS_REGION: aws.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** How a child process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The service running as `node src/cli/main.ts serve` in a child process, as operators run it. */
export class ServiceProcess {
  readonly exited: Promise<ProcessExit>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Spawns the service and waits until GET /healthz returns 200, for up to 30 s. */
  static async start(environment: Record<string, string>, baseUrl: string): Promise<ServiceProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      env: { ...process.env, ...environment },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const service = new ServiceProcess(child);

    let exitedEarly = false;
    void service.exited.then(() => (exitedEarly = true));
    const ready = await waitFor(async () => exitedEarly || (await isHealthy(baseUrl)), 30_000, 50);
    if (!ready || exitedEarly) {
      child.kill('SIGKILL');
      throw new Error(`service at ${baseUrl} did not become healthy within 30 s (exited: ${exitedEarly})`);
    }
    return service;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends the signal and waits until the process has exited. */
  async stop(signal: NodeJS.Signals): Promise<ProcessExit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** Resident set size of the process in MiB, read from VmRSS in /proc/<pid>/status (Linux only). */
  residentMemoryMiB(): number {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    if (!match) throw new Error(`no VmRSS line in /proc/${this.pid}/status`);
    return Number(match[1]) / 1024;
  }
}

async function isHealthy(baseUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${baseUrl}/healthz`)).ok;
  } catch {
    return false;
  }
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
