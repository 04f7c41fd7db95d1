/**
 * The SOP scheduler. Each tick (every minute, per workspace):
 * 1. fan-out: due steps of active SOPs become staff tasks, one per (sop, step, target,
 *    occurrence) — a unique key, so running a tick twice (or on two workers) adds nothing;
 * 2. dispatch: pending tasks become WeCom mass-message tasks (`add_msg_template`), one per
 *    (sop, step, occurrence, staff member), because WeCom only sends after the member confirms;
 * 3. results (sop-results.ts): WeCom's per-recipient results mark tasks done or failed.
 * A due occurrence older than 24 hours is not created any more: a worker that was down for days
 * does not flood staff with stale tasks.
 */
import type { Insertable, Selectable } from 'kysely';
import { existingJobStates, insertJobStateIfAbsent } from '../../platform/db/job-state.js';
import { newId } from '../../platform/ids.js';
import { dayString, localDay, localTimeOnDay } from '../../platform/time.js';
import type { AddMsgTemplateRequest, WeComClient } from '../../wecom/index.js';
import type { ScrmSopTasksTable } from '../schema.js';
import { describeWeComError } from '../shared.js';
import { type OpsContext, type OpsDb, opsDb, zoneOf } from './context.js';
import { resolveTargets, type Target } from './sop-targets.js';
import { type Sop, type SopStep, toSop } from './sops.service.js';
import { weekday } from './time.js';

const DAY_MS = 86_400_000;
/** How late a due step may still become a task. */
export const SOP_GRACE_MS = DAY_MS;
/** A task left in 'sending' this long was interrupted between asking WeCom and recording its answer. */
const SENDING_STALE_MS = 10 * 60_000;

/** What one tick did. */
export interface SopTickReport {
  created: number;
  dispatched: number;
  failed: number;
}

type TaskRow = Insertable<ScrmSopTasksTable>;

function taskRow(ws: string, sop: Sop, now: number, step: SopStep, target: Target, occurrence: string, due: number): TaskRow {
  return {
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
  };
}

/** Relative steps due now: only targets that joined recently enough for some step to be due are read. */
async function relativeTasks(ctx: OpsContext, ws: string, sop: Sop, now: number, tz: string): Promise<TaskRow[]> {
  const relative = sop.steps.filter((s) => s.schedule.kind === 'relative');
  if (!relative.length) return [];
  const created = Date.parse(sop.createdAt);
  const rows: TaskRow[] = [];
  const maxDay = Math.max(...relative.map((s) => (s.schedule.kind === 'relative' ? s.schedule.day : 0)));
  const earliest = now - (maxDay + 2) * DAY_MS - SOP_GRACE_MS;
  for (const target of await resolveTargets(ctx, ws, sop, created >= earliest ? undefined : earliest)) {
    for (const step of relative) {
      if (step.schedule.kind !== 'relative') continue;
      const due = Math.max(target.anchor, localTimeOnDay(localDay(target.anchor, tz) + step.schedule.day, step.schedule.time, tz));
      if (due <= now && now - due <= SOP_GRACE_MS) rows.push(taskRow(ws, sop, now, step, target, 'once', due));
    }
  }
  return rows;
}

const markerName = (sop: Sop, step: SopStep, occurrence: string) => `scrm.sop:${sop.id}:${step.id}:${occurrence}`;

/**
 * Recurring steps: today's and yesterday's occurrences that are due, not older than the grace and
 * not before the SOP existed; each occurrence fans out once (a marker in job_state).
 */
async function recurringTasks(ctx: OpsContext, ws: string, sop: Sop, now: number, tz: string): Promise<{ rows: TaskRow[]; markers: string[] }> {
  const created = Date.parse(sop.createdAt);
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
  const rows: TaskRow[] = [];
  const markers: string[] = [];
  if (!occurrences.length) return { rows, markers };
  const names = occurrences.map((o) => markerName(sop, o.step, o.occurrence));
  const done = await existingJobStates(opsDb(ctx), ws, names);
  const open = occurrences.filter((_, i) => !done.has(names[i]!));
  if (!open.length) return { rows, markers };
  const targets = await resolveTargets(ctx, ws, sop, undefined);
  for (const o of open) {
    for (const target of targets) if (target.anchor <= o.due) rows.push(taskRow(ws, sop, now, o.step, target, o.occurrence, o.due));
    markers.push(markerName(sop, o.step, o.occurrence));
  }
  return { rows, markers };
}

/** Creates the tasks of one SOP that are due now, with the markers of the occurrences fanned out, in one transaction; returns how many tasks were new. */
async function fanOut(ctx: OpsContext, ws: string, sop: Sop, now: number, tz: string): Promise<number> {
  const relative = await relativeTasks(ctx, ws, sop, now, tz);
  const recurring = await recurringTasks(ctx, ws, sop, now, tz);
  const rows = [...relative, ...recurring.rows];
  if (!rows.length && !recurring.markers.length) return 0;
  return opsDb(ctx)
    .transaction()
    .execute(async (trx) => {
      let inserted = 0;
      for (let i = 0; i < rows.length; i += 500) {
        const res = await trx
          .insertInto('scrm_sop_tasks')
          .values(rows.slice(i, i + 500))
          .onConflict((oc) => oc.columns(['workspace_id', 'sop_id', 'step_id', 'target_id', 'occurrence']).doNothing())
          .executeTakeFirst();
        inserted += Number(res.numInsertedOrUpdatedRows ?? 0);
      }
      for (const name of recurring.markers) await insertJobStateIfAbsent(trx, ws, name, { at: now }, now);
      return inserted;
    });
}

type TaskRead = Selectable<ScrmSopTasksTable>;

