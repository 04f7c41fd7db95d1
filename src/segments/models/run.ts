/**
 * What the three models share: chunked transactions with retries, their run state in `job_state`,
 * and the per-workspace lease that keeps two runs of the models from overlapping.
 */
import { randomBytes } from 'node:crypto';
import { type Kysely, sql, type Updateable } from 'kysely';
import type { Clock } from '../../platform/clock.js';
import { type Dialect, parseJson } from '../../platform/db/database.js';
import type { DB, ProfileScoresTable } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { SegmentError } from '../errors.js';

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
export async function transact<T>(db: Kysely<DB>, dialect: Dialect, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
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
  db: Kysely<DB>,
  dialect: Dialect,
  ctx: RunContext,
  total: number,
  step: (trx: Kysely<DB>, after: string | null, limit: number) => Promise<ChunkResult>,
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
  trx: Kysely<DB>,
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

/** Reads a model's run state (`models.<name>` in job_state). */
export async function readJobState<T>(db: Kysely<DB>, ws: string, name: string): Promise<T | undefined> {
  const row = await db.selectFrom('job_state').select('value').where('workspace_id', '=', ws).where('name', '=', name).executeTakeFirst();
  return row ? parseJson<T>(row.value) : undefined;
}

/** Writes a model's run state. */
export async function writeJobState(db: Kysely<DB>, ws: string, name: string, value: unknown, at: number): Promise<void> {
  await db
    .insertInto('job_state')
    .values({ workspace_id: ws, name, value: JSON.stringify(value), updated_at: at })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'name']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.ref('excluded.updated_at') })),
    )
    .execute();
}

const LEASE = 'models.lease';
/** A lease not renewed for this long belongs to a run that died; another run may take it. */
export const LEASE_MS = 10 * 60_000;

/** The lease held by one run of the models; renewed after every chunk. */
export interface Lease {
  renew(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Takes the workspace's models lease, or throws AppError CONFLICT when another run holds it.
 * One run at a time keeps lifecycle events exactly once per change: two overlapping runs would
 * both see the old stage and both record the change. The lease is a job_state row whose
 * `updated_at` is renewed by the holder; times come from `clock` (wall time, not the models' `now`).
 */
export async function takeLease(db: Kysely<DB>, ws: string, clock: Clock): Promise<Lease> {
  const token = JSON.stringify({ token: randomBytes(9).toString('base64url'), startedAt: new Date(clock.now()).toISOString() });
  const at = clock.now();
  const res = await db
    .insertInto('job_state')
    .values({ workspace_id: ws, name: LEASE, value: token, updated_at: at })
    .onConflict((oc) =>
      oc
        .columns(['workspace_id', 'name'])
        .doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.ref('excluded.updated_at') }))
        .where('job_state.updated_at', '<', at - LEASE_MS),
    )
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0) !== 1) {
    const held = await readJobState<{ startedAt: string }>(db, ws, LEASE);
    throw new SegmentError(
      'CONFLICT',
      `the models of this workspace are already being computed (a run started at ${held?.startedAt ?? 'an unknown time'}); try again when it has finished`,
    );
  }
  return {
    async renew() {
      const r = await db
        .updateTable('job_state')
        .set({ updated_at: clock.now() })
        .where('workspace_id', '=', ws)
        .where('name', '=', LEASE)
        .where('value', '=', token)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1)
        throw new Error(`models lease of workspace ${ws} was lost (not renewed for ${LEASE_MS / 60_000} minutes and taken by another run)`);
    },
    async release() {
      await db.deleteFrom('job_state').where('workspace_id', '=', ws).where('name', '=', LEASE).where('value', '=', token).execute();
    },
  };
}

/**
 * Clears one model's columns on score rows whose profile is gone or merged away (and, for RFM,
 * whose profile is no longer a buyer); returns the row count.
 */
export async function clearScoresOfMergedProfiles(
  db: Kysely<DB>,
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
