/**
 * The guide workbench (导购工作台), as an API: each staff member's customers with tags, RFM cell,
 * lifecycle stage and last contact; today's tasks (SOP tasks plus follow-ups generated from the
 * workspace's workbench rules: members of a segment become tasks for the staff who follow
 * them, once per local day); and 1:1 message recommendations from a snippet library by tag.
 */
import { ScrmError } from '../errors.js';
import { SegmentError } from '../../segments/index.js';
import { newId } from '../../platform/ids.js';
import { parseJson as json } from '../../platform/db/database.js';
import { liveProfileIds } from '../../cdp/index.js';
import { isActiveSegment, profileScores } from '../foreign.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../../platform/paging.js';
import { iso } from '../shared.js';
import { type OpsContext, opsDb, segmentFollows, zoneOf } from './context.js';
import { listSopTasks, type SopTask } from './sop-tasks.service.js';
import { dayString, localDay } from '../../platform/time.js';

export const RULE_KINDS = ['follow_up_vip', 'birthday', 'win_back', 'custom'] as const;

async function requireStaff(ctx: OpsContext, ws: string, userid: string): Promise<void> {
  const s = await opsDb(ctx).selectFrom('scrm_staff').select('userid').where('workspace_id', '=', ws).where('userid', '=', userid).executeTakeFirst();
  if (!s) throw new ScrmError('SCRM_STAFF_NOT_FOUND', `no staff member ${userid} in this workspace (sync staff from WeCom first)`);
}

/** Corp tag id → name and group, for the tags on follows. */
async function corpTags(ctx: OpsContext, ws: string): Promise<Map<string, { name: string; group: string }>> {
  const rows = await opsDb(ctx)
    .selectFrom('scrm_corp_tags')
    .select(['tag_id', 'name', 'group_name'])
    .where('workspace_id', '=', ws)
    .where('deleted_at', 'is', null)
    .execute();
  return new Map(rows.map((r) => [r.tag_id, { name: r.name, group: r.group_name }]));
}

/** A customer in a staff member's list. */
export interface WorkbenchCustomer {
  externalUserid: string;
  name: string;
  profileId: string;
  remark: string | null;
  tags: Array<{ id: string; name: string; group: string }>;
  rfmCell: string | null;
  lifecycleStage: string | null;
  addedAt: string;
  lastContactAt: string;
}

/** A page of the staff member's live customers, ordered by external_userid. */
export async function staffCustomers(
  ctx: OpsContext,
  ws: string,
  userid: string,
  opts: { limit?: number; cursor?: string },
): Promise<{ data: WorkbenchCustomer[]; nextCursor: string | null }> {
  await requireStaff(ctx, ws, userid);
  const limit = opts.limit ?? 50;
  const db = opsDb(ctx);
  let q = db
    .selectFrom('scrm_follows as f')
    .innerJoin('scrm_contacts as c', (j) => j.onRef('c.workspace_id', '=', 'f.workspace_id').onRef('c.external_userid', '=', 'f.external_userid'))
    .leftJoin('scrm_last_contacts as lc', (j) =>
      j.onRef('lc.workspace_id', '=', 'f.workspace_id').onRef('lc.userid', '=', 'f.userid').onRef('lc.external_userid', '=', 'f.external_userid'),
    )
    .select(['f.external_userid', 'f.remark', 'f.tag_ids', 'f.added_at', 'c.name', 'c.profile_id', 'lc.last_at'])
    .where('f.workspace_id', '=', ws)
    .where('f.userid', '=', userid)
    .where('f.deleted_at', 'is', null);
  if (opts.cursor) q = q.where('f.external_userid', '>', Buffer.from(opts.cursor, 'base64url').toString('utf8'));
  const rows = await q
    .orderBy('f.external_userid')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const tags = await corpTags(ctx, ws);
  const live = await liveProfileIds(
    ctx.db,
    ws,
    page.map((r) => r.profile_id),
  );
  const scores = await profileScores(ctx.db, ws, [...new Set(live.values())]);
  const data = page.map((r) => {
    const pid = live.get(r.profile_id) ?? r.profile_id;
    const s = scores.get(pid);
    const tagIds = json<string[]>(r.tag_ids) ?? [];
    return {
      externalUserid: r.external_userid,
      name: r.name,
      profileId: pid,
      remark: r.remark,
      tags: tagIds.flatMap((id) => (tags.has(id) ? [{ id, ...tags.get(id)! }] : [])),
      rfmCell: s?.rfm_cell ?? null,
      lifecycleStage: s?.lifecycle_stage ?? null,
      addedAt: iso(r.added_at)!,
      lastContactAt: iso(Math.max(Number(r.added_at), Number(r.last_at ?? 0)))!,
    };
  });
  const last = page[page.length - 1];
  return { data, nextCursor: rows.length > limit && last ? Buffer.from(last.external_userid).toString('base64url') : null };
}

// ── Workbench rules ──────────────────────────────────────────────────────────────────────

/** A workbench rule as the API shows it. */
export interface WorkbenchRule {
  id: string;
  segmentId: string;
  kind: (typeof RULE_KINDS)[number];
  titleTemplate: string;
  createdAt: string;
}

const toRule = (r: { id: string; segment_id: string; kind: string; title_template: string; created_at: number }): WorkbenchRule => ({
  id: r.id,
  segmentId: r.segment_id,
  kind: r.kind as WorkbenchRule['kind'],
  titleTemplate: r.title_template,
  createdAt: iso(r.created_at)!,
});

