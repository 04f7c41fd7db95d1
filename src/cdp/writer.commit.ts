import type { Logger } from 'pino';
import { type Database, withRetries } from '../platform/db/database.js';
import type { Hub } from '../platform/hub.js';
import type { StatisticsKeeper } from '../platform/db/statistics.js';
import type { CdpHubEvents } from './hub-events.js';
import { applyEvents } from './ingest.service.js';
import type { IngestDeps, WorkspaceIngestSettings } from './ingest.types.js';
import { cdpDb } from './schema.js';
import type { TrackedEvent } from './tracking.js';

/** Counts for one submission. */
export interface SubmitResult {
  stored: number;
  duplicates: number;
}

/** One submission waiting in the writer's queue. */
export interface Submission {
  workspaceId: string;
  events: TrackedEvent[];
  resolve: (r: SubmitResult) => void;
  reject: (e: unknown) => void;
}

/** What committing a group needs. */
export interface CommitContext {
  database: Database;
  deps: IngestDeps;
  settingsFor: (workspaceId: string) => Promise<WorkspaceIngestSettings>;
  hub: Hub<CdpHubEvents>;
  stats: StatisticsKeeper;
  log: Logger;
  /** Runs a write transaction counted as in flight (see IngestWriter.oldestInFlight). */
  tracked: <T>(fn: () => Promise<T>) => Promise<T>;
}

/**
 * Commits a group of submissions in one transaction (retried on conflicts), tells the hub what
 * each workspace committed, and returns each submission's counts: a stored event is attributed
 * to the first submission that carried it.
 */
export async function commitGroup(ctx: CommitContext, group: Submission[]): Promise<SubmitResult[]> {
  const byWs = new Map<string, TrackedEvent[]>();
  for (const it of group) {
    const list = byWs.get(it.workspaceId) ?? [];
    list.push(...it.events);
    byWs.set(it.workspaceId, list);
  }
  const settings = new Map<string, WorkspaceIngestSettings>();
  for (const ws of byWs.keys()) settings.set(ws, await ctx.settingsFor(ws));
  // Each workspace's PII keys loaded before the transaction (cached: a map lookup after the first batch).
  for (const ws of byWs.keys()) await ctx.deps.cipher.forWorkspace(ws);
  const storedIds = new Map<string, Set<string>>();
  const profiles = new Map<string, Set<string>>();
  await ctx.tracked(() =>
    withRetries(ctx.database, () =>
      cdpDb(ctx.database.db)
        .transaction()
        .execute(async (trx) => {
          storedIds.clear();
          profiles.clear();
          for (const [ws, events] of byWs) {
            const out = await applyEvents(trx, ctx.deps, ws, settings.get(ws)!, events);
            storedIds.set(ws, new Set(out.profileOf.keys()));
            profiles.set(ws, new Set(out.profileOf.values()));
          }
        }),
    ),
  );
  for (const [ws, ids] of storedIds) {
    if (ids.size === 0) continue;
    ctx.stats.wrote(ids.size, ws);
    const events = byWs.get(ws)!.filter((e) => ids.has(e.messageId));
    ctx.hub.emit('cdp.events-committed', { workspaceId: ws, profileIds: [...profiles.get(ws)!], events });
  }
  return group.map((it) => {
    const ids = storedIds.get(it.workspaceId)!;
    let stored = 0;
    for (const e of it.events) if (ids.delete(e.messageId)) stored++;
    return { stored, duplicates: it.events.length - stored };
  });
}

/** Commits a group; if it fails, commits each submission alone so one bad submission does not fail its neighbours. */
export async function commitOrSplit(ctx: CommitContext, group: Submission[]): Promise<void> {
  try {
    const results = await commitGroup(ctx, group);
    group.forEach((it, i) => it.resolve(results[i]!));
  } catch (err) {
    if (group.length === 1) {
      group[0]!.reject(err);
      return;
    }
    ctx.log.warn({ err, submissions: group.length }, 'group commit failed; committing submissions one by one');
    for (const it of group) {
      try {
        it.resolve((await commitGroup(ctx, [it]))[0]!);
      } catch (e) {
        it.reject(e);
      }
    }
  }
}
