/**
 * Claiming: one transaction takes the due rows (queued or held rows whose time came, and `sending`
 * rows whose lease expired) with `dialect.claim` (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
 * several workers share the queue; SQLite has one writer) and decides each (decide.ts) before it
 * commits. Settings, time zones and channel configurations are read once per workspace per pass.
 *
 * When deciding a batch throws (a corrupt row, a render that fails unexpectedly, a database error
 * in one workspace), the batch rolls back and its rows are decided again one by one, each in a
 * transaction of its own, as journeys retry a failed batch: the rows that fail are backed off with
 * their reason (row-error.ts) and the others go in the same pass. An error that means the database
 * is away fails the pass instead (the loop retries it): no row is charged an attempt for an outage.
 */
import type { Kysely } from 'kysely';
import { isDatabaseUnavailable } from '../../platform/db/database.js';
import { workspaceTimeZone } from '../../platform/workspaces.js';
import { type ChannelConfig, loadChannelConfig } from '../channel-config.js';
import type { ChannelName } from '../content.js';
import { mdb } from '../deps.js';
import type { MessagingDB } from '../schema.js';
import { loadSettings, type MessagingSettings } from '../settings.js';
import { decide } from './decide.js';
import { recordRowError } from './row-error.js';
import { type DispatchContext, type DispatchStats, dueQuery, emptyStats, type Job, type Row, type RowKey } from './types.js';

/** The due rows, locked for this worker, oldest due first. */
async function dueRows(ctx: DispatchContext, trx: Kysely<MessagingDB>, batchSize: number, now: number, only?: RowKey): Promise<Row[]> {
  const q = dueQuery(trx, now, only).selectAll().orderBy('next_attempt_at').limit(batchSize);
  return ctx.deps.database.dialect.claim(q).execute();
}

/** Per-workspace facts read once per pass: settings, time zone, channel configurations. */
function workspaceFacts(ctx: DispatchContext, trx: Kysely<MessagingDB>) {
  const settingsOf = new Map<string, MessagingSettings>();
  const zoneOf = new Map<string, string>();
  const configOf = new Map<string, ChannelConfig | undefined>();
  const scoped = { database: { db: trx } };
  return async (ws: string, channel: string) => {
    if (!settingsOf.has(ws)) settingsOf.set(ws, await loadSettings(scoped, ws));
    if (!zoneOf.has(ws)) zoneOf.set(ws, settingsOf.get(ws)!.timeZone ?? (await workspaceTimeZone(trx, ws, ctx.deps.defaultTimeZone)));
    const cfgKey = `${ws}\n${channel}`;
    if (!configOf.has(cfgKey)) configOf.set(cfgKey, await loadChannelConfig({ ...scoped, cipher: ctx.deps.cipher }, ws, channel as ChannelName));
    return { settings: settingsOf.get(ws)!, zone: zoneOf.get(ws)!, config: configOf.get(cfgKey) };
  };
}

/** Claims up to `batchSize` due rows (or the one row `only`) and decides each in one transaction; returns the jobs to send. */
async function claimBatch(ctx: DispatchContext, batchSize: number, stats: DispatchStats, only?: RowKey): Promise<Job[]> {
  const now = ctx.deps.now();
  return mdb(ctx.deps.database.db)
    .transaction()
    .execute(async (trx) => {
      const rows = await dueRows(ctx, trx, batchSize, now, only);
      stats.claimed += rows.length;
      // Profile locks in one order across workers: no deadlock between two claiming passes.
      rows.sort(
        (a, b) => (a.workspace_id + (a.profile_id ?? '')).localeCompare(b.workspace_id + (b.profile_id ?? '')) || a.next_attempt_at - b.next_attempt_at,
      );
      const factsOf = workspaceFacts(ctx, trx);
      const jobs: Job[] = [];
      for (const row of rows) {
        const facts = await factsOf(row.workspace_id, row.channel);
        const job = await decide(ctx, { trx, ...facts, now, stats }, row);
        if (job) jobs.push(job);
      }
      return jobs;
    });
}

/** The keys of up to `limit` due rows, oldest due first (no claim: each is claimed on its own). */
async function dueKeys(ctx: DispatchContext, limit: number): Promise<RowKey[]> {
  const q = dueQuery(mdb(ctx.deps.database.db), ctx.deps.now()).select(['workspace_id', 'id']).orderBy('next_attempt_at').limit(limit);
  return (await q.execute()).map((r) => ({ workspaceId: r.workspace_id, id: r.id }));
}

/** Claims up to `batchSize` due rows and decides each; returns the jobs to send (their claims have committed). */
export async function claimJobs(ctx: DispatchContext, batchSize: number, stats: DispatchStats): Promise<Job[]> {
  try {
    return await claimBatch(ctx, batchSize, stats);
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw err;
    ctx.deps.log.warn({ err }, 'messaging: deciding a batch failed; deciding its rows one by one');
  }
  // The batch rolled back: none of its counts stand.
  Object.assign(stats, emptyStats());
  const jobs: Job[] = [];
  for (const key of await dueKeys(ctx, batchSize)) {
    const before = { ...stats };
    try {
      jobs.push(...(await claimBatch(ctx, 1, stats, key)));
    } catch (err) {
      Object.assign(stats, before);
      // The database is away, or the error could not be recorded: stop here; the jobs claimed so far still go.
      if (isDatabaseUnavailable(err)) ctx.deps.log.warn({ err }, 'messaging: database unavailable; the rest of the batch waits for the next pass');
      if (isDatabaseUnavailable(err) || !(await recordRowError(ctx, key, err, stats))) break;
    }
  }
  return jobs;
}
