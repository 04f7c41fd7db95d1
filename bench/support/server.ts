import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../../src/platform/paths.js';
import { onInterrupt } from './cleanup.js';

/** The project root (bench/support/../..), where bin/siyu.js lives. */
export const PROJECT_ROOT = projectRoot();

/** A `siyu serve` child process under test. */
export interface ServerProcess {
  readonly pid: number;
  readonly baseUrl: string;
  readonly port: number;
  readonly writeKey: string;
  /** The bootstrap workspace's secret key (for the management API). */
  readonly secretKey: string;
  readonly workspaceId: string;
  /** Memory and CPU as /proc reports them now (kB and ms). */
  usage(): ProcessUsage;
  /** SIGTERM, then waits for the exit (the server drains the writer first). */
  stop(): Promise<number | null>;
  /** Everything the server printed, for error messages. */
  output(): string;
}

/** A process's memory (kB) and CPU time (ms) from /proc. */
export interface ProcessUsage {
  rssKb: number;
  peakRssKb: number;
  cpuMs: number;
}

/** Reads VmRSS, VmHWM (peak RSS) and user+system CPU time of a process from /proc (Linux). */
export function readUsage(pid: number): ProcessUsage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  // /proc/<pid>/stat: fields 14 and 15 are utime and stime in clock ticks (100 a second on Linux).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssKb: field('VmRSS'), peakRssKb: field('VmHWM'), cpuMs: ticks * 10 };
}

/** A free TCP port on 127.0.0.1 (asks the OS for one, then releases it). */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

/**
 * Starts `node bin/siyu.js serve` (or `node ...script` when given) on a free port over `dataDir`
 * (and PostgreSQL when `databaseUrl` is given), waits for /ready, and reads the first
 * workspace's keys from the bootstrap keys file. `cpuProfDir` runs the child under `--cpu-prof`.
 */
export async function startServer(opts: {
  dataDir: string;
  databaseUrl?: string;
  encryptionKeyHex: string;
  cpuProfDir?: string;
  env?: Record<string, string>;
  /** Node arguments instead of `bin/siyu.js serve` (e.g. another entry point under tsx). */
  script?: string[];
}): Promise<ServerProcess> {
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    SIYU_DATA_DIR: opts.dataDir,
    SIYU_PORT: String(port),
    PORT: String(port),
    SIYU_HOST: '127.0.0.1',
    SIYU_LOG_LEVEL: 'warn',
    SIYU_ENCRYPTION_KEY: opts.encryptionKeyHex,
    SIYU_BOOTSTRAP_WORKSPACE: 'true',
    DATABASE_URL: opts.databaseUrl,
    ...opts.env,
  };
  if (!opts.databaseUrl) delete env.DATABASE_URL;
  const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...(opts.script ?? [join(PROJECT_ROOT, 'bin', 'siyu.js'), 'serve'])], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > 64_000) out = out.slice(-32_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok((exitCode = code))));
  const stop = onInterrupt(async () => {
    if (exitCode === undefined) child.kill('SIGTERM');
    await exited;
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exitCode !== undefined) {
      await stop();
      throw new Error(`siyu serve exited with code ${exitCode} before it was ready:\n${out}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await stop();
      throw new Error(`siyu serve was not ready within 60 s:\n${out}`);
    }
    try {
      const res = await fetch(`${baseUrl}/ready`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const keysFile = join(opts.dataDir, 'bootstrap-keys.json');
  if (!existsSync(keysFile)) throw new Error(`the server did not write ${keysFile}; is SIYU_BOOTSTRAP_WORKSPACE off or the database not empty?`);
  const keys = JSON.parse(readFileSync(keysFile, 'utf8')) as { workspaceId: string; writeKey: string; secretKey: string };

  return {
    pid: child.pid!,
    port,
    baseUrl,
    writeKey: keys.writeKey,
    secretKey: keys.secretKey,
    workspaceId: keys.workspaceId,
    usage: () => readUsage(child.pid!),
    async stop() {
      await stop();
      return exited;
    },
    output: () => out,
  };
}
