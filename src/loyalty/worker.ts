/**
 * The loyalty worker: the earning rules over the CDP's committed events, birthday bonuses, the release of held order
 * points, the moves of merged profiles' points and tiers, the expiry of due lots and the `Points Expiring`
 * notices, tier upgrades, evaluations and paid membership ends, the loyalty traits, and the cancellation of group-buys past their deadline. Woken by `cdp.events-committed`; otherwise a pass every `intervalMs`. Every step is
 * durable on its own (cursors, award rows, keyed entries) and safe with several worker processes
 * on one PostgreSQL (claims with SKIP LOCKED, account locks).
 */
import { nextTurn, startLoop } from '../platform/loop.js';
import type { LoyaltyDeps } from './deps.js';
import { runBirthdays } from './birthday.service.js';
import { runExpiry } from './expiry.service.js';
import { cancelDueGroups } from './group-buys.worker.js';
import { releaseDue } from './holds.service.js';
import { moveMergesInto, sweepMerged } from './merges.service.js';
import { runAttributionEvents } from './referrals.events.js';
import { runReferralOrders } from './referrals.orders.js';
import { runRules } from './rules.engine.js';
import { tierMultiplierOf } from './members.service.js';
import { syncLoyaltyTraits } from './members.traits.js';
import { moveTierMergesInto, sweepTierMerges } from './tiers.merges.js';
import { runTiers } from './tiers.worker.js';

/** Most profiles of committed batches checked for merged accounts per pass; beyond, the sweep finds them. */
const HUB_MERGE_CHECKS = 2_000;

/** A running loyalty worker. */
export interface LoyaltyWorker {
  /** Runs one pass now (after the one in progress) and resolves when it has ended. */
  runOnce(): Promise<void>;
  /** Waits for the pass in progress, then stops. */
  stop(): Promise<void>;
}

/** One pass of everything the worker does, at the clock's now; `survivors` are the profiles of committed batches (merges to move). */
export async function loyaltyPass(deps: LoyaltyDeps, survivors: Map<string, Set<string>>, opts: { sweepMerges?: boolean; stopped?: () => boolean } = {}) {
  const { database } = deps;
  let tierMerges = 0;
  for (const [ws, ids] of survivors) {
    survivors.delete(ws);
    await moveMergesInto(database, ws, [...ids], deps.now);
    tierMerges += await moveTierMergesInto(database, ws, [...ids], deps.now);
  }
  const merged = opts.sweepMerges ? await sweepMerged(database, deps.now) : undefined;
  if (opts.sweepMerges) tierMerges += await sweepTierMerges(database, deps.now);
  await nextTurn();
  // The tier multiplier is read in the engine's transaction (SQLite has one connection).
  const rules = await runRules({ ...deps, tierMultiplier: deps.tierMultiplier ?? ((ws, p, conn) => tierMultiplierOf(conn ?? database.db, ws, p)) });
  const birthdays = await runBirthdays(database, deps.now, deps.timeZoneOf);
  const released = await releaseDue(database, deps.now(), deps.timeZoneOf);
  const attributions = await runAttributionEvents(deps);
  const referrals = await runReferralOrders(deps);
  const expiry = await runExpiry(database, deps.now(), { stopped: opts.stopped });
  const groupBuysCancelled = await cancelDueGroups(database, deps.now());
  // Tiers after the postings (upgrades at once), then the traits segments read.
  const tiers = await runTiers(deps);
  const traits = await syncLoyaltyTraits(deps);
  return { rules, birthdays, released, attributions, referrals, expiry, merged, tierMerges, groupBuysCancelled, tiers, traits };
}

/**
 * Starts the worker. Committed events wake it at once (their survivors are checked for merged
 * accounts); the sweep of merged accounts runs once an hour, and at start.
 */
export function startLoyaltyWorker(deps: LoyaltyDeps, opts: { intervalMs?: number; sweepMs?: number } = {}): LoyaltyWorker {
  const intervalMs = opts.intervalMs ?? 30_000;
  const sweepMs = opts.sweepMs ?? 3_600_000;
  const survivors = new Map<string, Set<string>>();
  let lastSweep = 0;
  const loop = startLoop({
    pass: async () => {
      const sweep = Date.now() - lastSweep >= sweepMs;
      const r = await loyaltyPass(deps, survivors, { sweepMerges: sweep, stopped: () => loop.stopped });
      if (sweep) lastSweep = Date.now();
      if (
        r.rules.awards ||
        r.referrals.rewards ||
        r.referrals.commissions ||
        r.referrals.reversed ||
        r.birthdays ||
        r.rules.clawedBack ||
        r.released ||
        r.expiry.lots ||
        r.expiry.notices ||
        r.merged?.accounts ||
        r.tierMerges ||
        r.groupBuysCancelled ||
        r.tiers.upgraded ||
        r.tiers.downgraded ||
        r.tiers.paidExpired
      )
        deps.log.info(r, 'loyalty pass');
    },
    idleMs: intervalMs,
    log: deps.log,
    failed: 'loyalty pass failed; retrying next interval',
  });
  const off = deps.hub.on('cdp.events-committed', (e) => {
    const held = survivors.get(e.workspaceId) ?? new Set<string>();
    // One look-up per profile: bulk batches (imports) are left to the hourly sweep rather than checked profile by profile.
    if (held.size + e.profileIds.length <= HUB_MERGE_CHECKS) {
      for (const id of e.profileIds) held.add(id);
      survivors.set(e.workspaceId, held);
    }
    loop.schedule(1_000);
  });
  loop.wake();
  return {
    runOnce: () => loop.runOnce(),
    stop: async () => {
      off();
      await loop.stop();
    },
  };
}
