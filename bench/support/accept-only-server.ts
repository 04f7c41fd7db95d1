/**
 * `siyu serve` without its background workers, for the callback benchmark's "worker off" run:
 * the same configuration, services and Fastify app as `src/cli/serve.ts`, but `startWorkers` is
 * never called, so callbacks are only accepted and queued (no inbox worker, no segment worker).
 * Siyu has no switch for the inbox worker; this stands in for one without touching the product.
 * Started by `startAcceptOnlyServer` in wecom-callbacks.ts as `node --import tsx <this file>`.
 */
import { buildApp, createServices } from '../../src/server/app.js';
import { bootstrapWorkspace } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/platform/config.js';

const config = loadConfig();
const s = await createServices(config);
await bootstrapWorkspace(s);
const app = await buildApp(s);
await app.listen({ host: config.host, port: config.port });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  try {
    await app.close();
    await s.writer.drain();
    await s.database.close();
    process.exit(0);
  } catch (err) {
    s.log.error({ err }, 'error while shutting down');
    process.exit(1);
  }
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
