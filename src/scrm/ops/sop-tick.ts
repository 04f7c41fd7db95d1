/**
 * The SOP scheduler. Each tick (every minute, per workspace):
 * 1. fan-out: due steps of active SOPs become staff tasks, one per (sop, step, target,
 *    occurrence) — a unique key, so running a tick twice (or on two workers) adds nothing;
 * 2. dispatch: pending tasks become WeCom mass-message tasks (`add_msg_template`), one per
 *    (sop, step, occurrence, staff member), because WeCom only sends after the member confirms;
 * 3. results (syncSopTaskResults): WeCom's per-recipient results mark tasks done or failed.
 * A due occurrence older than 24 hours is not created any more: a worker that was down for days
 * does not flood staff with stale tasks.
 */
import { type Insertable, sql } from 'kysely';
import { newId } from '../../platform/ids.js';
import type { AddMsgTemplateRequest } from '../../wecom/types.js';
import type { ScrmSopTasksTable } from '../schema.js';
import { describeWeComError, type OpsContext, opsDb, segmentFollows, zoneOf } from './context.js';
import { type Sop, type SopStep, toSop } from './sops.service.js';
import { weekday } from './time.js';
import { dayString, localDay, localTimeOnDay } from '../../platform/time.js';

const DAY_MS = 86_400_000;
/** How late a due step may still become a task. */
export const SOP_GRACE_MS = DAY_MS;
/** A task left in 'sending' this long was interrupted between asking WeCom and recording its answer. */
const SENDING_STALE_MS = 10 * 60_000;

/** A group or customer a SOP reaches, its owner, and when it joined the SOP. */
interface Target {
  type: 'group' | 'customer';
  id: string;
  staff: string;
  anchor: number;
}

/** What one tick did. */
export interface SopTickReport {
  created: number;
  dispatched: number;
  failed: number;
}

async function resolveTargets(ctx: OpsContext, ws: string, sop: Sop, since: number | undefined): Promise<Target[]> {
  const db = opsDb(ctx);
  const created = Date.parse(sop.createdAt);
  const t = sop.target;
  if (t.type === 'groups') {
    const tagged = t.groupTagIds?.length && ctx.groupsWithTags ? await ctx.groupsWithTags(ws, t.groupTagIds) : [];
    const chatIds = [...new Set([...(t.chatIds ?? []), ...tagged])];
    const owners = t.owners ?? [];
    if (!chatIds.length && !owners.length) return [];
    let q = db.selectFrom('scrm_groups').select(['chat_id', 'owner', 'created_at']).where('workspace_id', '=', ws).where('status', '=', 'active');
    q = q.where((eb) => eb.or([...(chatIds.length ? [eb('chat_id', 'in', chatIds)] : []), ...(owners.length ? [eb('owner', 'in', owners)] : [])]));
    if (since !== undefined) q = q.where('created_at', '>=', since);
    return (await q.execute()).map((g) => ({ type: 'group', id: g.chat_id, staff: g.owner, anchor: Math.max(Number(g.created_at), created) }));
  }
  // 1:1: the owner is the earliest live follower who has not left the corp.
  const rows =
    'segmentId' in t
      ? await segmentFollows(db, ws, t.segmentId)
          .leftJoin('scrm_staff as s', (j) => j.onRef('s.workspace_id', '=', 'f.workspace_id').onRef('s.userid', '=', 'f.userid'))
          .select(['f.external_userid', 'f.userid', 'f.added_at', 'sm.entered_at as joined'])
          .where((eb) => eb.or([eb('s.status', 'is', null), eb('s.status', '!=', 'resigned')]))
          .$if(since !== undefined, (q) => q.where('sm.entered_at', '>=', since!))
          .execute()
      : await db
          .selectFrom('scrm_follows as f')
          .leftJoin('scrm_staff as s', (j) => j.onRef('s.workspace_id', '=', 'f.workspace_id').onRef('s.userid', '=', 'f.userid'))
          .select(['f.external_userid', 'f.userid', 'f.added_at', 'f.added_at as joined'])
          .where('f.workspace_id', '=', ws)
          .where('f.deleted_at', 'is', null)
          .where('f.added_at', '>=', Math.max(created, since ?? 0))
          .where((eb) => eb.or([eb('s.status', 'is', null), eb('s.status', '!=', 'resigned')]))
          .$if(!!t.liveCodeStates?.length, (q) => q.where('f.state', 'in', t.liveCodeStates!))
          .execute();
  const best = new Map<string, Target>();
  for (const r of rows) {
    const prev = best.get(r.external_userid);
    const anchor = Math.max(Number(r.joined), created);
    if (!prev || Number(r.added_at) < (prev as Target & { added: number }).added) {
      best.set(r.external_userid, Object.assign({ type: 'customer' as const, id: r.external_userid, staff: r.userid, anchor }, { added: Number(r.added_at) }));
    }
  }
  return [...best.values()].map(({ type, id, staff, anchor }) => ({ type, id, staff, anchor }));
}

