/**
 * The journey worker of a process: triggers, early wake-ups for awaited events, and executor
 * passes. Event arrivals reach waiting states two ways (both only wake a state; the executor
 * then checks the `events` table itself, so neither can make a wrong decision):
 * - fast: `cdp.events-committed` on the hub marks this process's committed events' listeners due;
 * - durable: every `sweepMs` a sweep marks due any listening state whose profile received a
 *   matching event since the last sweep (events ingested by another process, or a listener that
 *   was lost to a crash). At the latest, a wait-for-event decides at its timeout by reading events.
 */
import { sql } from 'kysely';
import { profileHasEvent } from '../cdp/index.js';
import { nextTurn, startLoop } from '../platform/loop.js';
import { journeysDb } from './db.js';
import type { JourneyDeps } from './deps.js';
import { createExecutor, type Executor, type PassStats } from './executor.js';
import { runTriggers, type TriggerStats } from './triggers.js';

/** The background journey worker. */
export interface JourneyWorker {
  /** Asks for a cycle now (new entries, committed events). */
  wake(): void;
  /** One full cycle: triggers, the listener sweep, executor passes until nothing is due (tests use this with a fixed clock). */
  runOnce(): Promise<{ triggers: TriggerStats; passes: PassStats }>;
  stop(): Promise<void>;
}

/** Options of the worker loop. */
export interface JourneyWorkerOptions {
  /** States claimed per transaction (default 200). */
  batchSize?: number;
  /** Longest idle sleep (default 1,000 ms). */
  pollMs?: number;
  /** Interval of the durable listener sweep and trigger pass (default 5,000 ms). */
  sweepMs?: number;
}

/** Marks due the listening states of these profiles that wait for one of these events (the fast path). */
export async function wakeListeners(deps: JourneyDeps, ws: string, profileIds: string[], events: string[], now: number): Promise<number> {
  if (profileIds.length === 0 || events.length === 0) return 0;
  let n = 0;
  for (let i = 0; i < profileIds.length; i += 500) {
    const res = await journeysDb(deps.database.db)
      .updateTable('journey_states')
      .set({ wake_at: now })
      .where('workspace_id', '=', ws)
      .where('subject_id', 'in', profileIds.slice(i, i + 500))
      .where('status', '=', 'active')
      .where('listen', 'is not', null)
      .where('wake_at', '>', now)
      .where((eb) => eb.or(events.map((e) => eb('listen', 'like', `%|${e.replace(/[\\%_]/g, '_')}|%`))))
      .executeTakeFirst();
    n += Number(res.numUpdatedRows ?? 0);
  }
  return n;
}

/**
 * True for a `journey_states` row whose profile received an event it listens for, dated at or
 * after its step, received after `since` (the listener sweep's condition).
 */
function listenedEventReceivedSince(since: number) {
  return profileHasEvent({
    workspaceId: sql.ref('journey_states.workspace_id'),
    profileId: sql.ref('journey_states.subject_id'),
    event: (name) => sql`journey_states.listen like '%|' || ${name} || '|%'`,
    from: sql.ref('journey_states.step_at'),
    receivedAfter: since,
  });
}

/** The durable path: marks due every listening state whose profile received a matching event after `since` (by receive time). */
export async function sweepListeners(deps: JourneyDeps, since: number, now: number): Promise<number> {
  const res = await journeysDb(deps.database.db)
    .updateTable('journey_states')
    .set({ wake_at: now })
    .where('status', '=', 'active')
    .where('listen', 'is not', null)
    .where('wake_at', '>', now)
    .where(listenedEventReceivedSince(since))
    .executeTakeFirst();
  return Number(res.numUpdatedRows ?? 0);
}

/** The worker's cycle: triggers and the listener sweep every `sweepMs` (or when forced), then executor passes until nothing is due. */
function createCycle(deps: JourneyDeps, opts: JourneyWorkerOptions, stopped: () => boolean) {
  const sweepMs = opts.sweepMs ?? 5000;
  const batchSize = opts.batchSize ?? 200;
  const executor: Executor = createExecutor(deps);
  let lastSweep = 0;
  let sweptUpTo = deps.now();

  async function cycle(force: boolean): Promise<{ triggers: TriggerStats; passes: PassStats }> {
    const started = Date.now();
    let triggers: TriggerStats = { workspaces: 0, entered: 0 };
    if (force || Date.now() - lastSweep >= sweepMs) {
      lastSweep = Date.now();
      const now = deps.now();
      triggers = await runTriggers(deps);
      await sweepListeners(deps, sweptUpTo - 60_000, now);
      sweptUpTo = now;
    }
    const passes: PassStats = { claimed: 0, steps: 0, sends: 0 };
    for (;;) {
      const p = await executor.runOnce({ batchSize });
      passes.claimed += p.claimed;
      passes.steps += p.steps;
      passes.sends += p.sends;
      if (p.claimed < batchSize || stopped()) break;
      // better-sqlite3 answers synchronously, so a run of batches would be one unbroken chain of
      // microtasks: yield, or HTTP requests (and /health) wait for the whole backlog.
      await nextTurn();
    }
    if (passes.claimed || triggers.entered) deps.log.debug({ ...passes, entered: triggers.entered, ms: Date.now() - started }, 'journey cycle');
    return { triggers, passes };
  }
  return {
    cycle,
    executor,
    /** The next cycle runs the trigger pass (event triggers, segment entries and exits). */
    triggersDue: () => void (lastSweep = 0),
  };
}

/**
 * Starts the worker loop of a process. It hears on the hub: committed ingest (wakes listeners at
 * once), segment membership changes and new entries (wake the loop); it unsubscribes on `stop`.
 */
export function startJourneyWorker(deps: JourneyDeps, opts: JourneyWorkerOptions = {}): JourneyWorker {
  const pollMs = opts.pollMs ?? 1000;
  const { cycle, executor, triggersDue } = createCycle(deps, opts, () => loop.stopped);

  /** Until the earliest state's wake-up, at most `pollMs`. */
  async function nextDelay(): Promise<number> {
    try {
      const t = await executor.nextWake();
      if (t !== undefined) return Math.max(0, Math.min(pollMs, t - deps.now()));
    } catch {
      /* the next cycle logs a broken database */
    }
    return pollMs;
  }

  const loop = startLoop({
    pass: async () => {
      await cycle(false);
      return nextDelay();
    },
    idleMs: pollMs,
    log: deps.log,
    failed: 'journey worker cycle failed',
    againMs: 0,
  });

  const unsubscribe = [
    deps.hub.on('cdp.events-committed', ({ workspaceId, profileIds, events }) => {
      const names = [...new Set(events.filter((e) => e.type === 'track' && e.event).map((e) => e.event!))];
      wakeListeners(deps, workspaceId, profileIds, names, deps.now())
        .then(() => {
          triggersDue(); // event triggers: a trigger pass soon
          loop.schedule(50);
        })
        .catch((err) => deps.log.warn({ err }, 'journey listener wake-up failed'));
    }),
    // Segment entries and exits: run the trigger pass soon (its cursor reads them from the tables).
    deps.hub.on('segments.membership-changed', () => {
      triggersDue();
      loop.schedule(50);
    }),
    deps.hub.on('journeys.entered', () => loop.schedule(0)),
  ];
  loop.schedule(0);

  return {
    wake: () => loop.schedule(0),
    runOnce: () => loop.exclusive(() => cycle(true)),
    async stop() {
      for (const off of unsubscribe) off();
      await loop.stop();
    },
  };
}
