/**
 * Lifecycle stages of every live profile, as of `now`, counting calendar days in the workspace
 * time zone. A profile's last activity is its `last_seen_at` (any event; a purchase counts too).
 *
 *   churned   last activity more than churnedDays days ago (default 180)
 *   silent    last activity more than silentDays days ago (default 60)
 *   prospect  active, never bought
 *   new       active, first purchase within newDays days (default 30; exactly 30 days ago is within)
 *   loyal     active, order_count >= loyalMinOrders (3) and total_spent_fen >= loyalMinSpentFen (0)
 *   active    active buyer, none of the above
 *
 * Order counts, spend and purchase times are the CDP's net values (no cancelled or fully refunded order).
 * The first matching line wins (churned > silent > new > loyal > active). "More than N days ago"
 * means a local date before today - N, so a profile last seen exactly 60 days ago is not silent yet.
 *
 * Only profiles whose stage changed are written: lifecycle_stage, lifecycle_at (the run in which
 * the profile entered the stage) and a "Lifecycle Stage Changed" event {from, to} on its timeline
 * (from is null the first time), all in the chunk's transaction, so a change is recorded once.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../../platform/db/database.js';
import { writeJobState } from '../../platform/db/job-state.js';
import type { SegmentsSqlDB } from '../schema.js';
import { LIFECYCLE_STAGES, type LifecycleStage } from '../rule.types.js';
import { recordSystemEvents, type SystemEvent } from '../../cdp/index.js';
import { clearScoresOfMergedProfiles, forEachChunk, type RunContext, storedScores } from './run.js';
import type { LifecycleSettings, ModelSettings } from './settings.js';
import { daysAgoStart } from '../../platform/time.js';

/** The timeline event written when a profile's stage changes. */
export const LIFECYCLE_CHANGED_EVENT = 'Lifecycle Stage Changed';

/** What the stage of one profile depends on. */
export interface LifecycleFacts {
  orderCount: number;
  totalSpentFen: number;
  firstPurchaseAt: number | null;
  /** Last activity (epoch ms). */
  lastActiveAt: number;
}

/** The instants a run compares with: an instant at or after `xFrom` is within the x window. */
export interface LifecycleCutoffs {
  /** Activity at or after this keeps a profile out of silent. */
  activeFrom: number;
  /** Activity at or after this keeps a profile out of churned. */
  notChurnedFrom: number;
  /** A first purchase at or after this makes a buyer new. */
  newFrom: number;
}

/** What one lifecycle run did. */
export interface LifecycleRunReport {
  computedAt: string;
  profiles: number;
  stages: Record<LifecycleStage, number>;
  /** Profiles whose stage changed (each got one timeline event). */
  changed: number;
  /** Merged-away profiles whose stage was cleared. */
  cleared: number;
}

/** The cut-off instants of a run at `now`. */
export function lifecycleCutoffs(now: number, s: LifecycleSettings, timeZone: string): LifecycleCutoffs {
  return {
    activeFrom: daysAgoStart(now, s.silentDays, timeZone),
    notChurnedFrom: daysAgoStart(now, s.churnedDays, timeZone),
    newFrom: daysAgoStart(now, s.newDays, timeZone),
  };
}

/** The stage of one profile (see the module comment for the rules and their precedence). */
export function lifecycleStage(p: LifecycleFacts, cut: LifecycleCutoffs, s: LifecycleSettings): LifecycleStage {
  if (p.lastActiveAt < cut.notChurnedFrom) return 'churned';
  if (p.lastActiveAt < cut.activeFrom) return 'silent';
  if (p.orderCount <= 0) return 'prospect';
  if (p.firstPurchaseAt !== null && p.firstPurchaseAt >= cut.newFrom) return 'new';
  if (p.orderCount >= s.loyalMinOrders && p.totalSpentFen >= s.loyalMinSpentFen) return 'loyal';
  return 'active';
}