/** Creates a rule: members of `segmentId` become `kind` tasks titled by `titleTemplate` ({name}, {remark} filled in). */
export async function createWorkbenchRule(
  ctx: OpsContext,
  ws: string,
  body: { segmentId: string; kind: string; titleTemplate: string },
): Promise<WorkbenchRule> {
  if (!(RULE_KINDS as readonly string[]).includes(body.kind))
    throw new ScrmError('VALIDATION_FAILED', `kind "${body.kind}" is not one of ${RULE_KINDS.join(', ')}`);
  if (!(await isActiveSegment(ctx.db, ws, body.segmentId))) throw new SegmentError('SEGMENT_NOT_FOUND', `segmentId: no active segment ${body.segmentId}`);
  const now = ctx.now();
  const row = {
    workspace_id: ws,
    id: newId('wbr', now),
    segment_id: body.segmentId,
    kind: body.kind,
    title_template: body.titleTemplate,
    created_at: now,
    updated_at: now,
  };
  await opsDb(ctx).insertInto('scrm_workbench_rules').values(row).execute();
  return toRule(row);
}

/** A page of the workspace's workbench rules, oldest first. */
export async function listWorkbenchRules(ctx: OpsContext, ws: string, q: { limit: number; cursor?: string }): Promise<Page<WorkbenchRule>> {
  let query = opsDb(ctx).selectFrom('scrm_workbench_rules').selectAll().where('workspace_id', '=', ws);
  if (q.cursor !== undefined) query = query.where(keysetAfter(['created_at', 'id'], 'asc', decodeCursor(q.cursor, ['n', 's'])));
  const rows = await query
    .orderBy('created_at')
    .orderBy('id')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, toRule, (r) => [Number(r.created_at), r.id]);
}

/** Deletes a rule; tasks it generated stay. */
export async function deleteWorkbenchRule(ctx: OpsContext, ws: string, id: string): Promise<void> {
  const res = await opsDb(ctx).deleteFrom('scrm_workbench_rules').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw new ScrmError('WORKBENCH_RULE_NOT_FOUND', `no workbench rule ${id} in this workspace`);
}

// ── Today ────────────────────────────────────────────────────────────────────────────────

/** A generated follow-up task. */
export interface GuideTask {
  id: string;
  ruleId: string;
  kind: string;
  title: string;
  externalUserid: string;
  profileId: string;
  day: string;
  status: 'open' | 'done';
  doneAt: string | null;
}

const toGuideTask = (r: {
  id: string;
  rule_id: string;
  kind: string;
  title: string;
  external_userid: string;
  profile_id: string;
  day: string;
  status: string;
  done_at: number | null;
}): GuideTask => ({
  id: r.id,
  ruleId: r.rule_id,
  kind: r.kind,
  title: r.title,
  externalUserid: r.external_userid,
  profileId: r.profile_id,
  day: r.day,
  status: r.status as GuideTask['status'],
  doneAt: iso(r.done_at),
});

/** Generates today's follow-ups for a staff member (idempotent per day) and returns them with today's SOP tasks. */
export async function staffToday(ctx: OpsContext, ws: string, userid: string): Promise<{ date: string; sopTasks: SopTask[]; followUps: GuideTask[] }> {
  await requireStaff(ctx, ws, userid);
  const db = opsDb(ctx);
  const now = ctx.now();
  const tz = await zoneOf(ctx, ws);
  const date = dayString(localDay(now, tz));
  const rules = await db.selectFrom('scrm_workbench_rules').selectAll().where('workspace_id', '=', ws).execute();
  for (const rule of rules) {
    const members = await segmentFollows(db, ws, rule.segment_id)
      .select(['c.external_userid', 'c.profile_id', 'c.name', 'f.remark'])
      .where('f.userid', '=', userid)
      .execute();
    const rows = members.map((m) => ({
      workspace_id: ws,
      id: newId('gtk', now),
      rule_id: rule.id,
      staff_userid: userid,
      external_userid: m.external_userid,
      profile_id: m.profile_id,
      day: date,
      kind: rule.kind,
      title: rule.title_template.replaceAll('{name}', m.name).replaceAll('{remark}', m.remark || m.name),
      status: 'open',
      created_at: now,
      done_at: null,
    }));
    for (let i = 0; i < rows.length; i += 500) {
      await db
        .insertInto('scrm_guide_tasks')
        .values(rows.slice(i, i + 500))
        .onConflict((oc) => oc.columns(['workspace_id', 'staff_userid', 'day', 'rule_id', 'external_userid']).doNothing())
        .execute();
    }
  }
  const followUps = (
    await db
      .selectFrom('scrm_guide_tasks')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('staff_userid', '=', userid)
      .where('day', '=', date)
      .orderBy('kind')
      .orderBy('external_userid')
      .execute()
  ).map(toGuideTask);
  const sopTasks: SopTask[] = [];
  let cursor: string | undefined;
  do {
    const page = await listSopTasks(ctx, ws, { staff: userid, date, limit: 1000, cursor });
    sopTasks.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { date, sopTasks, followUps };
}

/** Marks a follow-up done (idempotent). */
export async function completeGuideTask(ctx: OpsContext, ws: string, id: string): Promise<GuideTask> {
  const db = opsDb(ctx);
  await db
    .updateTable('scrm_guide_tasks')
    .set({ status: 'done', done_at: ctx.now() })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('status', '=', 'open')
    .execute();
  const row = await db.selectFrom('scrm_guide_tasks').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!row) throw new ScrmError('SOP_TASK_NOT_FOUND', `no follow-up task ${id} in this workspace`);
  return toGuideTask(row);
}
