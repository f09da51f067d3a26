import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of the times in /proc/<pid>/stat, which is 100 on nearly every Linux system. */
const CLOCK_TICKS = readClockTicks();

/** CPU time (user plus system) that the process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces, so fields are counted from the closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS;
}

/** Resident set size now and at its peak, in bytes, from /proc/<pid>/status. */
export function residentMemory(pid: number): { rssBytes: number; peakRssBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssBytes: kilobytes('VmRSS') * 1024, peakRssBytes: kilobytes('VmHWM') * 1024 };
}

/** Measures the CPU time a process uses over `seconds` of wall time, as a percentage of one core. */
export async function measureCpuPercent(pid: number, seconds: number): Promise<{ cpuSeconds: number; wallSeconds: number; percentOfOneCore: number }> {
  const cpuBefore = cpuSeconds(pid);
  const wallBefore = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = cpuSeconds(pid) - cpuBefore;
  const wall = (performance.now() - wallBefore) / 1000;
  return { cpuSeconds: used, wallSeconds: wall, percentOfOneCore: (used / wall) * 100 };
}

function readClockTicks(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/**
 * Starts measuring the CPU use of several processes; the returned function
 * returns each one's use since then, as a percentage of one core.
 */
export function trackCpu(pids: Record<string, number>): () => Record<string, number> {
  const started = performance.now();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  return () => {
    const wall = (performance.now() - started) / 1000;
    return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, Math.round(((cpuSeconds(pid) - before[name]) / wall) * 100)]));
  };
}
