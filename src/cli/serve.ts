import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, createServices, type Services, startWorkers, stopWorkers } from '../server/app.js';
import type { Config } from '../platform/config.js';
import { createWorkspace, listWorkspaces } from '../platform/workspaces.js';

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
}

/** Runs the HTTP server until SIGTERM/SIGINT, then finishes in-flight requests and commits before exiting. */
export async function serve(config: Config): Promise<void> {
  const s = await createServices(config);
  if (config.encryptionKeySource === 'generated') {
    s.log.warn({ file: join(config.dataDir, 'encryption.key') }, 'generated a new encryption key for PII; back it up, or set SIYU_ENCRYPTION_KEY');
  }
  await bootstrapWorkspace(s);
  const app = await buildApp(s);
  await app.listen({ host: config.host, port: config.port });
  startWorkers(s);
  s.log.info({ database: s.database.description }, 'Siyu is ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    s.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      s.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    try {
      await app.close(); // stops accepting, waits for in-flight requests
      await stopWorkers(s); // each finishes its current transaction
      await s.writer.drain();
      await s.database.close();
      s.log.info('stopped');
      process.exit(0);
    } catch (err) {
      s.log.error({ err }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
