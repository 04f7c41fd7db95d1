/** Listing and completing SOP staff tasks. */
import type { Selectable } from 'kysely';
import { parseJson } from '../../platform/db/database.js';
import { ScrmError } from '../errors.js';
import type { ScrmSopTasksTable } from '../schema.js';
import { iso } from '../shared.js';
import { type OpsContext, opsDb, zoneOf } from './context.js';
import { touchLastContact } from './last-contacts.js';
import { TASK_STATUSES } from './ops.schemas.js';
import { dayRange, parseDay } from './time.js';

/** A SOP task as the API shows it. */
export interface SopTask {
  id: string;
  sopId: string;
  stepId: string;
  targetType: 'group' | 'customer';
  targetId: string;
  occurrence: string;
  staff: string;
  dueAt: string;
  status: 'pending' | 'sending' | 'waiting' | 'done' | 'failed';
  msgid: string | null;
  error: string | null;
  completedBy: 'wecom' | 'manual' | null;
  completedAt: string | null;
  /** In lists: the names of the SOP, its step, the staff member and the target, when known. */
  sopName?: string | null;
  stepName?: string | null;
  staffName?: string | null;
  targetName?: string | null;
}

type Row = Selectable<ScrmSopTasksTable>;

function toTask(r: Row): SopTask {
  return {
    id: r.id,
    sopId: r.sop_id,
    stepId: r.step_id,
    targetType: r.target_type as SopTask['targetType'],
    targetId: r.target_id,
    occurrence: r.occurrence,
    staff: r.staff_userid,
    dueAt: iso(r.due_at)!,
    status: r.status as SopTask['status'],
    msgid: r.msgid,
    error: r.error,
    completedBy: r.completed_by as SopTask['completedBy'],
    completedAt: iso(r.completed_at),
  };
}

export { TASK_STATUSES };

/** Filters of the task list; `date` is a local date (YYYY-MM-DD) in the workspace time zone. */
export interface TaskFilter {
  staff?: string;
  date?: string;
  status?: string;
  sopId?: string;
  limit?: number;
  cursor?: string;
}

/** Tasks by due time (then id), paged with an opaque cursor. */
export async function listSopTasks(ctx: OpsContext, ws: string, f: TaskFilter): Promise<{ data: SopTask[]; nextCursor: string | null }> {
  const limit = f.limit ?? 100;
  let q = opsDb(ctx).selectFrom('scrm_sop_tasks').selectAll().where('workspace_id', '=', ws);
  if (f.staff) q = q.where('staff_userid', '=', f.staff);
  if (f.sopId) q = q.where('sop_id', '=', f.sopId);
  if (f.status) {
    if (!(TASK_STATUSES as readonly string[]).includes(f.status))
      throw new ScrmError('VALIDATION_FAILED', `status "${f.status}" is not one of ${TASK_STATUSES.join(', ')}`);
    q = q.where('status', '=', f.status);
  }
  if (f.date) {
    const day = parseDay(f.date);
    if (day === undefined) throw new ScrmError('VALIDATION_FAILED', `date "${f.date}" is not a date in YYYY-MM-DD form`);
    const [from, to] = dayRange(day, await zoneOf(ctx, ws));
    q = q.where('due_at', '>=', from).where('due_at', '<', to);
  }
  if (f.cursor) {
    const m = /^(\d+)\|(.+)$/.exec(Buffer.from(f.cursor, 'base64url').toString('utf8'));
    if (!m) throw new ScrmError('VALIDATION_FAILED', 'cursor is not one this API returned');
    const due = Number(m[1]);
    q = q.where((eb) => eb.or([eb('due_at', '>', due), eb.and([eb('due_at', '=', due), eb('id', '>', m[2]!)])]));
  }
  const rows = await q
    .orderBy('due_at')
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: await withNames(ctx, ws, page.map(toTask)),
    nextCursor: rows.length > limit && last ? Buffer.from(`${last.due_at}|${last.id}`).toString('base64url') : null,
  };
}

/** The tasks with the names of their SOP and step, staff member and target (customer or group). */
async function withNames(ctx: OpsContext, ws: string, tasks: SopTask[]): Promise<SopTask[]> {
  if (!tasks.length) return tasks;
  const db = opsDb(ctx);
  const ids = (pick: (t: SopTask) => string | null) => [...new Set(tasks.map(pick).filter((x): x is string => x !== null))];
  const customers = ids((t) => (t.targetType === 'customer' ? t.targetId : null));
  const groups = ids((t) => (t.targetType === 'group' ? t.targetId : null));
  const [sops, staff, contacts, chats] = await Promise.all([
    db
      .selectFrom('scrm_sops')
      .select(['id', 'name', 'steps'])
      .where('workspace_id', '=', ws)
      .where(
        'id',
        'in',
        ids((t) => t.sopId),
      )
      .execute(),
    db
      .selectFrom('scrm_staff')
      .select(['userid', 'name'])
      .where('workspace_id', '=', ws)
      .where(
        'userid',
        'in',
        ids((t) => t.staff),
      )
      .execute(),
    customers.length
      ? db
          .selectFrom('scrm_contacts')
          .select(['external_userid as id', 'name'])
          .where('workspace_id', '=', ws)
          .where('external_userid', 'in', customers)
          .execute()
      : [],
    groups.length ? db.selectFrom('scrm_groups').select(['chat_id as id', 'name']).where('workspace_id', '=', ws).where('chat_id', 'in', groups).execute() : [],
  ]);
  const sopOf = new Map(sops.map((r) => [r.id, { name: r.name, steps: parseJson<{ id: string; name?: string }[]>(r.steps) ?? [] }]));
  const staffName = new Map(staff.map((r) => [r.userid, r.name]));
  const targetName = new Map([...contacts, ...chats].map((r) => [r.id, r.name]));
  return tasks.map((t) => {
    const sop = sopOf.get(t.sopId);
    return {
      ...t,
      sopName: sop?.name ?? null,
      stepName: sop?.steps.find((x) => x.id === t.stepId)?.name ?? null,
      staffName: staffName.get(t.staff) ?? null,
      targetName: targetName.get(t.targetId) || null,
    };
  });
}

/** Marks a task done by hand (the staff member sent it another way); done tasks stay as they are. */
export async function completeSopTask(ctx: OpsContext, ws: string, id: string): Promise<SopTask> {
  const db = opsDb(ctx);
  const row = await db.selectFrom('scrm_sop_tasks').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!row) throw new ScrmError('SOP_TASK_NOT_FOUND', `no SOP task ${id} in this workspace`);
  if (row.status === 'done') return toTask(row);
  const now = ctx.now();
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('scrm_sop_tasks')
      .set({ status: 'done', completed_by: 'manual', completed_at: now, error: null, updated_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .execute();
    if (row.target_type === 'customer') await touchLastContact(trx, ws, row.staff_userid, row.target_id, now);
  });
  return toTask(await db.selectFrom('scrm_sop_tasks').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirstOrThrow());
}
