/**
 * The `messages` row of a welcome message (channel `wecom_welcome`): written once per WelcomeCode
 * (keyed by its hash), then finished with the outcome and its timeline event in one transaction.
 */
import { createHash } from 'node:crypto';
import type { Insertable, Updateable } from 'kysely';
import type { Logger } from 'pino';
import type { Dialect } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { WeComBadResponseError, WeComError, WeComNetworkError, type WeComClient } from '../wecom/index.js';
import { type CallerDb, mdb } from './deps.js';
import type { MessagesTable } from './schema.js';
import { writeTimelineEvent } from './timeline.js';

/** The channel name welcome messages are recorded under in `messages`. */
export const WELCOME_CHANNEL = 'wecom_welcome';

/** What sending a welcome message needs; a subset of `MessagingDeps` that SCRM listeners can build from their context. */
export interface WelcomeDeps {
  database: { db: CallerDb; dialect: Dialect };
  now: () => number;
  log: Logger;
  defaultTimeZone: string;
  wecomClientFor: (workspaceId: string) => Promise<WeComClient>;
}

/** What became of a welcome message. `created` is false when this WelcomeCode was used before (the earlier outcome is returned). */
export interface WelcomeResult {
  messageId: string;
  status: string;
  reason: string | null;
  errorCode: string | null;
  created: boolean;
}

/** A welcome message on its way: its row (before the outcome), and the properties of its timeline events. */
export interface Welcome {
  deps: WelcomeDeps;
  row: Omit<Insertable<MessagesTable>, 'status' | 'reason' | 'error_code' | 'rendered' | 'attempts' | 'sent_at'>;
  profileId: string;
  props: Record<string, unknown>;
}

/** The outcome columns a welcome row is first written with. */
export type WelcomeStart = Pick<Insertable<MessagesTable>, 'status' | 'reason' | 'error_code' | 'rendered' | 'attempts' | 'sent_at'>;

/** Keyed by a hash of the WelcomeCode: one message per code, and the code itself (a one-time credential) is not stored. */
export function welcomeKey(welcomeCode: string): string {
  return `${WELCOME_CHANNEL}:${createHash('sha256').update(welcomeCode).digest('hex').slice(0, 40)}`;
}

/** The outcome of an earlier welcome with this key, if any. */
export async function welcomeByKey(db: CallerDb, ws: string, key: string): Promise<WelcomeResult | undefined> {
  const r = await mdb(db)
    .selectFrom('messages')
    .select(['id', 'status', 'reason', 'error_code'])
    .where('workspace_id', '=', ws)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  return r && { messageId: r.id, status: r.status, reason: r.reason, errorCode: r.error_code, created: false };
}

/**
 * Writes the welcome's row with its first outcome; undefined when written, else the outcome of
 * the call that wrote it first (a concurrent call for the same WelcomeCode won).
 */
export async function startWelcome(w: Welcome, start: WelcomeStart): Promise<WelcomeResult | undefined> {
  const res = await mdb(w.deps.database.db)
    .insertInto('messages')
    .values({ ...w.row, ...start })
    .onConflict((oc) => oc.columns(['workspace_id', 'idempotency_key']).doNothing())
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0) === 1) return undefined;
  return (await welcomeByKey(w.deps.database.db, w.row.workspace_id, w.row.idempotency_key))!;
}

/** Records the outcome on the row and `Message Sent` / `Message Failed` on the timeline, in one transaction. */
export async function finishWelcome(
  w: Welcome,
  set: Updateable<MessagesTable>,
  event: { name: 'Message Sent' | 'Message Failed'; properties: Record<string, unknown> },
): Promise<void> {
  const { deps, row } = w;
  await mdb(deps.database.db)
    .transaction()
    .execute(async (trx) => {
      await trx
        .updateTable('messages')
        .set({ ...set, updated_at: deps.now() })
        .where('workspace_id', '=', row.workspace_id)
        .where('id', '=', row.id)
        .execute();
      await writeTimelineEvent(trx, deps.database.dialect, {
        workspaceId: row.workspace_id,
        profileId: w.profileId,
        eventId: `${row.id}:${event.name === 'Message Sent' ? 'sent' : 'failed'}`,
        event: event.name,
        properties: { ...w.props, ...event.properties },
        at: deps.now(),
      });
    });
}

/** How a failed `send_welcome_msg` is recorded. */
export function failureOf(err: unknown): { errorCode: string; reason: string; message: string } {
  // Our words, not WeCom's errmsg or body (those are the operator's to read in the log).
  if (err instanceof WeComError)
    return { errorCode: `wecom:${err.errcode}`, reason: 'provider_rejected', message: `WeCom ${err.api}: errcode ${err.errcode}, ${err.meaning.en}` };
  // The answer was lost: WeCom may have used the one-time code, so a second call could send twice.
  if (err instanceof WeComNetworkError) return { errorCode: 'wecom:network', reason: 'not_retried', message: err.message };
  if (err instanceof WeComBadResponseError)
    return { errorCode: `wecom:http_${err.status}`, reason: 'not_retried', message: `WeCom ${err.api}: not a WeCom answer (HTTP ${err.status})` };
  if (err instanceof AppError) return { errorCode: err.code, reason: 'provider_rejected', message: err.message };
  return { errorCode: 'INTERNAL', reason: 'not_retried', message: (err as Error)?.message ?? String(err) };
}
