/**
 * Alerts: churn (a customer deleted their staff member, or a staff member deleted a customer)
 * and sensitive words found in conversation archives. A churn alert is recorded once per event
 * (WeCom redelivers; listeners run again after a crash) and pushed to the staff member as a
 * WeCom app message from the connection's self-built app.
 */
import type { Kysely } from 'kysely';
import { AppError } from '../../platform/errors.js';
import { ScrmError } from '../errors.js';
import { newId } from '../../platform/ids.js';
import type { ScrmEvent, ScrmListener } from '../events.js';
import { scrmDb } from '../schema.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../../platform/paging.js';
import { describeWeComError, iso } from '../shared.js';
import { type OpsContext, opsDb } from './context.js';

export type AlertKind = 'customer_deleted_staff' | 'staff_deleted_customer' | 'keyword';

/** An alert as the API shows it. */
export interface Alert {
  id: string;
  kind: AlertKind;
  userid: string | null;
  externalUserid: string | null;
  profileId: string | null;
  customerName: string | null;
  word: string | null;
  excerpt: string | null;
  msgid: string | null;
  notifyStatus: string | null;
  status: 'open' | 'acked';
  at: string;
  ackedAt: string | null;
}

type Row = {
  id: string;
  kind: string;
  userid: string | null;
  external_userid: string | null;
  profile_id: string | null;
  word: string | null;
  excerpt: string | null;
  msgid: string | null;
  notify_status: string | null;
  status: string;
  at: number;
  acked_at: number | null;
  customer_name?: string | null;
};

function toAlert(r: Row): Alert {
  return {
    id: r.id,
    kind: r.kind as AlertKind,
    userid: r.userid,
    externalUserid: r.external_userid,
    profileId: r.profile_id,
    customerName: r.customer_name ?? null,
    word: r.word,
    excerpt: r.excerpt,
    msgid: r.msgid,
    notifyStatus: r.notify_status,
    status: r.status as Alert['status'],
    at: iso(r.at)!,
    ackedAt: iso(r.acked_at),
  };
}

/** Inserts an alert unless its dedup key exists; returns the row's id and whether it was new. */
export async function recordAlert<D>(
  db: Kysely<D>,
  ws: string,
  a: {
    kind: AlertKind;
    dedupKey: string;
    userid?: string | null;
    externalUserid?: string | null;
    profileId?: string | null;
    word?: string;
    excerpt?: string;
    msgid?: string;
    notifyStatus?: string | null;
    at: number;
    now: number;
  },
): Promise<{ id: string; created: boolean }> {
  const d = scrmDb(db);
  const id = newId('alr', a.now);
  const res = await d
    .insertInto('scrm_alerts')
    .values({
      workspace_id: ws,
      id,
      kind: a.kind,
      dedup_key: a.dedupKey,
      userid: a.userid ?? null,
      external_userid: a.externalUserid ?? null,
      profile_id: a.profileId ?? null,
      word: a.word ?? null,
      excerpt: a.excerpt ?? null,
      msgid: a.msgid ?? null,
      notify_status: a.notifyStatus ?? null,
      status: 'open',
      at: a.at,
      acked_at: null,
      created_at: a.now,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'dedup_key']).doNothing())
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0) > 0) return { id, created: true };
  const row = await d.selectFrom('scrm_alerts').select('id').where('workspace_id', '=', ws).where('dedup_key', '=', a.dedupKey).executeTakeFirstOrThrow();
  return { id: row.id, created: false };
}

/**
 * Listener for `contact.deleted_by_customer` and `contact.deleted_by_staff`: records the alert
 * and tells the staff member. The notification is retried on redelivery until it was sent or
 * could not be (no agent id).
 */
export const churnAlertListener: ScrmListener = async (event: ScrmEvent, ctx) => {
  if (event.type !== 'contact.deleted_by_customer' && event.type !== 'contact.deleted_by_staff') return;
  const db = opsDb(ctx);
  const ws = event.workspaceId;
  const kind: AlertKind = event.type === 'contact.deleted_by_customer' ? 'customer_deleted_staff' : 'staff_deleted_customer';
  const dedupKey = `${event.type}:${event.userid}:${event.externalUserid}:${event.at}`;
  const { id } = await recordAlert(db, ws, {
    kind,
    dedupKey,
    userid: event.userid,
    externalUserid: event.externalUserid,
    profileId: event.profileId,
    notifyStatus: 'pending',
    at: event.at,
    now: ctx.now(),
  });
  const row = await db.selectFrom('scrm_alerts').select('notify_status').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirstOrThrow();
  if (row.notify_status !== 'pending') return;
  const status = await notify(ctx, ws, event.userid, event.externalUserid, kind);
  await db.updateTable('scrm_alerts').set({ notify_status: status }).where('workspace_id', '=', ws).where('id', '=', id).execute();
};

