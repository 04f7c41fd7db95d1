import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { newId } from '../platform/ids.js';
import { type RotationDeps, rotationStep } from '../platform/key-rotation.js';
import { type Loop, nextTurn, startLoop } from '../platform/loop.js';

/**
 * The key-rotation worker: works due rotations a batch at a time (key-rotation.ts), yielding to
 * HTTP between batches; idle, it looks again every 10 s (a rotation waits out the other processes'
 * key caches before it starts re-encrypting). Several processes may run it: a lease keeps one on each rotation.
 */
export function startKeyRotationWorker(deps: RotationDeps & { log: Logger }): Loop {
  const owner = `${hostname()}:${process.pid}:${newId('krw', deps.now())}`;
  const loop = startLoop({
    idleMs: 10_000,
    log: deps.log,
    failed: 'key rotation: a batch failed; it is retried',
    async pass() {
      for (let i = 0; i < 20 && !loop.stopped; i++) {
        if (!(await rotationStep(deps, owner))) return;
        await nextTurn();
      }
      return 0;
    },
  });
  loop.schedule(1_000);
  return loop;
}
