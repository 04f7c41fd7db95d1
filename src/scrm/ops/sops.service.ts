/**
 * SOPs (标准作业流程): content plans for customer groups or 1:1 customers. A SOP names its
 * targets and its steps; each step is scheduled relative to when a target joined (day N after
 * the add or the group's entry, at HH:MM) or recurring (days of the week at HH:MM), in the
 * workspace's time zone. The scheduler (sop-tick.ts) turns due steps into staff tasks.
 */
import { ScrmError } from '../errors.js';
import { SegmentError } from '../../segments/index.js';
import { newId } from '../../platform/ids.js';
import type { Attachment } from '../../wecom/index.js';
import { parseJson as json } from '../../platform/db/database.js';
import { isActiveSegment } from '../foreign.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../../platform/paging.js';
import { iso } from '../shared.js';
import { type OpsContext, opsDb } from './context.js';
import { isHhmm } from './time.js';

/** Who a SOP reaches: groups (by chat id, owner or group tag) or customers (by segment or by how they were added). */
export type SopTarget =
  | { type: 'groups'; chatIds?: string[]; owners?: string[]; groupTagIds?: string[] }
  | { type: 'customers'; segmentId: string }
  | { type: 'customers'; newContacts: true; liveCodeStates?: string[] };

/** When a step is due: `day` days after the target joined, or on `weekdays` (1 Monday … 7 Sunday); at `time` local. */
export type SopSchedule = { kind: 'relative'; day: number; time: string } | { kind: 'recurring'; weekdays: number[]; time: string };

/** A message in WeCom's add_msg_template shape. */
export interface SopContent {
  text?: { content: string };
  attachments?: Attachment[];
}

export interface SopStep {
  id: string;
  name?: string;
  schedule: SopSchedule;
  content: SopContent;
}

/** A SOP as the API shows it. */
export interface Sop {
  id: string;
  name: string;
  status: 'active' | 'paused' | 'archived';
  target: SopTarget;
  steps: SopStep[];
  createdAt: string;
  updatedAt: string;
}

const ATTACHMENT_TYPES = ['image', 'link', 'miniprogram', 'video', 'file'];
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(path: string, message: string): never {
  throw new ScrmError('VALIDATION_FAILED', `${path}: ${message}`);
}

function stringList(v: unknown, path: string, max: number): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !x)) bad(path, 'must be a list of non-empty strings');
  if (v.length > max) bad(path, `holds ${v.length} entries, at most ${max} are accepted`);
  return [...new Set(v as string[])];
}

/** Validates a SOP target; messages name the field. */
export function parseTarget(v: unknown): SopTarget {
  if (!isObj(v)) bad('target', 'must be an object with "type": "groups" or "customers"');
  if (v.type === 'groups') {
    const extra = Object.keys(v).filter((k) => !['type', 'chatIds', 'owners', 'groupTagIds'].includes(k));
    if (extra.length) bad('target', `unknown field ${extra[0]} for type groups (chatIds, owners, groupTagIds are accepted)`);
    const out: SopTarget = { type: 'groups' };
    if (v.chatIds !== undefined) out.chatIds = stringList(v.chatIds, 'target.chatIds', 2000);
    if (v.owners !== undefined) out.owners = stringList(v.owners, 'target.owners', 1000);
    if (v.groupTagIds !== undefined) out.groupTagIds = stringList(v.groupTagIds, 'target.groupTagIds', 100);
    if (!out.chatIds?.length && !out.owners?.length && !out.groupTagIds?.length) bad('target', 'a groups target needs chatIds, owners or groupTagIds');
    return out;
  }
  if (v.type === 'customers') {
    const extra = Object.keys(v).filter((k) => !['type', 'segmentId', 'newContacts', 'liveCodeStates'].includes(k));
    if (extra.length) bad('target', `unknown field ${extra[0]} for type customers (segmentId, newContacts, liveCodeStates are accepted)`);
    if (v.segmentId !== undefined) {
      if (typeof v.segmentId !== 'string' || !v.segmentId) bad('target.segmentId', 'must be a segment id');
      if (v.newContacts !== undefined || v.liveCodeStates !== undefined)
        bad('target', 'give either segmentId or newContacts (with optional liveCodeStates), not both');
      return { type: 'customers', segmentId: v.segmentId };
    }
    if (v.newContacts !== true) bad('target', 'a customers target needs segmentId, or newContacts: true (optionally with liveCodeStates)');
    const out: SopTarget = { type: 'customers', newContacts: true };
    if (v.liveCodeStates !== undefined) out.liveCodeStates = stringList(v.liveCodeStates, 'target.liveCodeStates', 100);
    return out;
  }
  return bad('target.type', `is ${JSON.stringify(v.type)}; "groups" or "customers" is accepted`);
}

