/**
 * The `job_state` table (platform's): small durable state of background jobs per workspace —
 * cursors, checkpoints, once-only markers and leases — each a JSON value under a name
 * (`<module>.<what>`, e.g. `segments.feed`, `journeys.triggers`, `scrm.sop:<id>:<step>:<day>`).
 * Modules keep their state here through these functions; they never write the table directly.
 * Every function runs on the connection or transaction it is given, so a cursor can advance in the
 * same transaction as the rows it describes.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Dialect, parseJson } from './database.js';
import type { PlatformDB } from './schema.js';

type Db = Kysely<any>;
const jobs = (db: Db) => db as Kysely<PlatformDB>;

/** Reads the value named `name`; undefined when there is none. */
export async function readJobState<T>(db: Db, ws: string, name: string): Promise<T | undefined> {
  const row = await jobs(db).selectFrom('job_state').select('value').where('workspace_id', '=', ws).where('name', '=', name).executeTakeFirst();
  return row ? parseJson<T>(row.value) : undefined;
}

/** Writes (inserts or replaces) the value named `name`. */
export async function writeJobState(db: Db, ws: string, name: string, value: unknown, now: number): Promise<void> {
  await jobs(db)
    .insertInto('job_state')
    .values({ workspace_id: ws, name, value: JSON.stringify(value), updated_at: now })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'name']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.ref('excluded.updated_at') })),
    )
    .execute();
}

/** Inserts the value named `name` unless one exists; true when this call inserted it (a once-only marker). */
export async function insertJobStateIfAbsent(db: Db, ws: string, name: string, value: unknown, now: number): Promise<boolean> {
  const res = await jobs(db)
    .insertInto('job_state')
    .values({ workspace_id: ws, name, value: JSON.stringify(value), updated_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** The names among `names` that have a value. */
export async function existingJobStates(db: Db, ws: string, names: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < names.length; i += 500) {
    const rows = await jobs(db)
      .selectFrom('job_state')
      .select('name')
      .where('workspace_id', '=', ws)
      .where('name', 'in', names.slice(i, i + 500))
      .execute();
    for (const r of rows) found.add(r.name);
  }
  return found;
}

/**
 * Locks the row named `name` for the caller's transaction, creating it with `initial` first if
 * needed, and returns its value. With `skipLocked`, returns undefined at once when another
 * transaction holds it (PostgreSQL; SQLite's single writer never waits here).
 */
export async function lockJobState<T>(
  trx: Db,
  dialect: Dialect,
  ws: string,
  name: string,
  initial: T,
  now: number,
  opts: { skipLocked?: boolean } = {},
): Promise<T | undefined> {
  await insertJobStateIfAbsent(trx, ws, name, initial, now);
  const q = jobs(trx).selectFrom('job_state').select('value').where('workspace_id', '=', ws).where('name', '=', name);
  const row = await (opts.skipLocked ? dialect.claim(q) : dialect.forUpdate(q)).executeTakeFirst();
  return row ? parseJson<T>(row.value) : undefined;
}

/**
 * Reads the value named `name` under a lock of its row until the caller's transaction ends
 * (`FOR UPDATE` on PostgreSQL; SQLite's single writer needs none), without creating it: undefined
 * when there is none. Unlike {@link lockJobState} it writes nothing, so a transaction that finds
 * nothing to do stays read-only (on SQLite it then never waits for the write lock).
 */
export async function readJobStateForUpdate<T>(trx: Db, dialect: Dialect, ws: string, name: string): Promise<T | undefined> {
  const q = jobs(trx).selectFrom('job_state').select('value').where('workspace_id', '=', ws).where('name', '=', name);
  const row = await dialect.forUpdate(q).executeTakeFirst();
  return row ? parseJson<T>(row.value) : undefined;
}

/** Deletes the value named `name`. */
export async function deleteJobState(db: Db, ws: string, name: string): Promise<void> {
  await jobs(db).deleteFrom('job_state').where('workspace_id', '=', ws).where('name', '=', name).execute();
}

/** A lease held by one run of a job; see {@link takeLease}. */
export interface Lease {
  /** When the lease was taken (epoch ms). */
  readonly startedAt: number;
  /** Keeps the lease (on `db`, e.g. the transaction of a chunk); throws if another run took it over. */
  renew(db?: Db): Promise<void>;
  /** Gives the lease up (only if still held by this run). */
  release(): Promise<void>;
}

/**
 * Takes the lease named `name` for one run at a time of a job: returns undefined while another run
 * holds it. A lease not renewed for `ttlMs` belongs to a run that died (kill -9) and is taken over;
 * its holder then fails its next renew. `now` is wall time.
 */
export async function takeLease(db: Db, ws: string, name: string, ttlMs: number, now: () => number): Promise<Lease | undefined> {
  const at = now();
  const value = JSON.stringify({ token: randomBytes(9).toString('base64url'), startedAt: new Date(at).toISOString() });
  const res = await jobs(db)
    .insertInto('job_state')
    .values({ workspace_id: ws, name, value, updated_at: at })
    .onConflict((oc) =>
      oc
        .columns(['workspace_id', 'name'])
        .doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.ref('excluded.updated_at') }))
        .where('job_state.updated_at', '<', at - ttlMs),
    )
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0) !== 1) return undefined;
  // On PostgreSQL the parameter is read as jsonb, so documents compare whatever the spacing.
  const mine = (q: Db) => jobs(q).updateTable('job_state').where('workspace_id', '=', ws).where('name', '=', name).where('value', '=', value);
  return {
    startedAt: at,
    async renew(trx = db) {
      const r = await mine(trx).set({ updated_at: now() }).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1)
        throw new Error(`lease ${name} of workspace ${ws} was lost (not renewed for ${ttlMs / 60_000} minutes and taken by another run)`);
    },
    async release() {
      await jobs(db).deleteFrom('job_state').where('workspace_id', '=', ws).where('name', '=', name).where('value', '=', value).execute();
    },
  };
}

/** The start time recorded by the current holder of lease `name`, if any (for "already running since ..." messages). */
export async function leaseStartedAt(db: Db, ws: string, name: string): Promise<string | undefined> {
  return (await readJobState<{ startedAt?: string }>(db, ws, name))?.startedAt;
}

/** The start time of the live holder of lease `name` (renewed within `ttlMs`), or undefined when none holds it. */
export async function liveLeaseStartedAt(db: Db, ws: string, name: string, ttlMs: number, now: () => number): Promise<string | undefined> {
  const row = await jobs(db).selectFrom('job_state').select(['value', 'updated_at']).where('workspace_id', '=', ws).where('name', '=', name).executeTakeFirst();
  if (!row || Number(row.updated_at) < now() - ttlMs) return undefined;
  return parseJson<{ startedAt?: string }>(row.value).startedAt ?? new Date(Number(row.updated_at)).toISOString();
}