/** Last activity: last_seen_at, or the last purchase if later; a profile never seen counts from its creation. */
function lastActive(p: { last_seen_at: number | null; last_purchase_at: number | null; created_at: number }): number {
  const seen = p.last_seen_at === null ? null : Number(p.last_seen_at);
  const bought = p.last_purchase_at === null ? null : Number(p.last_purchase_at);
  if (seen === null && bought === null) return Number(p.created_at);
  return Math.max(seen ?? -Infinity, bought ?? -Infinity);
}

/**
 * Computes the stage of every live profile as of `now`; writes the changed ones with their
 * timeline events, and clears the stage of merged-away profiles (no event: they have no timeline).
 */
export async function computeLifecycle(
  db: Kysely<SegmentsSqlDB>,
  dialect: Dialect,
  ws: string,
  now: number,
  settings: ModelSettings,
  ctx: RunContext,
): Promise<LifecycleRunReport> {
  const s = settings.lifecycle;
  const cut = lifecycleCutoffs(now, s, settings.timeZone);
  const stages = Object.fromEntries(LIFECYCLE_STAGES.map((x) => [x, 0])) as Record<LifecycleStage, number>;
  let changed = 0;
  const total = Number(
    (
      await db
        .selectFrom('profiles')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', ws)
        .where('merged_into', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );

  await forEachChunk(db, dialect, ctx, total, async (trx, after, limit) => {
    let q = trx
      .selectFrom('profiles')
      .select(['id', 'order_count', 'total_spent_fen', 'first_purchase_at', 'last_purchase_at', 'last_seen_at', 'created_at'])
      .where('workspace_id', '=', ws)
      .where('merged_into', 'is', null)
      .orderBy('id')
      .limit(limit);
    if (after !== null) q = q.where('id', '>', after);
    const rows = await q.execute();
    if (rows.length === 0) return { ids: [] };
    const before = await storedScores(trx, ws, after, rows[rows.length - 1]!.id, 'lifecycle_stage');
    const scores: Record<string, unknown>[] = [];
    const events: SystemEvent[] = [];
    const tally = new Map<LifecycleStage, number>();
    for (const p of rows) {
      const stage = lifecycleStage(
        {
          orderCount: Number(p.order_count),
          totalSpentFen: Number(p.total_spent_fen),
          firstPurchaseAt: p.first_purchase_at === null ? null : Number(p.first_purchase_at),
          lastActiveAt: lastActive(p),
        },
        cut,
        s,
      );
      tally.set(stage, (tally.get(stage) ?? 0) + 1);
      const from = before.get(p.id) ?? null;
      if (stage === from) continue;
      scores.push({ workspace_id: ws, profile_id: p.id, lifecycle_stage: stage, lifecycle_at: now });
      events.push({ workspaceId: ws, profileId: p.id, event: LIFECYCLE_CHANGED_EVENT, properties: { from, to: stage }, at: now });
    }
    await dialect.insertMany(trx, 'profile_scores', scores, { columns: ['workspace_id', 'profile_id'], update: ['lifecycle_stage', 'lifecycle_at'] });
    await recordSystemEvents(trx, dialect, events);
    return {
      ids: rows.map((p) => p.id),
      committed: () => {
        tally.forEach((k, stage) => void (stages[stage] += k));
        changed += scores.length;
      },
    };
  });

  const cleared = { numUpdatedRows: BigInt(await clearScoresOfMergedProfiles(db, ws, 'lifecycle_stage', { lifecycle_stage: null, lifecycle_at: null })) };

  const report: LifecycleRunReport = {
    computedAt: new Date(now).toISOString(),
    profiles: Object.values(stages).reduce((a, b) => a + b, 0),
    stages,
    changed,
    cleared: Number(cleared.numUpdatedRows),
  };
  await writeJobState(db, ws, 'models.lifecycle', report, now);
  return report;
}
