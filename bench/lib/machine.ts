import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memory: string;
  node: string;
  platform: string;
}

/** Describes the machine the way docs/benchmarks.md reports it: nproc, free -h, CPU model, Node version. */
export function describeMachine(): MachineInfo {
  return {
    cpus: os.availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    memory: totalMemory(),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

/** Returns the 1, 5 and 15 minute load averages from /proc/loadavg. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function totalMemory(): string {
  try {
    const line = execFileSync('free', ['-h'], { encoding: 'utf8' }).split('\n').find((row) => row.startsWith('Mem:'));
    return line ? `${line.split(/\s+/)[1]} total` : `${Math.round(os.totalmem() / 2 ** 30)}Gi total`;
  } catch {
    return `${Math.round(os.totalmem() / 2 ** 30)}Gi total`;
  }
}
