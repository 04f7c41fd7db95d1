/**
 * The durable inbox of WeCom callbacks and its processor. The callback route inserts a row and
 * answers; workers claim due rows in small batches, apply each (handlers.ts), publish its SCRM
 * events, and mark it done. A failure is recorded on the row and retried with exponential
 * back-off; after `maxAttempts` the row is marked failed and left for an operator.
 *
 * Claiming takes a lease instead of holding a lock while WeCom is called: a claim moves
 * `next_attempt_at` to now + lease and counts the attempt, in one short statement (with
 * `FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent workers take different rows). A worker
 * killed mid-row leaves it pending; another worker takes it when the lease runs out, and on
 * SQLite, where one process owns the database, the next start makes such rows due at once.
 * Applying is idempotent, so a row applied but not marked done before a crash is applied again
 * harmlessly and its events are published again (listeners are idempotent by contract).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../platform/db/database.js';
import { startLoop } from '../platform/loop.js';
import type { DB } from '../platform/db/schema.js';
import type { Scrm } from './deps.js';
import type { ScrmContext } from './events.js';
import { applyInboxMessage } from './handlers/apply.js';
import { ErasedContactError, type HandlerDeps, type InboxItem, UnusableEventError } from './handlers/context.js';
import { SCRM_INBOX_HAS_WORK } from './hub-events.js';
import type { ScrmListeners } from './listeners.js';
import { scrmDb as scrm, type WeComInboxTable } from './schema.js';

/** A new inbox row as the callback route writes it. */
export interface NewInboxRow {
  workspace_id: string;
  id: string;
  dedup_key: string;
  kind: string;
  payload: string;
  received_at: number;
}

/** Inserts a pending row unless one with the same dedup key exists; returns the row's id and whether it existed. */
export async function enqueueInbox(db: Kysely<DB>, row: NewInboxRow): Promise<{ id: string; duplicate: boolean }> {
  const res = await scrm(db)
    .insertInto('wecom_inbox')
    .values({ ...row, status: 'pending', attempts: 0, error: null, next_attempt_at: row.received_at, processed_at: null })
    .onConflict((oc) => oc.columns(['workspace_id', 'dedup_key']).doNothing())
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0) > 0) return { id: row.id, duplicate: false };
  const existing = await scrm(db)
    .selectFrom('wecom_inbox')
    .select('id')
    .where('workspace_id', '=', row.workspace_id)
    .where('dedup_key', '=', row.dedup_key)
    .executeTakeFirstOrThrow();
  return { id: existing.id, duplicate: true };
}

