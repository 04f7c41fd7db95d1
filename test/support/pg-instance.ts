import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server-process.js';

/**
 * A PostgreSQL server of a test's own (initdb into a temporary folder, a free port), so the test
 * can stop, restart, crash and freeze it without touching the machine's shared server. Built from
 * the PostgreSQL binaries on the machine (`/usr/lib/postgresql/<version>/bin`). PostgreSQL refuses
 * to run as root, so as root the cluster belongs to the `postgres` system user.
 */
export interface PgInstance {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  /** Stops the server (`pg_ctl stop -m fast`, or `immediate`: a crash without a checkpoint). */
  stop(mode?: 'fast' | 'immediate'): void;
  /** Starts it again on the same port and data. */
  start(): void;
  /** SIGSTOP to the postmaster and every backend: connections stay open and nothing answers. */
  freeze(): void;
  /** SIGCONT to the processes `freeze` stopped. */
  thaw(): void;
  /** Stops the server and removes its folder. */
  destroy(): void;
}

/** The folder of the machine's PostgreSQL binaries, or undefined. */
export function postgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  return undefined;
}

/** Creates and starts a PostgreSQL instance; throws with the tools' output when it cannot. */
export async function startPgInstance(): Promise<PgInstance> {
  const bin = postgresBinaries();
  if (!bin) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql: install the postgresql package');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  const ownerGroup = asRoot ? Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'siyu-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  if (owner !== undefined) {
    chownSync(dir, owner, ownerGroup!);
    chmodSync(dir, 0o700);
  }
  const run = (cmd: string, args: string[]) => {
    const argv = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, cmd), ...args] : [join(bin, cmd), ...args];
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    if (r.status !== 0)
      throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c max_connections=100`;
  const start = () => run('pg_ctl', ['-D', data, '-l', log, '-o', opts, '-w', '-t', '30', 'start']);
  start();
  let frozen: number[] = [];
  const pids = () => {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number);
    return [pid, ...children];
  };
  const signal = (sig: NodeJS.Signals, list: number[]) => {
    for (const p of list) {
      try {
        process.kill(p, sig);
      } catch {
        /* gone */
      }
    }
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: (mode = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']),
    start,
    freeze() {
      frozen = pids();
      signal('SIGSTOP', frozen);
    },
    thaw() {
      signal('SIGCONT', frozen);
      frozen = [];
    },
    destroy() {
      if (frozen.length) signal('SIGCONT', frozen);
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
