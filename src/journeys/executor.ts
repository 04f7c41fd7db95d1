/**
 * The durable executor. A journey state row is the whole truth about one (journey, subject,
 * entry): current step, `wake_at`, attempt. A pass claims due rows in a small batch (`FOR
 * UPDATE SKIP LOCKED` on PostgreSQL, so several processes share the work without overlap; SQLite
 * has one writer), advances each as far as it can go without waiting, and writes everything —
 * the new state, the step log, A/B assignments, and outbox rows for sends — in the one
 * transaction that holds the claim. A crash anywhere rolls the batch back and the rows are
 * claimed again: a retry, never a duplicate (each outbox row also carries a unique idempotency
 * key `journey:<state id>:<step id>:<step number>`).
 *
 * claim.ts claims; pass.ts runs a pass; steps/ holds one handler per step type.
 */
import { parseJson } from '../platform/db/database.js';
import { claimDue, dueStateIds, earliestWake, recordFailure } from './claim.js';
import { type Conn, journeysDb } from './db.js';
import type { Definition } from './definition.js';
import type { JourneyDeps } from './deps.js';
import { type DefinitionOf, type PassStats, runPass } from './pass.js';

export type { PassStats } from './pass.js';

/** The executor of one process: `runOnce` claims and advances one batch. */
export interface Executor {
  runOnce(opts?: { batchSize?: number }): Promise<PassStats>;
  /** The earliest `wake_at` of an active state (when the next pass has work), or undefined. */
  nextWake(): Promise<number | undefined>;
}

/** Definitions by version, cached (a published version never changes). */
function definitionCache(): DefinitionOf {
  const cache = new Map<string, Definition>();
  return async (trx: Conn, ws, journeyId, version) => {
    const key = `${ws}\u0000${journeyId}\u0000${version}`;
    let def = cache.get(key);
    if (!def) {
      const row = await journeysDb(trx)
        .selectFrom('journey_versions')
        .select('definition')
        .where('workspace_id', '=', ws)
        .where('journey_id', '=', journeyId)
        .where('version', '=', version)
        .executeTakeFirstOrThrow();
      def = parseJson<Definition>(row.definition);
      cache.set(key, def);
    }
    return def;
  };
}

/** Creates an executor; definitions (immutable per version) are cached for its lifetime. */
export function createExecutor(deps: JourneyDeps): Executor {
  const { database } = deps;
  const definitionOf = definitionCache();
  const none = () => ({ claimed: 0, steps: 0, sends: 0, sentIn: new Set<string>() });

  /** One claim and pass in one transaction. */
  function runBatch(now: number, limit: number, ids?: string[]) {
    return database.db.transaction().execute(async (trx) => {
      const rows = await claimDue(trx, database, now, limit, ids);
      return rows.length === 0 ? none() : runPass(trx, deps, definitionOf, rows, now);
    });
  }

  /** One bad state must not hold up the batch: find it by running the due rows one by one. */
  async function oneByOne(now: number, limit: number) {
    const stats = none();
    for (const id of await dueStateIds(database, now, limit)) {
      try {
        const s = await runBatch(now, 1, [id]);
        stats.claimed += s.claimed;
        stats.steps += s.steps;
        stats.sends += s.sends;
        for (const ws of s.sentIn) stats.sentIn.add(ws);
      } catch (e) {
        deps.log.error({ err: e, stateId: id }, 'journey step failed');
        await recordFailure(database, id, e, now);
      }
    }
    return stats;
  }

  return {
    async runOnce(opts = {}) {
      const now = deps.now();
      const limit = opts.batchSize ?? 200;
      let stats;
      try {
        stats = await runBatch(now, limit);
      } catch (err) {
        if (database.dialect.isRetryable(err)) throw err;
        deps.log.warn({ err }, 'journey batch failed; advancing states one by one');
        stats = await oneByOne(now, limit);
      }
      // After the commit: the outbox has new rows for the dispatcher.
      for (const ws of stats.sentIn) deps.hub.emit('messaging.outbox-has-work', { workspaceId: ws });
      return { claimed: stats.claimed, steps: stats.steps, sends: stats.sends };
    },
    nextWake: () => earliestWake(database),
  };
}