/** Validates message content: text and/or at most 9 attachments in WeCom's shape. */
export function parseContent(v: unknown, path: string): SopContent {
  if (!isObj(v)) bad(path, 'must be an object with text and/or attachments');
  const out: SopContent = {};
  if (v.text !== undefined) {
    if (!isObj(v.text) || typeof v.text.content !== 'string') bad(`${path}.text`, 'must be { "content": "..." }');
    if (v.text.content.length > 4000) bad(`${path}.text.content`, "is longer than 4000 characters (WeCom's limit)");
    if (v.text.content) out.text = { content: v.text.content };
  }
  if (v.attachments !== undefined) {
    if (!Array.isArray(v.attachments)) bad(`${path}.attachments`, 'must be a list');
    if (v.attachments.length > 9) bad(`${path}.attachments`, `holds ${v.attachments.length}; WeCom accepts at most 9`);
    v.attachments.forEach((a, i) => {
      const p = `${path}.attachments[${i}]`;
      if (!isObj(a) || typeof a.msgtype !== 'string' || !ATTACHMENT_TYPES.includes(a.msgtype)) bad(p, `msgtype must be one of ${ATTACHMENT_TYPES.join(', ')}`);
      if (!isObj(a[a.msgtype])) bad(p, `needs a "${a.msgtype}" object, as WeCom's add_msg_template does`);
      if (
        a.msgtype === 'link' &&
        (typeof (a.link as Record<string, unknown>).url !== 'string' || typeof (a.link as Record<string, unknown>).title !== 'string')
      )
        bad(`${p}.link`, 'needs title and url');
    });
    if (v.attachments.length) out.attachments = v.attachments as Attachment[];
  }
  if (!out.text && !out.attachments) bad(path, 'text.content and attachments cannot both be empty');
  return out;
}

function parseSchedule(v: unknown, path: string): SopSchedule {
  if (!isObj(v)) bad(path, 'must be an object with kind "relative" or "recurring"');
  if (typeof v.time !== 'string' || !isHhmm(v.time)) bad(`${path}.time`, `is ${JSON.stringify(v.time)}; HH:MM on a 24-hour clock is accepted, e.g. "08:00"`);
  if (v.kind === 'relative') {
    if (!Number.isInteger(v.day) || (v.day as number) < 0 || (v.day as number) > 365)
      bad(`${path}.day`, 'must be a whole number of days from 0 (the day they joined) to 365');
    return { kind: 'relative', day: v.day as number, time: v.time };
  }
  if (v.kind === 'recurring') {
    if (!Array.isArray(v.weekdays) || !v.weekdays.length || v.weekdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
      bad(`${path}.weekdays`, 'must be a non-empty list of ISO weekdays, 1 (Monday) to 7 (Sunday)');
    }
    return { kind: 'recurring', weekdays: [...new Set(v.weekdays as number[])].sort(), time: v.time };
  }
  return bad(`${path}.kind`, `is ${JSON.stringify(v.kind)}; "relative" or "recurring" is accepted`);
}

/** Validates the steps: at least one, at most 50, unique ids (generated as step_N when left out). */
export function parseSteps(v: unknown): SopStep[] {
  if (!Array.isArray(v) || v.length === 0) bad('steps', 'must be a non-empty list');
  if (v.length > 50) bad('steps', `holds ${v.length}; at most 50 are accepted`);
  const seen = new Set<string>();
  return v.map((s, i) => {
    const p = `steps[${i}]`;
    if (!isObj(s)) bad(p, 'must be an object with schedule and content');
    const id = s.id === undefined ? `step_${i + 1}` : s.id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(id)) bad(`${p}.id`, 'must be 1-40 letters, digits, _ or -');
    if (seen.has(id)) bad(`${p}.id`, `"${id}" is used by another step`);
    seen.add(id);
    if (s.name !== undefined && typeof s.name !== 'string') bad(`${p}.name`, 'must be a string');
    return {
      id,
      ...(s.name ? { name: s.name as string } : {}),
      schedule: parseSchedule(s.schedule, `${p}.schedule`),
      content: parseContent(s.content, `${p}.content`),
    };
  });
}

type Row = { id: string; name: string; status: string; target: unknown; steps: unknown; created_at: number; updated_at: number };

