import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { num, table } from './report.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * The main thread's profile of process `pid` in a directory: `node --cpu-prof` names files
 * CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile, and thread 0 is the main thread (tsx's
 * loader runs in a worker thread with a profile of its own).
 */
export function mainThreadProfile(dir: string, pid: number): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.0.`))
    .map((f) => join(dir, f));
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/** Where a frame's code lives: a package, a Siyu source file, Node itself, or a V8 pseudo-frame. */
function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const src = /\/(src\/.+?)(\?.*)?$/.exec(url);
  return src ? src[1]! : url;
}

/**
 * Prints where a CPU profile's time went: self time per area (package or source file) and the
 * functions with the most self time. Samples are weighted by their time deltas.
 */
export function summariseProfile(file: string, top = 15): { totalMs: number; areas: [string, number][]; functions: [string, number][] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const fname = `${functionName || '(anonymous)'}  ${area}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(fname, (functions.get(fname) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => [k, us / 1000] as [string, number]);
  const result = { totalMs: total / 1000, areas: sorted(areas), functions: sorted(functions) };
  const pct = (ms: number) => `${num((100 * ms) / result.totalMs, 1)}%`;
  process.stdout.write(`\nCPU profile ${file}\nbusy (non-idle) time: ${num(result.totalMs)} ms\n\n`);
  table([['area (self time)', 'ms', 'share'], ...result.areas.map(([a, ms]) => [a, num(ms), pct(ms)])]);
  process.stdout.write('\n');
  table([['function (self time)', 'ms', 'share'], ...result.functions.map(([f, ms]) => [f, num(ms), pct(ms)])]);
  return result;
}