/** Sets fields of some tasks (none: nothing). */
function setStatus(ctx: OpsContext, ws: string, ids: string[], patch: Record<string, unknown>): Promise<unknown> {
  if (!ids.length) return Promise.resolve();
  return opsDb(ctx)
    .updateTable('scrm_sop_tasks')
    .set({ ...patch, updated_at: ctx.now() })
    .where('workspace_id', '=', ws)
    .where('id', 'in', ids)
    .execute();
}

/**
 * Tasks interrupted between asking WeCom and recording its answer fail: WeCom may hold the task,
 * so it is not asked again (no duplicate message to customers); the staff member sees why.
 */
async function failInterrupted(db: OpsDb, ws: string, now: number): Promise<void> {
  await db
    .updateTable('scrm_sop_tasks')
    .set({ status: 'failed', error: 'interrupted while creating the WeCom task; check WeCom before sending again', updated_at: now })
    .where('workspace_id', '=', ws)
    .where('status', '=', 'sending')
    .where('updated_at', '<', now - SENDING_STALE_MS)
    .execute();
}

/** Pending tasks (up to 5,000, by due time) in batches of one (sop, step, occurrence, staff, target type), with their SOPs. */
async function pendingBatches(db: OpsDb, ws: string): Promise<{ batches: TaskRead[][]; sops: Map<string, Sop> }> {
  const pending = await db
    .selectFrom('scrm_sop_tasks')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('status', '=', 'pending')
    .orderBy('due_at')
    .limit(5000)
    .execute();
  if (!pending.length) return { batches: [], sops: new Map() };
  const sopIds = [...new Set(pending.map((p) => p.sop_id))];
  const sops = new Map(
    (await db.selectFrom('scrm_sops').selectAll().where('workspace_id', '=', ws).where('id', 'in', sopIds).execute()).map((r) => [r.id, toSop(r)]),
  );
  const batches = new Map<string, TaskRead[]>();
  for (const p of pending) {
    const key = [p.sop_id, p.step_id, p.occurrence, p.staff_userid, p.target_type].join('\u0000');
    const list = batches.get(key) ?? [];
    list.push(p);
    batches.set(key, list);
  }
  return { batches: [...batches.values()], sops };
}

/** Hands one batch to WeCom as one mass-message task; a paused SOP's batch waits. Returns the tasks dispatched and failed. */
async function dispatchBatch(
  ctx: OpsContext,
  ws: string,
  client: WeComClient,
  tasks: TaskRead[],
  sop: Sop | undefined,
): Promise<{ dispatched: number; failed: number }> {
  const first = tasks[0]!;
  const step = sop?.steps.find((s) => s.id === first.step_id);
  const ids = tasks.map((t) => t.id);
  if (!sop || sop.status === 'archived' || !step) {
    await setStatus(ctx, ws, ids, { status: 'failed', error: 'the SOP or its step was removed before the WeCom task was created' });
    return { dispatched: 0, failed: tasks.length };
  }
  if (sop.status === 'paused') return { dispatched: 0, failed: 0 };
  const req: AddMsgTemplateRequest = {
    chat_type: first.target_type === 'group' ? 'group' : 'single',
    sender: first.staff_userid,
    ...(first.target_type === 'group' ? { chat_id_list: tasks.map((t) => t.target_id) } : { external_userid: tasks.map((t) => t.target_id) }),
    ...(step.content.text ? { text: step.content.text } : {}),
    ...(step.content.attachments ? { attachments: step.content.attachments } : {}),
  };
  await setStatus(ctx, ws, ids, { status: 'sending' });
  try {
    const res = await client.addMsgTemplate(req);
    const unreachable = new Set(res.fail_list ?? []);
    const bad = tasks.filter((t) => unreachable.has(t.target_id)).map((t) => t.id);
    const ok = ids.filter((id) => !bad.includes(id));
    await setStatus(ctx, ws, bad, {
      status: 'failed',
      msgid: res.msgid,
      error: 'WeCom cannot send to this customer (fail_list: not a customer of the sender, or over the monthly limit)',
    });
    await setStatus(ctx, ws, ok, { status: 'waiting', msgid: res.msgid });
    return { dispatched: ok.length, failed: bad.length };
  } catch (err) {
    const { errcode, text } = describeWeComError(err);
    // A network failure may or may not have created the task: treat it like an interruption.
    await setStatus(
      ctx,
      ws,
      ids,
      errcode === null
        ? { status: 'failed', error: `could not reach WeCom (${text}); check WeCom before sending again` }
        : { status: 'failed', error: `WeCom refused the mass-message task: ${text}` },
    );
    return { dispatched: 0, failed: ids.length };
  }
}

/** Sends pending tasks to WeCom as mass-message tasks, one per (sop, step, occurrence, staff, target type). */
async function dispatchPending(ctx: OpsContext, ws: string): Promise<{ dispatched: number; failed: number }> {
  const db = opsDb(ctx);
  await failInterrupted(db, ws, ctx.now());
  const { batches, sops } = await pendingBatches(db, ws);
  if (!batches.length) return { dispatched: 0, failed: 0 };
  let client;
  try {
    client = await ctx.clientFor(ws);
  } catch (err) {
    ctx.log.warn({ err, workspaceId: ws }, 'SOP tasks wait: no WeCom client for the workspace');
    return { dispatched: 0, failed: 0 };
  }
  const total = { dispatched: 0, failed: 0 };
  for (const tasks of batches) {
    const r = await dispatchBatch(ctx, ws, client, tasks, sops.get(tasks[0]!.sop_id));
    total.dispatched += r.dispatched;
    total.failed += r.failed;
  }
  return total;
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