type TaskRow = Insertable<ScrmSopTasksTable>;

/** Creates the tasks of one SOP that are due now; returns how many were new. */
async function fanOut(ctx: OpsContext, ws: string, sop: Sop, now: number, tz: string): Promise<number> {
  const db = opsDb(ctx);
  const created = Date.parse(sop.createdAt);
  const rows: TaskRow[] = [];
  const markers: string[] = [];
  const task = (step: SopStep, target: Target, occurrence: string, due: number): TaskRow => ({
    workspace_id: ws,
    id: newId('stk', now),
    sop_id: sop.id,
    step_id: step.id,
    target_type: target.type,
    target_id: target.id,
    occurrence,
    staff_userid: target.staff,
    due_at: due,
    status: 'pending',
    msgid: null,
    error: null,
    completed_by: null,
    completed_at: null,
    created_at: now,
    updated_at: now,
  });

  // Relative steps: only targets that joined recently enough for some step to be due now.
  const relative = sop.steps.filter((s) => s.schedule.kind === 'relative');
  if (relative.length) {
    const maxDay = Math.max(...relative.map((s) => (s.schedule.kind === 'relative' ? s.schedule.day : 0)));
    const earliest = now - (maxDay + 2) * DAY_MS - SOP_GRACE_MS;
    for (const target of await resolveTargets(ctx, ws, sop, created >= earliest ? undefined : earliest)) {
      for (const step of relative) {
        if (step.schedule.kind !== 'relative') continue;
        const due = Math.max(target.anchor, localTimeOnDay(localDay(target.anchor, tz) + step.schedule.day, step.schedule.time, tz));
        if (due <= now && now - due <= SOP_GRACE_MS) rows.push(task(step, target, 'once', due));
      }
    }
  }

  // Recurring steps: today's and yesterday's occurrences that are due, not older than the grace
  // and not before the SOP existed; each occurrence fans out once (marker in job_state).
  const today = localDay(now, tz);
  const occurrences: Array<{ step: SopStep; occurrence: string; due: number }> = [];
  for (const step of sop.steps) {
    if (step.schedule.kind !== 'recurring') continue;
    for (const day of [today - 1, today]) {
      if (!step.schedule.weekdays.includes(weekday(day))) continue;
      const due = localTimeOnDay(day, step.schedule.time, tz);
      if (due > now || now - due > SOP_GRACE_MS || due < created) continue;
      occurrences.push({ step, occurrence: dayString(day), due });
    }
  }
  if (occurrences.length) {
    const names = occurrences.map((o) => `scrm.sop:${sop.id}:${o.step.id}:${o.occurrence}`);
    const done = new Set(
      (await db.selectFrom('job_state').select('name').where('workspace_id', '=', ws).where('name', 'in', names).execute()).map((r) => r.name),
    );
    const open = occurrences.filter((_, i) => !done.has(names[i]!));
    if (open.length) {
      const targets = await resolveTargets(ctx, ws, sop, undefined);
      for (const o of open) {
        for (const target of targets) if (target.anchor <= o.due) rows.push(task(o.step, target, o.occurrence, o.due));
        markers.push(`scrm.sop:${sop.id}:${o.step.id}:${o.occurrence}`);
      }
    }
  }
  if (!rows.length && !markers.length) return 0;

  return db.transaction().execute(async (trx) => {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += 500) {
      const res = await trx
        .insertInto('scrm_sop_tasks')
        .values(rows.slice(i, i + 500))
        .onConflict((oc) => oc.columns(['workspace_id', 'sop_id', 'step_id', 'target_id', 'occurrence']).doNothing())
        .executeTakeFirst();
      inserted += Number(res.numInsertedOrUpdatedRows ?? 0);
    }
    for (const name of markers) {
      await trx
        .insertInto('job_state')
        .values({ workspace_id: ws, name, value: JSON.stringify({ at: now }), updated_at: now })
        .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
        .execute();
    }
    return inserted;
  });
}

