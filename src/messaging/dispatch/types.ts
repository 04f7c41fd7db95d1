/**
 * What the dispatcher's steps share: the counts of a pass, a claimed row, a job ready for its
 * provider call, and the one way a step settles a row without sending it.
 */
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { ChannelConfig } from '../channel-config.js';
import type { Channel, OutboundMessage } from '../channels/types.js';
import type { ChannelName } from '../content.js';
import type { MessagingDeps } from '../deps.js';
import type { MessagesTable, MessagingDB } from '../schema.js';

/** Counts of one dispatcher pass. */
export interface DispatchStats {
  claimed: number;
  sent: number;
  failed: number;
  retrying: number;
  held: number;
  suppressed: number;
  unknown: number;
  /** Rows whose processing threw (not a provider's answer): backed off, or settled once out of attempts (counted there too). */
  errors: number;
}

/** A pass's counts before it starts. */
export function emptyStats(): DispatchStats {
  return { claimed: 0, sent: 0, failed: 0, retrying: 0, held: 0, suppressed: 0, unknown: 0, errors: 0 };
}

/** The delay before attempt `attempt + 1` after a failed attempt: 30 s, 1 min, 2 min … at most 1 h. */
export const backoff = (attempt: number): number => Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempt - 1));

/** An outbox row as claimed. */
export type Row = Selectable<MessagesTable>;

/** A claimed row ready for its provider call. */
export interface Job {
  row: Row;
  attempt: number;
  out: OutboundMessage;
  config: ChannelConfig | undefined;
  channel: Channel;
}

/** What every step of a dispatcher sees: its deps, its channels and its lease. */
export interface DispatchContext {
  deps: MessagingDeps;
  channels: Record<ChannelName, Channel>;
  /** How long a claimed `sending` row belongs to this worker. */
  leaseMs: number;
}

/** A message row's key. */
export interface RowKey {
  workspaceId: string;
  id: string;
}

/** The due rows (queued or held rows whose time came, `sending` rows whose lease expired; optionally only one), for the caller's transaction. */
export function dueQuery(trx: Kysely<MessagingDB>, now: number, only?: RowKey) {
  let q = trx
    .selectFrom('messages')
    .where((eb) =>
      eb.or([
        eb.and([eb('status', 'in', ['queued', 'held']), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', now)]),
      ]),
    );
  if (only) q = q.where('workspace_id', '=', only.workspaceId).where('id', '=', only.id);
  return q;
}

/** Writes `set` on the message row (and its `updated_at`). */
export async function updateRow(db: Kysely<MessagingDB>, row: Row, set: Updateable<MessagesTable>, now: number): Promise<void> {
  await db
    .updateTable('messages')
    .set({ ...set, updated_at: now })
    .where('workspace_id', '=', row.workspace_id)
    .where('id', '=', row.id)
    .execute();
}

/** The ways a row leaves the claim without being sent; each is counted under its status. */
export type Settled = 'held' | 'suppressed' | 'failed' | 'unknown';

/** Settles a claimed row without a send (held, suppressed, failed, unknown) and counts it. */
export async function settle(
  ctx: DispatchContext,
  db: Kysely<MessagingDB>,
  row: Row,
  stats: DispatchStats,
  status: Settled,
  set: Omit<Updateable<MessagesTable>, 'status'>,
): Promise<undefined> {
  await updateRow(db, row, { status, ...set }, ctx.deps.now());
  stats[status]++;
  return undefined;
}
