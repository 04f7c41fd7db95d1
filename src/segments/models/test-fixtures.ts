/**
 * Hand-made data for the models' tests: profile rows with chosen aggregates and plain tracked
 * events, written straight to the tables the models read (the ingest path has its own tests; the
 * API tests here also go through it).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { createWorkspace, type WorkspaceSettings } from '../../platform/workspaces.js';
import { DAY_MS } from '../../platform/time.js';

/** 2026-11-01 12:00 in Asia/Shanghai: the `now` of the hand-made datasets. */
export const NOW = Date.parse('2026-11-01T04:00:00Z');

/** The same local time of day, `n` calendar days before NOW (Asia/Shanghai has no DST). */
export const daysAgo = (n: number, from = NOW) => from - n * DAY_MS;

/** Aggregates of a hand-made profile; anything left out is "never". */
export interface ProfileSpec {
  id: string;
  orders?: number;
  spentFen?: number;
  firstPurchaseAt?: number | null;
  lastPurchaseAt?: number | null;
  lastSeenAt?: number | null;
  mergedInto?: string | null;
}

/** A new workspace with the given settings; returns its id. */
export async function workspace(db: Kysely<DB>, settings: WorkspaceSettings = {}): Promise<string> {
  return (await createWorkspace(db, { name: 'models test', settings })).workspace.id;
}

/** Inserts profile rows. A buyer's first purchase defaults to its last, and last seen to the last purchase. */
export async function insertProfiles(database: Database, ws: string, specs: ProfileSpec[]): Promise<void> {
  const rows = specs.map((p) => {
    const last = p.lastPurchaseAt ?? null;
    const seen = p.lastSeenAt === undefined ? last : p.lastSeenAt;
    return {
      workspace_id: ws,
      id: p.id,
      merged_into: p.mergedInto ?? null,
      traits: '{}',
      trait_times: '{}',
      consent: '{}',
      first_seen_at: seen,
      last_seen_at: seen,
      order_count: p.orders ?? 0,
      total_spent_fen: p.spentFen ?? 0,
      first_purchase_at: p.firstPurchaseAt === undefined ? last : p.firstPurchaseAt,
      last_purchase_at: last,
      created_at: seen ?? NOW,
      updated_at: NOW,
    };
  });
  await database.db.transaction().execute((trx) => database.dialect.insertMany(trx, 'profiles', rows));
}

let seq = 0;

/** Inserts one tracked event per spec: `track` with `properties`, as the tracking API stores it. */
export async function insertEvents(
  database: Database,
  ws: string,
  events: { profileId: string; event: string; at: number; properties?: Record<string, unknown> }[],
): Promise<void> {
  const rows = events.map((e) => {
    const messageId = `test-${++seq}-${Math.random().toString(36).slice(2)}`;
    return {
      workspace_id: ws,
      message_id: messageId,
      profile_id: e.profileId,
      type: 'track',
      event: e.event,
      user_id: null,
      anonymous_id: null,
      timestamp: e.at,
      received_at: e.at,
      payload: JSON.stringify({ type: 'track', event: e.event, properties: e.properties ?? {}, messageId, timestamp: new Date(e.at).toISOString() }),
    };
  });
  await database.db.transaction().execute((trx) => database.dialect.insertMany(trx, 'events', rows));
}

/** The stored scores of a workspace, by profile id. */
export async function scoresOf(db: Kysely<DB>, ws: string) {
  const rows = await db.selectFrom('profile_scores').selectAll().where('workspace_id', '=', ws).orderBy('profile_id').execute();
  return new Map(rows.map((r) => [r.profile_id, r]));
}
