/**
 * What the three models share: chunked transactions with retries, their run state in `job_state`,
 * and the per-workspace lease that keeps two runs of the models from overlapping.
 */
import { type Kysely, sql, type Updateable } from 'kysely';
import type { Clock } from '../../platform/clock.js';
import type { Dialect } from '../../platform/db/database.js';
import { type Lease, leaseStartedAt, takeLease as takeJobLease } from '../../platform/db/job-state.js';
import { SegmentError } from '../errors.js';
import type { ProfileScoresTable, SegmentsSqlDB } from '../schema.js';

/** Profiles per chunk transaction: big enough that per-statement costs vanish, small enough to hold writers back only briefly. */
export const DEFAULT_CHUNK_SIZE = 5000;

/** How one model run is driven. */
export interface RunContext {
  /** Profiles per chunk. */
  chunkSize: number;
  /** Called after every chunk with the profiles done so far and the total expected. */
  progress(done: number, total: number): void;
  /** Called after every chunk; keeps the run's lease alive (throws when it was lost). */
  heartbeat(): Promise<void>;
}

/** A run context that reports nothing and holds no lease (for calling one model directly). */
export function plainRun(chunkSize = DEFAULT_CHUNK_SIZE): RunContext {
  return { chunkSize, progress: () => {}, heartbeat: async () => {} };
}

/** Runs `fn` in a transaction, again (up to 5 times) when it fails for a reason the dialect calls retryable. */
export async function transact<T>(db: Kysely<SegmentsSqlDB>, dialect: Dialect, fn: (trx: Kysely<SegmentsSqlDB>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn);
    } catch (err) {
      if (attempt >= 5 || !dialect.isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, 2 ** attempt + Math.random() * 10));
    }
  }
}

/** One chunk's outcome: the ids it covered (in order) and what to count once its transaction committed. */
export interface ChunkResult {
  ids: string[];
  /** Called after the commit (not for attempts that were rolled back and retried). */
  committed?: () => void;
}

/**
 * Walks profiles of a workspace in id order, `ctx.chunkSize` at a time (keyset pagination:
 * `id > last id of the previous chunk`), each chunk in its own transaction, retried when the
 * engine reports a retryable conflict. `step` reads and writes one chunk.
 */
export async function forEachChunk(
  db: Kysely<SegmentsSqlDB>,
  dialect: Dialect,
  ctx: RunContext,
  total: number,
  step: (trx: Kysely<SegmentsSqlDB>, after: string | null, limit: number) => Promise<ChunkResult>,
): Promise<void> {
  let after: string | null = null;
  let done = 0;
  for (;;) {
    const from: string | null = after;
    const { ids, committed }: ChunkResult = await transact(db, dialect, (trx) => step(trx, from, ctx.chunkSize));
    committed?.();
    done += ids.length;
    if (ids.length > 0) {
      after = ids[ids.length - 1]!;
      ctx.progress(done, Math.max(done, total));
      await ctx.heartbeat();
    }
    if (ids.length < ctx.chunkSize) return;
  }
}

/**
 * The non-null values of one profile_scores column for the profile ids in (after, last] — a range
 * of the primary key. Read apart from the chunk's profiles rather than joined to them: PostgreSQL
 * planned the join from statistics taken while profile_scores was still empty and scanned all of
 * it for every chunk (measured, 200,000 profiles: 0.3-0.8 s a chunk).
 */
export async function storedScores(
  trx: Kysely<SegmentsSqlDB>,
  ws: string,
  after: string | null,
  last: string,
  column: 'lifecycle_stage' | 'community_role',
): Promise<Map<string, string>> {
  let q = trx
    .selectFrom('profile_scores')
    .select(['profile_id', sql.ref<string>(column).as('value')])
    .where('workspace_id', '=', ws)
    .where('profile_id', '<=', last)
    .where(column, 'is not', null);
  if (after !== null) q = q.where('profile_id', '>', after);
  return new Map((await q.execute()).map((r) => [r.profile_id, r.value]));
}

const LEASE = 'models.lease';
/** A lease not renewed for this long belongs to a run that died; another run may take it. */
export const LEASE_MS = 10 * 60_000;

/**
 * Takes the workspace's models lease, or throws AppError CONFLICT when another run holds it.
 * One run at a time keeps lifecycle events exactly once per change: two overlapping runs would
 * both see the old stage and both record the change. The lease is a job_state row whose
 * `updated_at` is renewed by the holder after every chunk; times come from `clock` (wall time,
 * not the models' `now`).
 */
export async function takeLease(db: Kysely<SegmentsSqlDB>, ws: string, clock: Clock): Promise<Lease> {
  const lease = await takeJobLease(db, ws, LEASE, LEASE_MS, () => clock.now());
  if (lease) return lease;
  const startedAt = await leaseStartedAt(db, ws, LEASE);
  throw new SegmentError(
    'CONFLICT',
    `the models of this workspace are already being computed (a run started at ${startedAt ?? 'an unknown time'}); try again when it has finished`,
  );
}

/**
 * Clears one model's columns on score rows whose profile is gone or merged away (and, for RFM,
 * whose profile is no longer a buyer); returns the row count.
 */
export async function clearScoresOfMergedProfiles(
  db: Kysely<SegmentsSqlDB>,
  ws: string,
  column: 'lifecycle_stage' | 'community_role' | 'rfm_cell',
  clear: Updateable<ProfileScoresTable>,
  opts: { buyersOnly?: boolean } = {},
): Promise<number> {
  const res = await db
    .updateTable('profile_scores')
    .set(clear)
    .where('workspace_id', '=', ws)
    .where(column, 'is not', null)
    .where(({ not, exists, selectFrom }) => {
      let scored = selectFrom('profiles as p')
        .select('p.id')
        .whereRef('p.workspace_id', '=', 'profile_scores.workspace_id')
        .whereRef('p.id', '=', 'profile_scores.profile_id')
        .where('p.merged_into', 'is', null);
      if (opts.buyersOnly) scored = scored.where('p.order_count', '>', 0).where('p.last_purchase_at', 'is not', null);
      return not(exists(scored));
    })
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}