async function notify(ctx: OpsContext, ws: string, userid: string, externalUserid: string, kind: AlertKind): Promise<string> {
  const db = opsDb(ctx);
  const app = await db.selectFrom('wecom_apps').select('agent_id').where('workspace_id', '=', ws).executeTakeFirst();
  const agentId = app?.agent_id ? Number(app.agent_id) : NaN;
  if (!Number.isInteger(agentId)) return 'not notified: no agent id';
  const contact = await db
    .selectFrom('scrm_contacts')
    .select('name')
    .where('workspace_id', '=', ws)
    .where('external_userid', '=', externalUserid)
    .executeTakeFirst();
  const who = contact?.name ? `${contact.name} (${externalUserid})` : externalUserid;
  const content =
    kind === 'customer_deleted_staff'
      ? `客户流失提醒：客户 ${who} 已将你删除。\nChurn alert: customer ${who} deleted you.`
      : `客户删除提醒：你已删除客户 ${who}。\nYou deleted customer ${who}.`;
  try {
    const client = await ctx.clientFor(ws);
    const res = await client.sendAppMessage({ touser: userid, msgtype: 'text', agentid: agentId, text: { content } });
    return res.invaliduser ? `failed: WeCom could not reach ${res.invaliduser}` : 'sent';
  } catch (err) {
    if (err instanceof AppError) return `failed: ${err.message}`;
    return `failed: ${describeWeComError(err).text}`;
  }
}

/** A page of alerts, newest first; filter by kind, status, staff member. */
export async function listAlerts(
  ctx: OpsContext,
  ws: string,
  f: { kind?: string; status?: string; userid?: string; limit?: number; cursor?: string },
): Promise<Page<Alert>> {
  let q = opsDb(ctx)
    .selectFrom('scrm_alerts as a')
    .leftJoin('scrm_contacts as c', (j) => j.onRef('c.workspace_id', '=', 'a.workspace_id').onRef('c.external_userid', '=', 'a.external_userid'))
    .selectAll('a')
    .select('c.name as customer_name')
    .where('a.workspace_id', '=', ws);
  if (f.kind) q = q.where('a.kind', '=', f.kind);
  if (f.status) q = q.where('a.status', '=', f.status);
  if (f.userid) q = q.where('a.userid', '=', f.userid);
  if (f.cursor !== undefined) q = q.where(keysetAfter(['a.at', 'a.id'], 'desc', decodeCursor(f.cursor, ['n', 's'])));
  const limit = f.limit ?? 100;
  const rows = await q
    .orderBy('a.at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(limit + 1)
    .execute();
  return pageOf(rows, limit, toAlert, (r) => [Number(r.at), r.id]);
}

/** Acknowledges an alert (idempotent). */
export async function ackAlert(ctx: OpsContext, ws: string, id: string): Promise<Alert> {
  const db = opsDb(ctx);
  await db
    .updateTable('scrm_alerts')
    .set({ status: 'acked', acked_at: ctx.now() })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('status', '=', 'open')
    .execute();
  const row = await db.selectFrom('scrm_alerts').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!row) throw new ScrmError('ALERT_NOT_FOUND', `no alert ${id} in this workspace`);
  return toAlert(row);
}

// ── Sensitive words ────────────────────────────────────────────────────────────────────────

/** A sensitive word as the API shows it. */
export interface SensitiveWord {
  id: string;
  word: string;
  createdAt: string;
}

/** Adds sensitive words (trimmed; case-insensitive duplicates are ignored); returns the whole list. */
export async function addSensitiveWords(ctx: OpsContext, ws: string, words: string[]): Promise<SensitiveWord[]> {
  const clean = [...new Set(words.map((w) => w.trim().toLowerCase()).filter(Boolean))];
  for (const [i, w] of clean.entries()) if (w.length > 50) throw new ScrmError('VALIDATION_FAILED', `words[${i}] is longer than 50 characters`);
  const now = ctx.now();
  if (clean.length) {
    await opsDb(ctx)
      .insertInto('scrm_sensitive_words')
      .values(clean.map((word) => ({ workspace_id: ws, id: newId('swd', now), word, created_at: now })))
      .onConflict((oc) => oc.columns(['workspace_id', 'word']).doNothing())
      .execute();
  }
  return listSensitiveWords(ctx, ws);
}

/** A page of the workspace's sensitive words, alphabetically. */
export async function pageSensitiveWords(ctx: OpsContext, ws: string, q: { limit: number; cursor?: string }): Promise<Page<SensitiveWord>> {
  let query = opsDb(ctx).selectFrom('scrm_sensitive_words').selectAll().where('workspace_id', '=', ws);
  if (q.cursor !== undefined) query = query.where('word', '>', String(decodeCursor(q.cursor, ['s'])[0]));
  const rows = await query
    .orderBy('word')
    .limit(q.limit + 1)
    .execute();
  return pageOf(
    rows,
    q.limit,
    (r) => ({ id: r.id, word: r.word, createdAt: iso(r.created_at)! }),
    (r) => [r.word],
  );
}

/** Every sensitive word of the workspace, alphabetically. */
export async function listSensitiveWords(ctx: OpsContext, ws: string): Promise<SensitiveWord[]> {
  const rows = await opsDb(ctx).selectFrom('scrm_sensitive_words').selectAll().where('workspace_id', '=', ws).orderBy('word').execute();
  return rows.map((r) => ({ id: r.id, word: r.word, createdAt: iso(r.created_at)! }));
}

/** Removes a sensitive word. */
export async function deleteSensitiveWord(ctx: OpsContext, ws: string, id: string): Promise<void> {
  const res = await opsDb(ctx).deleteFrom('scrm_sensitive_words').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw new ScrmError('SENSITIVE_WORD_NOT_FOUND', `no sensitive word ${id} in this workspace`);
}
