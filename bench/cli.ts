/**
 * `npm run bench -- cli`: how fast the `siyu` command starts. `siyu --help` and `npm start` up to
 * an answering `/health` (first start on an empty data folder: migrations and the first
 * workspace; second start on the same data), each run several times, the median reported, against
 * a bare `node -e 0` measured in the same run (what any Node program pays). The compiled build
 * (dist/, what npm install makes) is measured; the TypeScript sources through tsx are measured
 * once for comparison.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, freePort } from './support/server.js';
import { heading, secs, table, targets } from './support/report.js';
import type { BenchOptions, BenchResult } from './types.js';

const RUNS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall time of a command that exits, in ms. */
function timeCommand(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: PROJECT_ROOT, env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return performance.now() - started;
}

/** Wall time from spawning `siyu serve` to the first 200 of /health, in ms; the server is then stopped. */
async function timeStart(dataDir: string, bin: string[]): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...bin, 'serve'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, SIYU_DATA_DIR: dataDir, SIYU_PORT: String(port), SIYU_HOST: '127.0.0.1', SIYU_LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error('siyu serve exited before answering /health');
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return performance.now() - started;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** Runs the startup benchmark. */
export async function runCliBench(opts: BenchOptions): Promise<BenchResult> {
  const built = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
  const siyu = [join(PROJECT_ROOT, 'bin', 'siyu.js')];
  const bare: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(timeCommand(['-e', '0']));
    help.push(timeCommand([...siyu, '--help']));
  }
  const first: number[] = [];
  const again: number[] = [];
  for (let i = 0; i < Math.max(3, Math.ceil(RUNS / 2)); i++) {
    const dir = mkdtempSync(join(opts.tmpDir, 'siyu-bench-cli-'));
    try {
      first.push(await timeStart(join(dir, 'data'), siyu));
      again.push(await timeStart(join(dir, 'data'), siyu));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // The sources through tsx, once (what every command cost before the build).
  const tsxHelp = timeCommand(['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), '--help']);

  const r = {
    bareNodeMs: median(bare),
    helpMs: median(help),
    firstStartToHealthMs: median(first),
    startToHealthMs: median(again),
    tsxHelpMs: tsxHelp,
  };
  heading(`siyu startup (median of ${RUNS} runs; compiled build in dist/)`);
  table([
    ['measure', 'wall time', 'vs bare node'],
    ['node -e 0 (baseline)', secs(r.bareNodeMs), '1.00x'],
    ['siyu --help', secs(r.helpMs), `${(r.helpMs / r.bareNodeMs).toFixed(2)}x`],
    ['npm start → /health, empty data folder', secs(r.firstStartToHealthMs), ''],
    ['npm start → /health, existing data', secs(r.startToHealthMs), ''],
    ['siyu --help from the TypeScript sources (tsx)', secs(r.tsxHelpMs), `${(r.tsxHelpMs / r.bareNodeMs).toFixed(2)}x`],
  ]);
  heading('targets');
  targets([
    { target: 'siyu --help < 0.5 s', measured: secs(r.helpMs), pass: r.helpMs < 500 },
    { target: 'npm start → /health < 3 s (empty data folder)', measured: secs(r.firstStartToHealthMs), pass: r.firstStartToHealthMs < 3000 },
  ]);
  return r;
}