/** How many of a workspace's callbacks wait to be applied (due, backing off, or being applied now). */
export async function pendingInboxRows(db: Kysely<DB>, workspaceId: string): Promise<number> {
  const row = await scrm(db)
    .selectFrom('wecom_inbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Tuning of the processor. */
export interface InboxOptions {
  /** Rows claimed at once (default 20). */
  batchSize?: number;
  /** How long a claimed row belongs to its worker (default 3 minutes: WeCom calls back off for up to ~1 minute on rate limits). */
  leaseMs?: number;
  /** Attempts before a row is marked failed (default 8). */
  maxAttempts?: number;
  /** First retry delay, doubled each attempt (default 10 s). */
  baseBackoffMs?: number;
  /** Longest retry delay (default 1 hour). */
  maxBackoffMs?: number;
}

/** What the processor needs: the handler deps plus the listeners and their context. */
export interface InboxDeps extends HandlerDeps {
  listeners: ScrmListeners;
  /** The workspace's time zone, for the listeners' context. */
  timeZoneOf: ScrmContext['timeZoneOf'];
  options?: InboxOptions;
}

interface Claimed extends InboxItem {
  attempts: number;
}

/** Claims up to `batchSize` due rows (any workspace), oldest first, taking a lease on each. */
export async function claimInbox(database: Database, now: number, opts: { batchSize: number; leaseMs: number }): Promise<Claimed[]> {
  const lock = database.dialect.claimSuffix;
  const res = await sql<{ workspace_id: string; id: string; dedup_key: string; kind: string; payload: string; attempts: number; received_at: number }>`
    update wecom_inbox set attempts = attempts + 1, next_attempt_at = ${now + opts.leaseMs}
    where (workspace_id, id) in (
      select workspace_id, id from wecom_inbox
      where status = 'pending' and next_attempt_at <= ${now}
      order by received_at, id
      limit ${opts.batchSize}${lock}
    )
    returning workspace_id, id, dedup_key, kind, payload, attempts, received_at`.execute(database.db);
  return res.rows
    .map((r) => ({
      workspaceId: r.workspace_id,
      id: r.id,
      dedupKey: r.dedup_key,
      kind: r.kind,
      payload: r.payload,
      attempts: Number(r.attempts),
      receivedAt: Number(r.received_at),
    }))
    .sort((a, b) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Where one process owns the database (SQLite, `dialect.singleProcess`): rows left leased by a
 * previous run of this process are due now. On PostgreSQL other workers may hold leases, so rows
 * wait for theirs to run out.
 */
export async function releaseLeases(database: Database, now: number): Promise<number> {
  if (!database.dialect.singleProcess) return 0;
  const res = await scrm(database.db)
    .updateTable('wecom_inbox')
    .set({ next_attempt_at: now })
    .where('status', '=', 'pending')
    .where('next_attempt_at', '>', now)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Backoff before attempt `attempts + 1`: base × 2^(attempts − 1), capped. */
export function backoffMs(attempts: number, opts: Required<Pick<InboxOptions, 'baseBackoffMs' | 'maxBackoffMs'>>): number {
  return Math.min(opts.maxBackoffMs, opts.baseBackoffMs * 2 ** Math.max(0, attempts - 1));
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 2000);

/** The outcome of one processing pass. */
export interface InboxPass {
  claimed: number;
  done: number;
  retried: number;
  failed: number;
}

/** The context listeners get: the processor's own (its `clientFor` included). */
function listenerContext(deps: InboxDeps): ScrmContext {
  return { db: deps.database.db, dialect: deps.database.dialect, now: deps.now, log: deps.log, clientFor: deps.clientFor, timeZoneOf: deps.timeZoneOf };
}

/** Claims one batch of due rows and processes each; returns what happened. */
export async function processInboxBatch(deps: InboxDeps): Promise<InboxPass> {
  const o = deps.options ?? {};
  const opts = {
    batchSize: o.batchSize ?? 20,
    leaseMs: o.leaseMs ?? 180_000,
    maxAttempts: o.maxAttempts ?? 8,
    baseBackoffMs: o.baseBackoffMs ?? 10_000,
    maxBackoffMs: o.maxBackoffMs ?? 3_600_000,
  };
  const rows = await claimInbox(deps.database, deps.now(), opts);
  const pass: InboxPass = { claimed: rows.length, done: 0, retried: 0, failed: 0 };
  const db = scrm(deps.database.db);
  for (const row of rows) {
    const update = (set: Partial<Pick<WeComInboxTable, 'status' | 'error' | 'next_attempt_at' | 'processed_at'>>) =>
      db.updateTable('wecom_inbox').set(set).where('workspace_id', '=', row.workspaceId).where('id', '=', row.id).execute();
    let events;
    try {
      events = await applyInboxMessage(deps, row);
    } catch (err) {
      if (err instanceof ErasedContactError) {
        // About an erased person (issue #19): not applied, and the callback that names them not kept.
        await db.deleteFrom('wecom_inbox').where('workspace_id', '=', row.workspaceId).where('id', '=', row.id).execute();
        deps.log.info({ workspaceId: row.workspaceId, inboxId: row.id, kind: row.kind }, 'WeCom event about an erased person dropped');
        pass.done++;
        continue;
      }
      const unusable = err instanceof UnusableEventError;
      const give = unusable || row.attempts >= opts.maxAttempts;
      const now = deps.now();
      deps.log[give ? 'error' : 'warn'](
        { err, workspaceId: row.workspaceId, inboxId: row.id, kind: row.kind, attempts: row.attempts },
        give ? 'WeCom event failed for good' : 'WeCom event failed; will retry',
      );
      await update(
        give ? { status: 'failed', error: errorText(err), processed_at: now } : { error: errorText(err), next_attempt_at: now + backoffMs(row.attempts, opts) },
      );
      if (give) pass.failed++;
      else pass.retried++;
      continue;
    }
    // Published after the commit; a failing listener is recorded on the row, which is still done.
    const failures = await deps.listeners.publish(events, listenerContext(deps));
    const error = failures.length ? errorText(`listeners failed: ${failures.map((f) => `${f.listener} on ${f.event}: ${f.error}`).join('; ')}`) : null;
    await update({ status: 'done', processed_at: deps.now(), error });
    pass.done++;
  }
  return pass;
}

/** The background inbox worker. */
export interface InboxWorker {
  /** Asks for a pass soon (after a callback was queued). */
  wake(): void;
  /** Processes until no row is due (tests and the CLI use this). */
  runOnce(): Promise<InboxPass>;
  stop(): Promise<void>;
}

/**
 * Starts the worker: a pass on `scrm.inbox-has-work` (a callback was queued in this process) and
 * every `pollMs` (default 1 s); batches follow each other while rows are due. `options` tune the
 * processor.
 */
export function startInboxWorker(scrm: Scrm, opts: { pollMs?: number; options?: InboxOptions } = {}): InboxWorker {
  const deps = inboxDeps(scrm, opts.options);
  let released = false;

  async function drain(): Promise<InboxPass> {
    if (!released) {
      released = true;
      const n = await releaseLeases(deps.database, deps.now());
      if (n) deps.log.info({ rows: n }, 'WeCom inbox: rows left claimed by the previous run are due again');
    }
    const total: InboxPass = { claimed: 0, done: 0, retried: 0, failed: 0 };
    for (;;) {
      const pass = await processInboxBatch(deps);
      total.claimed += pass.claimed;
      total.done += pass.done;
      total.retried += pass.retried;
      total.failed += pass.failed;
      if (loop.stopped || pass.claimed === 0) return total;
    }
  }

  const loop = startLoop({
    pass: async () => {
      await drain();
    },
    idleMs: opts.pollMs ?? 1000,
    log: deps.log,
    failed: 'WeCom inbox pass failed',
    againMs: 0,
  });
  loop.schedule(0);
  const unsubscribe = scrm.hub.on(SCRM_INBOX_HAS_WORK, () => loop.schedule(0));

  return {
    wake: () => loop.schedule(0),
    // A wake-up or poll that arrives meanwhile is deferred to this run's end.
    runOnce: () => loop.exclusive(drain),
    stop: async () => {
      unsubscribe();
      await loop.stop();
    },
  };
}

/** The processor's deps from the SCRM module. */
export function inboxDeps(scrm: Scrm, options?: InboxOptions): InboxDeps {
  return {
    database: scrm.database,
    writer: scrm.writer,
    ingest: { dialect: scrm.database.dialect, cipher: scrm.cipher, now: scrm.now },
    clientFor: (ws) => scrm.connections.clientFor(ws),
    now: scrm.now,
    log: scrm.log,
    defaultRegion: scrm.defaultPhoneRegion,
    listeners: scrm.listeners,
    timeZoneOf: scrm.timeZoneOf,
    options,
  };
}
