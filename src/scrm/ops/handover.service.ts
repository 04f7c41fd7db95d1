/**
 * Staff handover: in-service transfer (在职继承) and resignation inheritance (离职继承) of
 * customers. Requests go to WeCom 100 customers at a time (its limit); each customer gets a row
 * that follows WeCom's answer (waiting → succeeded or failed). WeCom lets a customer be
 * transferred in service at most twice in 90 days: such requests are refused here, before
 * WeCom is asked, counting our own waiting and successful transfers.
 */
import type { Selectable } from 'kysely';
import { ScrmError } from '../errors.js';
import { newId } from '../../platform/ids.js';
import type { ScrmEvent } from '../events.js';
import type { ScrmHandoversTable } from '../schema.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../../platform/paging.js';
import { describeWeComError, iso } from '../shared.js';
import type { WeComClient } from '../../wecom/index.js';
import { type OpsContext, type OpsDb, opsDb } from './context.js';

const NINETY_DAYS_MS = 90 * 86_400_000;
/** WeCom's cap on external_userid per transfer call. */
const BATCH = 100;
/** At most this many customers per request (the rest can follow in another request). */
const MAX_CUSTOMERS = 10_000;

export type HandoverKind = 'in_service' | 'resigned';

/** One customer's handover as the API shows it. */
export interface Handover {
  id: string;
  batchId: string;
  kind: HandoverKind;
  fromUserid: string;
  toUserid: string;
  externalUserid: string;
  status: 'waiting' | 'succeeded' | 'failed';
  errcode: number | null;
  wecomStatus: number | null;
  reason: string | null;
  takeoverAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The answer to a handover request. */
export interface HandoverResult {
  batchId: string;
  /** Customers sent to WeCom, with WeCom's per-customer answer. */
  handovers: Handover[];
  /** Customers not sent, each with why. */
  refused: Array<{ externalUserid: string; reason: string }>;
}

type Row = Selectable<ScrmHandoversTable>;

function toHandover(r: Row): Handover {
  return {
    id: r.id,
    batchId: r.batch_id,
    kind: r.kind as HandoverKind,
    fromUserid: r.from_userid,
    toUserid: r.to_userid,
    externalUserid: r.external_userid,
    status: r.status as Handover['status'],
    errcode: r.errcode,
    wecomStatus: r.wecom_status,
    reason: r.reason,
    takeoverAt: iso(r.takeover_at),
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

/** WeCom's per-customer errcodes of transfer_customer, in words. */
const TRANSFER_ERRCODES: Record<number, string> = {
  40096: 'WeCom does not know this customer',
  40097: 'the member is not resigned (or is); use the other kind of handover',
  40100: 'the customer is already being transferred',
  40128: 'WeCom: the customer was transferred too often (twice in 90 days)',
  40129: 'WeCom: the customer is already being transferred',
  40130: 'the handover and takeover members are the same',
  40131: 'the handover member does not follow this customer in WeCom',
};

/** transfer_result statuses: 1 accepted, 2 waiting, 3 refused by the customer, 4 takeover member at the limit, 5 no customer. */
const RESULT_STATUS: Record<number, { status: Handover['status']; reason: string | null }> = {
  1: { status: 'succeeded', reason: null },
  2: { status: 'waiting', reason: null },
  3: { status: 'failed', reason: 'the customer refused the transfer' },
  4: { status: 'failed', reason: "the takeover member's customer count is at its limit" },
  5: { status: 'failed', reason: 'no transfer on record for this customer' },
};

type HandoverRequest = { kind: HandoverKind; fromUserid: string; toUserid: string; externalUserids?: string[]; transferMessage?: string };

/** Checks both members: known, the takeover member still in the corp, and the kind matching whether the handover member left. */
async function checkMembers(ctx: OpsContext, ws: string, { kind, fromUserid, toUserid }: HandoverRequest): Promise<void> {
  if (fromUserid === toUserid) throw new ScrmError('VALIDATION_FAILED', 'fromUserid and toUserid are the same member');
  const staff = await opsDb(ctx)
    .selectFrom('scrm_staff')
    .select(['userid', 'status'])
    .where('workspace_id', '=', ws)
    .where('userid', 'in', [fromUserid, toUserid])
    .execute();
  const from = staff.find((s) => s.userid === fromUserid);
  const to = staff.find((s) => s.userid === toUserid);
  if (!from) throw new ScrmError('SCRM_STAFF_NOT_FOUND', `fromUserid: no staff member ${fromUserid} (sync staff from WeCom first)`);
  if (!to) throw new ScrmError('SCRM_STAFF_NOT_FOUND', `toUserid: no staff member ${toUserid}`);
  if (to.status === 'resigned') throw new ScrmError('VALIDATION_FAILED', `toUserid: ${toUserid} has left the corp and cannot take customers over`);
  if (kind === 'resigned' && from.status !== 'resigned') throw new ScrmError('VALIDATION_FAILED', `${fromUserid} has not left the corp: use kind "in_service"`);
  if (kind === 'in_service' && from.status === 'resigned') throw new ScrmError('VALIDATION_FAILED', `${fromUserid} has left the corp: use kind "resigned"`);
}

/** Our own record of each customer's transfers (waiting or done) in the last 90 days: in-service ones and waiting ones. */
async function recentTransfers(ctx: OpsContext, ws: string, customers: string[], now: number): Promise<Map<string, { total: number; waiting: number }>> {
  const recent = new Map<string, { total: number; waiting: number }>();
  for (let i = 0; i < customers.length; i += 500) {
    const rows = await opsDb(ctx)
      .selectFrom('scrm_handovers')
      .select(['external_userid', 'status', 'kind'])
      .where('workspace_id', '=', ws)
      .where('external_userid', 'in', customers.slice(i, i + 500))
      .where('status', 'in', ['waiting', 'succeeded'])
      .where('created_at', '>', now - NINETY_DAYS_MS)
      .execute();
    for (const r of rows) {
      const c = recent.get(r.external_userid) ?? { total: 0, waiting: 0 };
      if (r.kind === 'in_service') c.total++;
      if (r.status === 'waiting') c.waiting++;
      recent.set(r.external_userid, c);
    }
  }
  return recent;
}

/** The customers asked for that may be sent to WeCom, and the others with why. */
async function selectCustomers(
  ctx: OpsContext,
  ws: string,
  body: HandoverRequest,
  now: number,
): Promise<{ send: string[]; refused: HandoverResult['refused'] }> {
  const { kind, fromUserid } = body;
  const follows = await opsDb(ctx)
    .selectFrom('scrm_follows')
    .select('external_userid')
    .where('workspace_id', '=', ws)
    .where('userid', '=', fromUserid)
    .where('deleted_at', 'is', null)
    .execute();
  const followed = new Set(follows.map((f) => f.external_userid));
  const asked = body.externalUserids ? [...new Set(body.externalUserids)] : [...followed];
  if (asked.length > MAX_CUSTOMERS)
    throw new ScrmError('VALIDATION_FAILED', `externalUserids holds ${asked.length} customers; at most ${MAX_CUSTOMERS} per request are accepted`);
  const recent = await recentTransfers(ctx, ws, asked, now);
  const send: string[] = [];
  const refused: HandoverResult['refused'] = [];
  for (const ext of asked) {
    const c = recent.get(ext);
    if (!followed.has(ext)) refused.push({ externalUserid: ext, reason: `not a customer of ${fromUserid}` });
    else if (c?.waiting) refused.push({ externalUserid: ext, reason: 'a transfer of this customer is already waiting' });
    else if (kind === 'in_service' && (c?.total ?? 0) >= 2)
      refused.push({ externalUserid: ext, reason: 'transferred twice in the last 90 days (WeCom allows at most two in-service transfers per 90 days)' });
    else send.push(ext);
  }
  return { send, refused };
}

/** Asks WeCom to transfer up to 100 customers and stores one row per customer with WeCom's answer. */
async function transferBatch(ctx: OpsContext, ws: string, client: WeComClient, body: HandoverRequest, batchId: string, part: string[]): Promise<Row[]> {
  const { kind, fromUserid, toUserid } = body;
  let answers: Map<string, number>;
  let callError: { errcode: number | null; text: string } | undefined;
  try {
    const res =
      kind === 'in_service'
        ? await client.transferCustomer({
            handover_userid: fromUserid,
            takeover_userid: toUserid,
            external_userid: part,
            ...(body.transferMessage ? { transfer_success_msg: body.transferMessage } : {}),
          })
        : await client.resignedTransferCustomer({ handover_userid: fromUserid, takeover_userid: toUserid, external_userid: part });
    answers = new Map(res.customer.map((c) => [c.external_userid, c.errcode]));
  } catch (err) {
    callError = describeWeComError(err);
    answers = new Map();
  }
  const t = ctx.now();
  const rows: Row[] = part.map((ext) => {
    const errcode = callError ? callError.errcode : (answers.get(ext) ?? null);
    const ok = !callError && errcode === 0;
    const reason = ok
      ? null
      : callError
        ? `the transfer call failed: ${callError.text}`
        : errcode === null
          ? 'WeCom did not answer for this customer'
          : (TRANSFER_ERRCODES[errcode] ?? `WeCom errcode ${errcode}`);
    return {
      workspace_id: ws,
      id: newId('hov', t),
      batch_id: batchId,
      kind,
      from_userid: fromUserid,
      to_userid: toUserid,
      external_userid: ext,
      status: ok ? 'waiting' : 'failed',
      errcode,
      wecom_status: null,
      reason,
      takeover_at: null,
      created_at: t,
      updated_at: t,
    };
  });
  await opsDb(ctx).insertInto('scrm_handovers').values(rows).execute();
  return rows;
}

/** Requests a handover; see the module comment. Throws VALIDATION_FAILED / SCRM_STAFF_NOT_FOUND on a bad request. */
export async function requestHandover(ctx: OpsContext, ws: string, body: HandoverRequest): Promise<HandoverResult> {
  await checkMembers(ctx, ws, body);
  const now = ctx.now();
  const { send, refused } = await selectCustomers(ctx, ws, body, now);
  const batchId = newId('hob', now);
  const handovers: Handover[] = [];
  if (!send.length) return { batchId, handovers, refused };
  const client = await ctx.clientFor(ws);
  for (let i = 0; i < send.length; i += BATCH)
    handovers.push(...(await transferBatch(ctx, ws, client, body, batchId, send.slice(i, i + BATCH))).map(toHandover));
  return { batchId, handovers, refused };
}

/** A page of handover rows, newest first; filter by status or member. */
export async function listHandovers(
  ctx: OpsContext,
  ws: string,
  f: { status?: string; fromUserid?: string; toUserid?: string; batchId?: string; limit?: number; cursor?: string },
): Promise<Page<Handover>> {
  let q = opsDb(ctx).selectFrom('scrm_handovers').selectAll().where('workspace_id', '=', ws);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.fromUserid) q = q.where('from_userid', '=', f.fromUserid);
  if (f.toUserid) q = q.where('to_userid', '=', f.toUserid);
  if (f.batchId) q = q.where('batch_id', '=', f.batchId);
  if (f.cursor !== undefined) q = q.where(keysetAfter(['created_at', 'id'], 'desc', decodeCursor(f.cursor, ['n', 's'])));
  const limit = f.limit ?? 500;
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  return pageOf(rows, limit, toHandover, (r) => [Number(r.created_at), r.id]);
}

/** Every customer's transfer_result (or resigned/transfer_result) of one (kind, from, to): status and takeover time (ms). */
async function transferResults(client: WeComClient, kind: string, from: string, to: string): Promise<Map<string, { status: number; takeover: number }>> {
  const results = new Map<string, { status: number; takeover: number }>();
  let cursor: string | undefined;
  do {
    const req = { handover_userid: from, takeover_userid: to, cursor };
    const page = kind === 'in_service' ? await client.transferResult(req) : await client.resignedTransferResult(req);
    for (const c of page.customer) results.set(c.external_userid, { status: c.status, takeover: c.takeover_time * 1000 });
    cursor = page.next_cursor || undefined;
  } while (cursor);
  return results;
}

/** An accepted transfer moves the follow: from's ends as 'transfer', to's begins at the takeover time with from's remark, state and tags. */
async function moveFollow(trx: OpsDb, ws: string, r: Row, takeoverAt: number, now: number): Promise<void> {
  const { external_userid: ext, from_userid: from, to_userid: to } = r;
  const old = await trx
    .selectFrom('scrm_follows')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('external_userid', '=', ext)
    .where('userid', '=', from)
    .executeTakeFirst();
  if (old && old.deleted_at === null) {
    await trx
      .updateTable('scrm_follows')
      .set({ deleted_at: takeoverAt, deleted_by: 'transfer', updated_at: now })
      .where('workspace_id', '=', ws)
      .where('external_userid', '=', ext)
      .where('userid', '=', from)
      .execute();
  }
  await trx
    .insertInto('scrm_follows')
    .values({
      workspace_id: ws,
      external_userid: ext,
      userid: to,
      remark: old?.remark ?? null,
      description: old?.description ?? null,
      add_way: 202,
      state: old?.state ?? null,
      tag_ids: typeof old?.tag_ids === 'string' ? old.tag_ids : JSON.stringify(old?.tag_ids ?? []),
      added_at: takeoverAt,
      deleted_at: null,
      deleted_by: null,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'external_userid', 'userid']).doUpdateSet({ deleted_at: null, deleted_by: null, updated_at: now }))
    .execute();
}

/** Records WeCom's results on one (kind, from, to)'s waiting rows in one transaction; counts into `out`. */
async function recordResults(
  ctx: OpsContext,
  ws: string,
  rows: Row[],
  results: Map<string, { status: number; takeover: number }>,
  out: { succeeded: number; failed: number; waiting: number },
): Promise<void> {
  const now = ctx.now();
  await opsDb(ctx)
    .transaction()
    .execute(async (trx) => {
      for (const r of rows) {
        const res = results.get(r.external_userid);
        const mapped = res ? RESULT_STATUS[res.status] : undefined;
        if (!res || !mapped || mapped.status === 'waiting') {
          out.waiting++;
          continue;
        }
        const takeoverAt = mapped.status === 'succeeded' ? res.takeover || now : null;
        await trx
          .updateTable('scrm_handovers')
          .set({ status: mapped.status, wecom_status: res.status, reason: mapped.reason, takeover_at: takeoverAt, updated_at: now })
          .where('workspace_id', '=', ws)
          .where('id', '=', r.id)
          .where('status', '=', 'waiting')
          .execute();
        if (mapped.status === 'failed') {
          out.failed++;
          continue;
        }
        out.succeeded++;
        await moveFollow(trx, ws, r, takeoverAt!, now);
      }
    });
}

/**
 * Polls `transfer_result` / `resigned/transfer_result` for every (kind, from, to) with waiting
 * customers; accepted transfers move the follow in `scrm_follows` (from's ends as 'transfer',
 * to's begins at the takeover time with from's remark and tags).
 */
export async function syncHandoverResults(ctx: OpsContext, ws: string): Promise<{ succeeded: number; failed: number; waiting: number }> {
  const waiting = await opsDb(ctx).selectFrom('scrm_handovers').selectAll().where('workspace_id', '=', ws).where('status', '=', 'waiting').execute();
  const out = { succeeded: 0, failed: 0, waiting: 0 };
  if (!waiting.length) return out;
  const client = await ctx.clientFor(ws);
  const pairs = new Map<string, typeof waiting>();
  for (const w of waiting) {
    const key = `${w.kind}\u0000${w.from_userid}\u0000${w.to_userid}`;
    pairs.set(key, [...(pairs.get(key) ?? []), w]);
  }
  for (const rows of pairs.values()) {
    const { kind, from_userid: from, to_userid: to } = rows[0]!;
    await recordResults(ctx, ws, rows, await transferResults(client, kind, from, to), out);
  }
  return out;
}

/** Listener: WeCom's `transfer_fail` callback marks the waiting handover of that customer to that member failed. */
export async function handoverFailedListener(event: ScrmEvent, ctx: OpsContext): Promise<void> {
  if (event.type !== 'transfer.failed') return;
  const reason =
    event.failReason === 'customer_refused'
      ? 'the customer refused the transfer'
      : event.failReason === 'customer_limit_exceed'
        ? "the takeover member's customer count is at its limit"
        : `WeCom: ${event.failReason}`;
  await opsDb(ctx)
    .updateTable('scrm_handovers')
    .set({ status: 'failed', reason, updated_at: ctx.now() })
    .where('workspace_id', '=', event.workspaceId)
    .where('external_userid', '=', event.externalUserid)
    .where('to_userid', '=', event.userid)
    .where('status', '=', 'waiting')
    .execute();
}

/** Customers of members who left, not yet reassigned (`get_unassigned_list`), one page. */
export async function unassignedCustomers(ctx: OpsContext, ws: string, opts: { cursor?: string; limit?: number }) {
  const client = await ctx.clientFor(ws);
  const page = await client.getUnassignedList({ cursor: opts.cursor, page_size: opts.limit ?? 1000 });
  return {
    data: page.info.map((i) => ({ handoverUserid: i.handover_userid, externalUserid: i.external_userid, dimissionAt: iso(i.dimission_time * 1000) })),
    nextCursor: page.is_last || !page.next_cursor ? null : page.next_cursor,
  };
}
