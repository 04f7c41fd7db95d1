import type { Command } from 'commander';
import pino from 'pino';
import { loadConfig } from '../platform/config.js';
import { keyStatus, RotationRunningError, rewrapKeys, runRotations, startRotation } from '../platform/key-rotation.js';
import { listWorkspaceIds } from '../platform/workspaces.js';
import { createServices, keyRotationDeps } from '../server/app.js';
import { pickWorkspace } from './import.js';
import { output } from './output.js';

type Services = Awaited<ReturnType<typeof createServices>>;

/**
 * `siyu keys rotate [--workspace id] [--no-wait] [--now]`: a new data key version for the workspace
 * (every workspace when none is named) is active at once; then, unless `--no-wait`, this process
 * re-encrypts the old versions' ciphertext itself (a running server's `key-rotation` worker would
 * too: a lease keeps them from doing the same batches), printing progress. It first waits out the
 * other processes' key caches (~60 s) unless `--now` says no other process is running.
 */
export async function keysRotateCommand(services: Services, opts: { workspace?: string; wait?: boolean; now?: boolean; json?: boolean }) {
  const workspaces = opts.workspace ? [await pickWorkspace(services, opts.workspace)] : await listWorkspaceIds(services.database.db);
  const deps = { ...keyRotationDeps(services), ...(opts.now ? { graceMs: 0 } : {}) };
  const started: { workspaceId: string; rotationId: string; toVersion: number }[] = [];
  for (const ws of workspaces) {
    try {
      const r = await startRotation(deps, ws);
      started.push({ workspaceId: ws, rotationId: r.id, toVersion: r.toVersion });
    } catch (err) {
      if (!(err instanceof RotationRunningError)) throw err;
      if (!opts.json) process.stderr.write(`${ws}: a rotation is already running (${err.rotationId}); finishing that one\n`);
    }
  }
  if (opts.wait !== false) {
    for (const ws of workspaces) {
      const rotation = (await keyStatus(deps, ws)).rotation;
      const wait = rotation && rotation.state === 'running' ? rotation.notBefore - deps.now() : 0;
      if (wait > 0) {
        if (!opts.json)
          process.stderr.write(`${ws}: waiting ${Math.ceil(wait / 1000)} s for other processes to load the new key (--now skips this when none runs)\n`);
        await new Promise((r) => setTimeout(r, wait));
      }
      let batches = 0;
      await runRotations(deps, `cli:${process.pid}`, {
        workspaceId: ws,
        onStep: () => {
          if (!opts.json && ++batches % 20 === 0) process.stderr.write(`${ws}: ${batches} batches\n`);
        },
      });
    }
  }
  const statuses = [];
  for (const ws of workspaces) statuses.push({ workspaceId: ws, ...(await keyStatus(deps, ws)) });
  output(
    !!opts.json,
    { started, workspaces: statuses },
    statuses
      .map((s) => {
        const active = s.versions.find((v) => v.state === 'active')?.version;
        const r = s.rotation;
        return `${s.workspaceId}: active key version ${active}${r ? `; rotation ${r.id} ${r.state}, ${r.changed} values re-encrypted` : ''}`;
      })
      .join('\n'),
  );
  return statuses;
}

/** Registers `siyu keys rotate|status|rewrap`. */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('PII encryption keys: per-workspace data keys, rotation, rewrapping under a new server key');
  const open = () => createServices(loadConfig(), { log: pino({ level: 'warn' }, pino.destination(2)) });
  const run = async (fn: (s: Services) => Promise<unknown>) => {
    const services = await open();
    try {
      await fn(services);
    } finally {
      await services.writer.drain();
      await services.close();
    }
  };
  keys
    .command('rotate')
    .description(
      'Rotate the data key of a workspace (all when none is named): new writes use the new version at once; old ciphertext is re-encrypted, then the old version retired',
    )
    .option('--workspace <id>', 'only this workspace')
    .option('--no-wait', 'leave the re-encryption to the server’s key-rotation worker')
    .option('--now', 'no other Siyu process is running: start re-encrypting without waiting for their key caches')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { workspace?: string; wait?: boolean; now?: boolean; json?: boolean }) => run((s) => keysRotateCommand(s, opts)));
  keys
    .command('status')
    .description('Key versions and the latest rotation of a workspace')
    .option('--workspace <id>', 'the workspace (needed when there are several)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { workspace?: string; json?: boolean }) =>
      run(async (s) => {
        const ws = await pickWorkspace(s, opts.workspace);
        const st = await keyStatus(keyRotationDeps(s), ws);
        output(
          !!opts.json,
          st,
          st.versions.map((v) => `version ${v.version}: ${v.state}`).join('\n') +
            (st.rotation ? `\nrotation ${st.rotation.id}: ${st.rotation.state}, ${st.rotation.changed} re-encrypted` : ''),
        );
      }),
    );
  keys
    .command('rewrap')
    .description('After changing SIYU_ENCRYPTION_KEY (the old one in SIYU_ENCRYPTION_KEY_PREVIOUS): rewrap every data and lookup key under the new server key')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) =>
      run(async (s) => {
        const n = await rewrapKeys({
          database: s.database,
          masterKey: s.config.encryptionKey,
          previousMasterKey: s.config.encryptionKeyPrevious,
          keyring: s.cipher,
        });
        output(
          !!opts.json,
          { rewrapped: n },
          `${n} keys rewrapped under the current server key; SIYU_ENCRYPTION_KEY_PREVIOUS may be removed once every workspace has rotated its data key (legacy v1 values use the server key directly)`,
        );
      }),
    );
}
