import fs from 'node:fs';
import path from 'node:path';

/** The parts of a V8 .cpuprofile file (as written by `node --cpu-prof`) that the summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  function: string;
  location: string;
  selfMs: number;
  /** Share of the busy time, that is all samples except `(idle)`. */
  selfPercent: number;
}

/**
 * Lists the top functions by self time of each profile under `directory`,
 * one subdirectory per process or phase. `node --cpu-prof` names profiles
 * `CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile`, and only the main
 * thread (thread id 0) is summarized, because other threads (such as the ESM
 * loader of tsx) write their own files. A subdirectory without such a file
 * is summarized by its first .cpuprofile, as written for one phase.
 */
export function summarizeProfiles(directory: string, top: number): Record<string, ProfileEntry[]> {
  const summaries: Record<string, ProfileEntry[]> = {};
  if (!fs.existsSync(directory)) return summaries;

  for (const processDirectory of fs.readdirSync(directory).sort()) {
    const files = fs.readdirSync(path.join(directory, processDirectory));
    const mainThread =
      files.find((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name)) ??
      files.find((name) => name.endsWith('.cpuprofile') && !name.startsWith('CPU.'));
    if (!mainThread) continue;

    const profile = JSON.parse(fs.readFileSync(path.join(directory, processDirectory, mainThread), 'utf8')) as CpuProfile;
    summaries[processDirectory] = topFunctions(profile, top);
  }
  return summaries;
}

export function topFunctions(profile: CpuProfile, top: number): ProfileEntry[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<string, { function: string; location: string; micros: number }>();
  let busyMicros = 0;

  // timeDeltas[i] is the time from sample i-1 to sample i, and it is charged to sample i's function.
  profile.samples.forEach((nodeId, index) => {
    const frame = nodes.get(nodeId)!.callFrame;
    const micros = profile.timeDeltas[index] ?? 0;
    if (frame.functionName === '(idle)') return;

    busyMicros += micros;
    const location = frame.url ? `${shortenUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = frame.functionName || '(anonymous)';
    const key = `${name}|${location}`;
    const entry = selfMicros.get(key) ?? { function: name, location, micros: 0 };
    entry.micros += micros;
    selfMicros.set(key, entry);
  });

  return [...selfMicros.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, top)
    .map((entry) => ({
      function: entry.function,
      location: entry.location,
      selfMs: Math.round(entry.micros / 1000),
      selfPercent: Math.round((entry.micros / busyMicros) * 1000) / 10,
    }));
}

/** Shortens file URLs to a path within the repository or within node_modules. */
function shortenUrl(url: string): string {
  const withoutScheme = url.replace(/^file:\/\//, '');
  const modules = withoutScheme.lastIndexOf('/node_modules/');
  if (modules !== -1) return withoutScheme.slice(modules + '/node_modules/'.length);
  return path.relative(process.cwd(), withoutScheme);
}