/** Sends pending tasks to WeCom as mass-message tasks, one per (sop, step, occurrence, staff, target type). */
async function dispatchPending(ctx: OpsContext, ws: string): Promise<{ dispatched: number; failed: number }> {
  const db = opsDb(ctx);
  const now = ctx.now();
  const setStatus = (ids: string[], patch: Record<string, unknown>) =>
    ids.length
      ? db
          .updateTable('scrm_sop_tasks')
          .set({ ...patch, updated_at: ctx.now() })
          .where('workspace_id', '=', ws)
          .where('id', 'in', ids)
          .execute()
      : Promise.resolve();

  // Interrupted between asking WeCom and recording its answer: WeCom may hold the task, so it is
  // not asked again (no duplicate message to customers); the staff member sees why.
  await db
    .updateTable('scrm_sop_tasks')
    .set({ status: 'failed', error: 'interrupted while creating the WeCom task; check WeCom before sending again', updated_at: now })
    .where('workspace_id', '=', ws)
    .where('status', '=', 'sending')
    .where('updated_at', '<', now - SENDING_STALE_MS)
    .execute();

  const pending = await db
    .selectFrom('scrm_sop_tasks')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('status', '=', 'pending')
    .orderBy('due_at')
    .limit(5000)
    .execute();
  if (!pending.length) return { dispatched: 0, failed: 0 };
  const sopIds = [...new Set(pending.map((p) => p.sop_id))];
  const sops = new Map(
    (await db.selectFrom('scrm_sops').selectAll().where('workspace_id', '=', ws).where('id', 'in', sopIds).execute()).map((r) => [r.id, toSop(r)]),
  );
  const groups = new Map<string, typeof pending>();
  for (const p of pending) {
    const key = [p.sop_id, p.step_id, p.occurrence, p.staff_userid, p.target_type].join('\u0000');
    const list = groups.get(key) ?? [];
    list.push(p);
    groups.set(key, list);
  }
  let client;
  try {
    client = await ctx.clientFor(ws);
  } catch (err) {
    ctx.log.warn({ err, workspaceId: ws }, 'SOP tasks wait: no WeCom client for the workspace');
    return { dispatched: 0, failed: 0 };
  }
  let dispatched = 0;
  let failed = 0;
  for (const tasks of groups.values()) {
    const first = tasks[0]!;
    const sop = sops.get(first.sop_id);
    const step = sop?.steps.find((s) => s.id === first.step_id);
    if (!sop || sop.status === 'archived' || !step) {
      await setStatus(
        tasks.map((t) => t.id),
        { status: 'failed', error: 'the SOP or its step was removed before the WeCom task was created' },
      );
      failed += tasks.length;
      continue;
    }
    if (sop.status === 'paused') continue;
    const ids = tasks.map((t) => t.id);
    const req: AddMsgTemplateRequest = {
      chat_type: first.target_type === 'group' ? 'group' : 'single',
      sender: first.staff_userid,
      ...(first.target_type === 'group' ? { chat_id_list: tasks.map((t) => t.target_id) } : { external_userid: tasks.map((t) => t.target_id) }),
      ...(step.content.text ? { text: step.content.text } : {}),
      ...(step.content.attachments ? { attachments: step.content.attachments } : {}),
    };
    await setStatus(ids, { status: 'sending' });
    try {
      const res = await client.addMsgTemplate(req);
      const unreachable = new Set(res.fail_list ?? []);
      const bad = tasks.filter((t) => unreachable.has(t.target_id)).map((t) => t.id);
      const ok = ids.filter((id) => !bad.includes(id));
      await setStatus(bad, {
        status: 'failed',
        msgid: res.msgid,
        error: 'WeCom cannot send to this customer (fail_list: not a customer of the sender, or over the monthly limit)',
      });
      await setStatus(ok, { status: 'waiting', msgid: res.msgid });
      dispatched += ok.length;
      failed += bad.length;
    } catch (err) {
      const { errcode, text } = describeWeComError(err);
      // A network failure may or may not have created the task: treat it like an interruption.
      await setStatus(
        ids,
        errcode === null
          ? { status: 'failed', error: `could not reach WeCom (${text}); check WeCom before sending again` }
          : { status: 'failed', error: `WeCom refused the mass-message task: ${text}` },
      );
      failed += ids.length;
    }
  }
  return { dispatched, failed };
}

