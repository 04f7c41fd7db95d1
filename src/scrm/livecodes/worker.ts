import { startLoop } from '../../platform/loop.js';
import type { Scrm } from '../deps.js';
import { liveDepsOf } from './context.js';
import { runLiveCodeMaintenance } from './live-codes.service.js';

/** A running live-code maintenance loop. */
export interface LiveCodeWorker {
  /** Waits for the pass in progress, then stops. */
  stop(): Promise<void>;
}

/**
 * Runs {@link runLiveCodeMaintenance} every `intervalMs` (default a minute): expired codes lose
 * their contact way within a minute of expiry, and capped staff come back within a minute of
 * local midnight. Passes never overlap; a failed pass is logged and the next one tries again.
 */
export function startLiveCodeWorker(scrm: Scrm, opts: { intervalMs?: number } = {}): LiveCodeWorker {
  const deps = liveDepsOf(scrm);
  const intervalMs = opts.intervalMs ?? 60_000;
  const loop = startLoop({
    pass: async () => {
      const r = await runLiveCodeMaintenance(deps);
      if (r.expired || r.rebalanced) deps.log.info(r, 'live codes maintained');
    },
    idleMs: intervalMs,
    fixedRate: true,
    log: deps.log,
    failed: 'live code maintenance failed; retrying next interval',
  });
  loop.schedule(intervalMs);
  return { stop: loop.stop };
}
