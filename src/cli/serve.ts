import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../platform/config.js';
import { createUser } from '../access/index.js';
import { createWorkspace, listWorkspaces } from '../platform/workspaces.js';
import { generatePassword } from './user.js';
import { applySmsReceipts, followTrackedLink } from '../messaging/index.js';
import { buildApp, createServices, messagingDeps, type Services, startWorkers, stopWorkers, type WorkerName } from '../server/app.js';

/** Which parts a process runs: the HTTP API, and which workers (all, none, or some by name). */
export interface ProcessRoles {
  http: boolean;
  workers: 'all' | 'none' | readonly WorkerName[];
}

/** A usage problem of `serve`/`worker` (exit code 2, one line). */
export class RoleError extends Error {
  override name = 'RoleError';
}

/** On an empty database, creates a first workspace and writes its keys to a file (never to the log). */
export async function bootstrapWorkspace(s: Services): Promise<void> {
  if (!s.config.bootstrapWorkspace) return;
  const existing = await listWorkspaces(s.database.db);
  if (existing.length > 0) return;
  const created = await createWorkspace(s.database.db, { name: 'Default' });
  mkdirSync(s.config.dataDir, { recursive: true });
  const file = join(s.config.dataDir, 'bootstrap-keys.json');
  writeFileSync(file, JSON.stringify({ workspaceId: created.workspace.id, writeKey: created.writeKey, secretKey: created.secretKey }, null, 2) + '\n', {
    mode: 0o600,
  });
  s.log.warn(
    { workspaceId: created.workspace.id, keysFile: file },
    'first run: created workspace "Default"; its write and secret keys are in the keys file (move them somewhere safe)',
  );
  await bootstrapOwner(s, created.workspace.id);
  s.log.info(
    { setting: 'linkBaseUrl', how: 'PATCH /v1/messaging/settings {"linkBaseUrl":"https://<public address>"}', docs: 'docs/messaging.md' },
    'next step: set the public address of this server, which tracked links, the open pixel and unsubscribe links point at (messages using them are refused until it is set)',
  );
}

/** The console's address as this process serves it (SIYU_PUBLIC_URL when set). */
function consoleUrl(config: Config): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return `${(config.publicUrl ?? `http://${host}:${config.port}`).replace(/\/$/, '')}/console/`;
}

/**
 * The first run's owner login: a console user `owner@siyu.local` with a generated password, written
 * to data/first-login.json (0600). The log names the file, never the password; an interactive
 * terminal is shown the password too (a terminal is not a log).
 */
async function bootstrapOwner(s: Services, workspaceId: string): Promise<void> {
  const email = 'owner@siyu.local';
  const password = generatePassword();
  await createUser(s.access, { workspaceId, email, name: 'Owner', password, role: 'owner' });
  const file = join(s.config.dataDir, 'first-login.json');
  const url = consoleUrl(s.config);
  writeFileSync(file, JSON.stringify({ consoleUrl: url, email, password, workspaceId }, null, 2) + '\n', { mode: 0o600 });
  s.log.warn(
    { console: url, email, loginFile: file },
    'first run: sign in to the console as the owner; the password is in the login file (change it after signing in)',
  );
  if (process.stdout.isTTY) process.stdout.write(`\n  Console: ${url}\n  Sign in as ${email} with password ${password}\n  (also in ${file})\n\n`);
}

/** Refuses split roles on SQLite: one file has one writer, and the workers' claims rely on it. */
function checkRoles(config: Config, roles: ProcessRoles): void {
  const split = !roles.http || roles.workers !== 'all';
  if (split && !config.databaseUrl) {
    throw new RoleError(
      'separate API and worker processes need PostgreSQL (set DATABASE_URL): the embedded SQLite database has one writer, so run `siyu serve` alone on it',
    );
  }
}

/** Listens, turning a port already in use into one line that names it and the variable to change. */
async function listen(app: Awaited<ReturnType<typeof buildApp>>, config: Config): Promise<void> {
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new RoleError(`port ${config.port} on ${config.host} is already in use; set SIYU_PORT (or PORT) to a free port`);
    if (code === 'EACCES') throw new RoleError(`not allowed to listen on port ${config.port}; set SIYU_PORT (or PORT) to a port above 1023`);
    throw err;
  }
}

/**
 * Runs a Siyu process until SIGTERM/SIGINT: the HTTP API (`siyu serve`), its workers, or both;
 * on a signal it finishes in-flight requests and each worker's transaction, then exits.
 */
export async function run(config: Config, roles: ProcessRoles): Promise<void> {
  checkRoles(config, roles);
  // The demo brand's stand-ins (a WeCom sandbox per demo load, the SMS gateway): idle until a
  // demo is loaded from the console, and the SMS gateway's host answers no other workspace's sends.
  const { createDemoSandboxes } = await import('../../wecom-sandbox/demo.js');
  const s = await createServices(config, { demoSandboxes: createDemoSandboxes });
  // What the SMS stand-in delivers after a demo's load (messages held for quiet hours go in the
  // morning) comes back as its receipts would, and customers follow its tracked links.
  const messaging = messagingDeps(s);
  s.demoSandboxes?.report({
    receipts: (ws, r) => applySmsReceipts(messaging, ws, { timestamp: r.timestamp, signature: r.signature }, r.body),
    click: (url) => followTrackedLink(messaging, url),
    error: (err) => s.log.warn({ err }, 'demo SMS stand-in: a receipt or click could not be applied'),
  });
  if (config.encryptionKeySource === 'generated') {
    s.log.warn({ file: join(config.dataDir, 'encryption.key') }, 'generated a new encryption key for PII; back it up, or set SIYU_ENCRYPTION_KEY');
  }
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  if (roles.http) {
    await bootstrapWorkspace(s);
    app = await buildApp(s);
    try {
      await listen(app, config);
    } catch (err) {
      await app.close().catch(() => {});
      await s.close();
      throw err;
    }
  }
  const workers = roles.workers === 'none' ? [] : startWorkers(s, roles.workers === 'all' ? undefined : roles.workers);
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  s.log.info(
    { database: s.database.description, http: roles.http ? url : false, workers, console: roles.http ? `${url}/console/` : undefined },
    roles.http ? 'Siyu is ready' : 'Siyu workers are running',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    s.log.info({ signal }, 'shutting down: finishing in-flight requests and transactions');
    const timer = setTimeout(() => {
      s.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    try {
      await app?.close(); // stops accepting, waits for in-flight requests
      await stopWorkers(s); // each finishes its current transaction
      await s.writer.drain();
      await s.close();
      s.log.info('stopped');
      process.exit(0);
    } catch (err) {
      s.log.error({ err }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // A worker-only process has no server holding it open: its loops' timers are unref'd.
  if (!roles.http) setInterval(() => {}, 1 << 30);
}
