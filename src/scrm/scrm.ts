import { createClientResolver } from './connection.service.js';
import type { Scrm, ScrmDeps } from './deps.js';
import { groupCodeListener } from './livecodes/group-codes.service.js';
import { liveCodeListener } from './livecodes/live-codes.listener.js';
import { createScrmListeners } from './listeners.js';
import { churnAlertListener } from './ops/alerts.service.js';
import { handoverFailedListener } from './ops/handover.service.js';
import { createReplayGuard } from './replay-guard.js';

/**
 * Builds the SCRM module of a process (once, by the composition root): WeCom clients per
 * workspace sharing one token cache, the replay record of callbacks, and the listener registry
 * with what the SCRM features do when a WeCom event has been applied (see events.ts), in order:
 * live-code attribution, group live codes, churn alerts, handover failures.
 */
export function createScrm(deps: ScrmDeps): Scrm {
  const scrm: Scrm = { ...deps, connections: createClientResolver(deps), listeners: createScrmListeners(), replay: createReplayGuard() };
  scrm.listeners.add('live-codes', liveCodeListener);
  scrm.listeners.add('group-codes', groupCodeListener);
  scrm.listeners.add('churn-alerts', churnAlertListener);
  scrm.listeners.add('handover', handoverFailedListener);
  return scrm;
}
