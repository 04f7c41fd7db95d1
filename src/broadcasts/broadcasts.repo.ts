/**
 * Broadcast rows: typed access and the row → view conversion. Audiences are read in audience.ts
 * (segments' and cdp's tables); messages through the messaging module's functions.
 */
import type { Kysely, Selectable } from 'kysely';
import type { CallerDb } from '../messaging/index.js';
import { parseJson } from '../platform/db/database.js';
import { BroadcastError } from './errors.js';
import type { BroadcastsDB, BroadcastsTable, BroadcastStatus } from './schema.js';

/** The database typed with the broadcast tables (a view, not a cast: `CallerDb` is untyped). */
export function bdb(db: CallerDb): Kysely<BroadcastsDB> {
  return db;
}

/** A broadcast row. */
export type BroadcastRow = Selectable<BroadcastsTable>;

/** A broadcast as the API shows it (times as ISO strings). */
export interface BroadcastView {
  id: string;
  name: string;
  description: string;
  status: BroadcastStatus;
  channel: string;
  purpose: 'marketing' | 'service';
  templateId: string | null;
  templateVersion: number | null;
  content: Record<string, unknown> | null;
  data: Record<string, unknown>;
  segmentId: string;
  excludeSegmentId: string | null;
  holdoutPercent: number;
  goalEvent: string | null;
  goalDays: number;
  sendAt: string | null;
  progress: { total: number | null; enqueued: number; holdout: number; excluded: number; done: boolean };
  /** Why the fan-out failed, or why its last chunk failed while it is backed off (`retryAt`). */
  error: string | null;
  /** When a backed-off fan-out is tried again; null unless its last chunk failed. */
  retryAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  cancelledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** Converts a row to its API view. */
export function toView(r: BroadcastRow): BroadcastView {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    status: r.status,
    channel: r.channel,
    purpose: r.purpose,
    templateId: r.template_id,
    templateVersion: r.template_version,
    content: r.content === null ? null : parseJson<Record<string, unknown>>(r.content),
    data: parseJson<Record<string, unknown>>(r.data),
    segmentId: r.segment_id,
    excludeSegmentId: r.exclude_segment_id,
    holdoutPercent: r.holdout_percent,
    goalEvent: r.goal_event,
    goalDays: r.goal_days,
    sendAt: iso(r.send_at),
    progress: { total: r.total, enqueued: r.enqueued, holdout: r.holdout_count, excluded: r.excluded_count, done: r.status === 'sent' },
    error: r.error,
    retryAt: iso(r.retry_at),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    cancelledAt: iso(r.cancelled_at),
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

/** The broadcast row, or BROADCAST_NOT_FOUND. */
export async function getRow(db: CallerDb, ws: string, id: string): Promise<BroadcastRow> {
  const row = await bdb(db).selectFrom('broadcasts').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!row) throw new BroadcastError('BROADCAST_NOT_FOUND', `no broadcast "${id}" in this workspace`);
  return row;
}

/** The idempotency key of a broadcast's message to one profile: the same key on every retry of the fan-out. */
export function messageKey(broadcastId: string, profileId: string): string {
  return `broadcast:${broadcastId}:${profileId}`;
}
