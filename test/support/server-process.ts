import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A `siyu serve` child process. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** The bootstrap workspace's keys (written by the server on first start). */
  keys: () => { workspaceId: string; writeKey: string; secretKey: string };
  /** The first owner's console login (written by the server on first start). */
  firstLogin: () => { consoleUrl: string; email: string; password: string; workspaceId: string };
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the real server (`node bin/siyu.js serve`) and waits until /health answers. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  return startProcess(env, ['serve']);
}

/**
 * Starts `node bin/siyu.js <args>`: a `serve` process is ready when /health answers, a `worker`
 * process when it logs that its workers run (it has no HTTP server; `url` is then empty).
 */
export async function startProcess(env: Record<string, string>, args: string[]): Promise<ServerProcess> {
  const http = args[0] === 'serve';
  const port = await freePort();
  let out = '';
  const child = spawn(process.execPath, ['bin/siyu.js', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, SIYU_LOG_LEVEL: 'info', ...env, SIYU_PORT: String(port), SIYU_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = http ? `http://127.0.0.1:${port}` : '';
  // 60 s: a first start migrates a fresh database, and two test files at a time on two busy cores
  // have taken over 30 s to get there (2026-12-07).
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${out}`);
    if (!http && out.includes('Siyu workers are running')) break;
    try {
      if (http && (await fetch(`${url}/health`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer /health within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    keys: () => JSON.parse(readFileSync(join(env.SIYU_DATA_DIR!, 'bootstrap-keys.json'), 'utf8')),
    firstLogin: () => JSON.parse(readFileSync(join(env.SIYU_DATA_DIR!, 'first-login.json'), 'utf8')),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