/** One scheduler tick for a workspace: create due tasks, then hand pending ones to WeCom. Idempotent. */
export async function runSopTick(ctx: OpsContext, ws: string): Promise<SopTickReport> {
  const now = ctx.now();
  const tz = await zoneOf(ctx, ws);
  const rows = await opsDb(ctx).selectFrom('scrm_sops').selectAll().where('workspace_id', '=', ws).where('status', '=', 'active').execute();
  let created = 0;
  for (const row of rows) created += await fanOut(ctx, ws, toSop(row), now, tz);
  return { created, ...(await dispatchPending(ctx, ws)) };
}

/** What a results sync changed. */
export interface SopSyncReport {
  done: number;
  failed: number;
  stillWaiting: number;
}

/**
 * Polls WeCom for the tasks waiting on staff: `get_groupmsg_task` tells which members sent,
 * `get_groupmsg_send_result` to whom; sent targets become done (and count as a contact).
 */
export async function syncSopTaskResults(ctx: OpsContext, ws: string): Promise<SopSyncReport> {
  const db = opsDb(ctx);
  const waiting = await db
    .selectFrom('scrm_sop_tasks')
    .select(['id', 'msgid', 'staff_userid', 'target_type', 'target_id'])
    .where('workspace_id', '=', ws)
    .where('status', '=', 'waiting')
    .execute();
  const report: SopSyncReport = { done: 0, failed: 0, stillWaiting: 0 };
  if (!waiting.length) return report;
  const client = await ctx.clientFor(ws);
  const byMsg = new Map<string, typeof waiting>();
  for (const w of waiting) {
    const list = byMsg.get(w.msgid!) ?? [];
    list.push(w);
    byMsg.set(w.msgid!, list);
  }
  for (const [msgid, tasks] of byMsg) {
    const sent = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await client.getGroupMsgTask({ msgid, cursor, limit: 1000 });
      for (const t of page.task_list) if (t.status === 2) sent.add(t.userid);
      cursor = page.next_cursor || undefined;
    } while (cursor);
    for (const staff of new Set(tasks.map((t) => t.staff_userid))) {
      const mine = tasks.filter((t) => t.staff_userid === staff);
      if (!sent.has(staff)) {
        report.stillWaiting += mine.length;
        continue;
      }
      const outcome = new Map<string, { status: number; at: number }>();
      let c: string | undefined;
      do {
        const page = await client.getGroupMsgSendResult({ msgid, userid: staff, cursor: c, limit: 1000 });
        for (const r of page.send_list) outcome.set(r.external_userid ?? r.chat_id ?? '', { status: r.status, at: (r.send_time ?? 0) * 1000 });
        c = page.next_cursor || undefined;
      } while (c);
      const now = ctx.now();
      await db.transaction().execute(async (trx) => {
        for (const t of mine) {
          const o = outcome.get(t.target_id);
          if (!o || o.status === 0) {
            report.stillWaiting++;
            continue;
          }
          if (o.status === 1) {
            const at = o.at || now;
            await trx
              .updateTable('scrm_sop_tasks')
              .set({ status: 'done', completed_by: 'wecom', completed_at: at, updated_at: now })
              .where('workspace_id', '=', ws)
              .where('id', '=', t.id)
              .execute();
            if (t.target_type === 'customer') await touchLastContact(trx as unknown as typeof db, ws, staff, t.target_id, at);
            report.done++;
          } else {
            const error = o.status === 2 ? 'not a customer of the sender any more' : 'the customer already received another mass message today';
            await trx
              .updateTable('scrm_sop_tasks')
              .set({ status: 'failed', error, updated_at: now })
              .where('workspace_id', '=', ws)
              .where('id', '=', t.id)
              .execute();
            report.failed++;
          }
        }
      });
    }
  }
  return report;
}

/** Records a contact between a staff member and a customer, keeping the latest time. */
export async function touchLastContact(db: ReturnType<typeof opsDb>, ws: string, userid: string, externalUserid: string, at: number): Promise<void> {
  await db
    .insertInto('scrm_last_contacts')
    .values({ workspace_id: ws, userid, external_userid: externalUserid, last_at: at })
    .onConflict((oc) =>
      oc
        .columns(['workspace_id', 'userid', 'external_userid'])
        .doUpdateSet({ last_at: sql`case when excluded.last_at > scrm_last_contacts.last_at then excluded.last_at else scrm_last_contacts.last_at end` }),
    )
    .execute();
}
