/**
 * Claiming: one transaction takes the due rows (queued or held rows whose time came, and `sending`
 * rows whose lease expired) with `dialect.claim` (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
 * several workers share the queue; SQLite has one writer) and decides each (decide.ts) before it
 * commits. Settings, time zones and channel configurations are read once per workspace per pass.
 */
import type { Kysely } from 'kysely';
import { workspaceTimeZone } from '../../platform/workspaces.js';
import { type ChannelConfig, loadChannelConfig } from '../channel-config.js';
import type { ChannelName } from '../content.js';
import { mdb } from '../deps.js';
import type { MessagingDB } from '../schema.js';
import { loadSettings, type MessagingSettings } from '../settings.js';
import { decide } from './decide.js';
import type { DispatchContext, DispatchStats, Job, Row } from './types.js';

/** The due rows, locked for this worker, oldest due first. */
async function dueRows(ctx: DispatchContext, trx: Kysely<MessagingDB>, batchSize: number, now: number): Promise<Row[]> {
  const q = trx
    .selectFrom('messages')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('status', 'in', ['queued', 'held']), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', now)]),
      ]),
    )
    .orderBy('next_attempt_at')
    .limit(batchSize);
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

/** Claims up to `batchSize` due rows and decides each; returns the jobs to send (the claim has committed). */
export async function claimJobs(ctx: DispatchContext, batchSize: number, stats: DispatchStats): Promise<Job[]> {
  const now = ctx.deps.now();
  return mdb(ctx.deps.database.db)
    .transaction()
    .execute(async (trx) => {
      const rows = await dueRows(ctx, trx, batchSize, now);
      stats.claimed = rows.length;
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