/** A stored row as the API's SOP. */
export function toSop(r: Row): Sop {
  return {
    id: r.id,
    name: r.name,
    status: r.status as Sop['status'],
    target: json(r.target),
    steps: json(r.steps),
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

function parseName(v: unknown): string {
  if (typeof v !== 'string' || !v.trim() || v.length > 200) bad('name', 'must be 1-200 characters');
  return v.trim();
}

function parseStatus(v: unknown): 'active' | 'paused' {
  if (v !== 'active' && v !== 'paused') bad('status', `is ${JSON.stringify(v)}; "active" or "paused" is accepted (DELETE archives)`);
  return v;
}

async function checkSegment(ctx: OpsContext, ws: string, target: SopTarget): Promise<void> {
  if (target.type !== 'customers' || !('segmentId' in target)) return;
  if (!(await isActiveSegment(ctx.db, ws, target.segmentId)))
    throw new SegmentError('SEGMENT_NOT_FOUND', `target.segmentId: no active segment ${target.segmentId}`);
}

/** Creates a SOP (active unless `status: "paused"`). Relative steps apply to targets that join from now on. */
export async function createSop(ctx: OpsContext, ws: string, body: Record<string, unknown>): Promise<Sop> {
  const name = parseName(body.name);
  const target = parseTarget(body.target);
  const steps = parseSteps(body.steps);
  const status = body.status === undefined ? 'active' : parseStatus(body.status);
  if (target.type === 'groups' && target.groupTagIds?.length && !ctx.groupsWithTags)
    bad('target.groupTagIds', 'group tags are not available in this installation; target groups by chatIds or owners');
  await checkSegment(ctx, ws, target);
  const now = ctx.now();
  const row = {
    workspace_id: ws,
    id: newId('sop', now),
    name,
    status,
    target: JSON.stringify(target),
    steps: JSON.stringify(steps),
    created_at: now,
    updated_at: now,
  };
  await opsDb(ctx).insertInto('scrm_sops').values(row).execute();
  return toSop(row);
}

/** One SOP, archived ones included. */
export async function getSop(ctx: OpsContext, ws: string, id: string): Promise<Sop> {
  const row = await opsDb(ctx).selectFrom('scrm_sops').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!row) throw new ScrmError('SOP_NOT_FOUND', `no SOP ${id} in this workspace`);
  return toSop(row);
}

/** A page of the SOPs that are not archived (or all, with `includeArchived`), newest first. */
export async function listSops(ctx: OpsContext, ws: string, opts: { includeArchived?: boolean; limit?: number; cursor?: string } = {}): Promise<Page<Sop>> {
  let q = opsDb(ctx).selectFrom('scrm_sops').selectAll().where('workspace_id', '=', ws);
  if (!opts.includeArchived) q = q.where('status', '!=', 'archived');
  if (opts.cursor !== undefined) q = q.where(keysetAfter(['created_at', 'id'], 'desc', decodeCursor(opts.cursor, ['n', 's'])));
  const limit = opts.limit ?? 100;
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  return pageOf(rows, limit, toSop, (r) => [Number(r.created_at), r.id]);
}

/** Changes name, status, target or steps; tasks already created keep their content. */
export async function updateSop(ctx: OpsContext, ws: string, id: string, body: Record<string, unknown>): Promise<Sop> {
  const current = await getSop(ctx, ws, id);
  if (current.status === 'archived') throw new ScrmError('CONFLICT', `SOP ${id} is archived and cannot be changed`);
  const patch: Record<string, unknown> = {};
  if (body.name !== undefined) patch.name = parseName(body.name);
  if (body.status !== undefined) patch.status = parseStatus(body.status);
  if (body.target !== undefined) {
    const target = parseTarget(body.target);
    if (target.type === 'groups' && target.groupTagIds?.length && !ctx.groupsWithTags)
      bad('target.groupTagIds', 'group tags are not available in this installation');
    await checkSegment(ctx, ws, target);
    patch.target = JSON.stringify(target);
  }
  if (body.steps !== undefined) patch.steps = JSON.stringify(parseSteps(body.steps));
  const unknown = Object.keys(body).filter((k) => !['name', 'status', 'target', 'steps'].includes(k));
  if (unknown.length) bad(unknown[0]!, 'is not a field of a SOP (name, status, target, steps)');
  await opsDb(ctx)
    .updateTable('scrm_sops')
    .set({ ...patch, updated_at: ctx.now() })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
  return getSop(ctx, ws, id);
}

/** Archives a SOP: no new tasks; pending tasks that have no WeCom task yet are cancelled. */
export async function archiveSop(ctx: OpsContext, ws: string, id: string): Promise<Sop> {
  await getSop(ctx, ws, id);
  const now = ctx.now();
  await opsDb(ctx)
    .transaction()
    .execute(async (trx) => {
      await trx.updateTable('scrm_sops').set({ status: 'archived', updated_at: now }).where('workspace_id', '=', ws).where('id', '=', id).execute();
      await trx
        .updateTable('scrm_sop_tasks')
        .set({ status: 'failed', error: 'SOP archived before the WeCom task was created', updated_at: now })
        .where('workspace_id', '=', ws)
        .where('sop_id', '=', id)
        .where('status', '=', 'pending')
        .execute();
    });
  return getSop(ctx, ws, id);
}
