/**
 * Saved segments: create, edit (a rule change makes a new version), archive, look up, list with
 * sizes, recompute on request, and the segments of a profile. Members: members.service.ts;
 * preview of an unsaved rule: preview.ts; static segments' uploads: static-upload.ts.
 */
import type { Kysely } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import { SegmentError } from './errors.js';
import { ensureFeed } from './feed.js';
import { departAll } from './history.js';
import { requestRecompute } from './recompute.js';
import { NO_FAILURES } from './recompute-failures.js';
import { isTimeDependent, referencedSegments } from './rule-queries.js';
import type { Rule } from './rule.types.js';
import { segmentsDb, type SegmentsSqlDB } from './schema.js';
import { checkRule, getRow, iso, type SegmentDeps, type SegmentView, view } from './segment-rows.js';

/** Asks the worker for a pass soon (a recompute was requested). */
function recomputeRequested(deps: Pick<SegmentDeps, 'hub'>, workspaceId: string): void {
  deps.hub.emit('segments.recompute-requested', { workspaceId });
}

const NAME_MAX = 128;
function checkName(name: unknown): string {
  const n = typeof name === 'string' ? name.trim() : '';
  if (n.length < 1 || n.length > NAME_MAX) throw new SegmentError('VALIDATION_FAILED', `name must be 1 to ${NAME_MAX} characters`);
  return n;
}

/** Refuses references to unknown segments and reference cycles. */
export async function checkReferences(db: Kysely<SegmentsSqlDB>, ws: string, selfId: string | undefined, rule: Rule): Promise<void> {
  const refs = referencedSegments(rule);
  if (refs.length === 0) return;
  const rows = await db.selectFrom('segments').select(['id', 'rule', 'status']).where('workspace_id', '=', ws).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const ref of refs) {
    const r = byId.get(ref);
    if (!r) throw new SegmentError('RULE_INVALID', `rule references segment "${ref}", which does not exist in this workspace`);
    if (r.status !== 'active') throw new SegmentError('RULE_INVALID', `rule references segment "${ref}", which is archived`);
  }
  if (!selfId) return; // a new segment cannot be referenced yet
  // Walk references from the rule; reaching selfId is a cycle.
  const seen = new Set<string>();
  const stack = [...refs];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === selfId) throw new SegmentError('RULE_INVALID', `rule would make segment "${selfId}" depend on itself (through "${refs.join('", "')}")`);
    if (seen.has(id)) continue;
    seen.add(id);
    const r = byId.get(id);
    if (r?.rule) stack.push(...referencedSegments(parseJson<Rule>(r.rule)));
  }
}

/** A new segment as a request gives it. */
export interface CreateSegmentInput {
  name: string;
  description?: string;
  kind?: 'rule' | 'static';
  rule?: unknown;
}

/** Creates a segment; a rule segment starts its first full computation in the background. */
export async function createSegment(deps: SegmentDeps, ws: string, input: CreateSegmentInput): Promise<SegmentView> {
  const db = deps.database.db;
  const kind = input.kind ?? 'rule';
  const name = checkName(input.name);
  let rule: Rule | null = null;
  if (kind === 'rule') {
    if (input.rule === undefined) throw new SegmentError('RULE_INVALID', 'a rule segment needs "rule" (or set "kind": "static" for a list of identifiers)');
    rule = checkRule(input.rule);
    await checkReferences(db, ws, undefined, rule);
  } else if (input.rule !== undefined) {
    throw new SegmentError('VALIDATION_FAILED', 'a static segment has no rule: its members come from uploads');
  }
  const now = deps.now();
  const id = newId('seg', now);
  await db.transaction().execute(async (trx) => {
    const clash = await trx.selectFrom('segments').select('id').where('workspace_id', '=', ws).where('name', '=', name).executeTakeFirst();
    if (clash) throw new SegmentError('CONFLICT', `a segment named "${name}" already exists (${clash.id})`);
    await trx
      .insertInto('segments')
      .values({
        workspace_id: ws,
        id,
        name,
        description: input.description?.trim() ?? '',
        kind,
        rule: rule ? JSON.stringify(rule) : null,
        version: 1,
        time_dependent: rule && isTimeDependent(rule) ? 1 : 0,
        status: 'active',
        member_count: 0,
        recompute_version: rule ? 1 : null,
        recompute_cursor: null,
        recompute_started_at: rule ? now : null,
        evaluated_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await trx
      .insertInto('segment_versions')
      .values({ workspace_id: ws, segment_id: id, version: 1, rule: rule ? JSON.stringify(rule) : null, created_at: now })
      .execute();
  });
  if (rule) await ensureFeed(db, deps.database.dialect, ws, now);
  recomputeRequested(deps, ws);
  return view(await getRow(db, ws, id));
}

/** JSON with object keys sorted (PostgreSQL's jsonb does not keep key order). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** Changes to a segment as a request gives them (any of them). */
export interface UpdateSegmentInput {
  name?: string;
  description?: string;
  rule?: unknown;
}

/** Renames, re-describes, or changes the rule (a new version, recomputed in the background). */
export async function updateSegment(deps: SegmentDeps, ws: string, id: string, input: UpdateSegmentInput): Promise<SegmentView> {
  const db = deps.database.db;
  const row = await getRow(db, ws, id);
  if (row.status !== 'active') throw new SegmentError('CONFLICT', `segment "${id}" is archived`);
  const now = deps.now();
  let rule: Rule | undefined;
  if (input.rule !== undefined) {
    if (row.kind !== 'rule') throw new SegmentError('VALIDATION_FAILED', 'a static segment has no rule: its members come from uploads');
    rule = checkRule(input.rule);
    await checkReferences(db, ws, id, rule);
    if (canonical(rule) === canonical(parseJson(row.rule))) rule = undefined; // unchanged: no new version
  }
  const name = input.name === undefined ? undefined : checkName(input.name);
  await db.transaction().execute(async (trx) => {
    if (name !== undefined && name !== row.name) {
      const clash = await trx.selectFrom('segments').select('id').where('workspace_id', '=', ws).where('name', '=', name).executeTakeFirst();
      if (clash) throw new SegmentError('CONFLICT', `a segment named "${name}" already exists (${clash.id})`);
    }
    const version = rule ? row.version + 1 : row.version;
    await trx
      .updateTable('segments')
      .set({
        ...(name !== undefined ? { name } : {}),
        ...(input.description !== undefined ? { description: input.description.trim() } : {}),
        ...(rule
          ? {
              rule: JSON.stringify(rule),
              version,
              time_dependent: isTimeDependent(rule) ? 1 : 0,
              recompute_version: version,
              recompute_cursor: null,
              recompute_started_at: now,
              ...NO_FAILURES,
            }
          : {}),
        updated_at: now,
      })
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .execute();
    if (rule)
      await trx
        .insertInto('segment_versions')
        .values({ workspace_id: ws, segment_id: id, version, rule: JSON.stringify(rule), created_at: now })
        .execute();
  });
  recomputeRequested(deps, ws);
  return view(await getRow(db, ws, id));
}

/**
 * Archives a segment: it stops being evaluated and its members are released into history with
 * reason "archived" (timelines show the exit; journeys are not told, nobody left by a rule).
 */
export async function archiveSegment(deps: SegmentDeps, ws: string, id: string): Promise<SegmentView> {
  const db = deps.database.db;
  const row = await getRow(db, ws, id);
  const dependants = (
    await db.selectFrom('segments').select(['id', 'rule']).where('workspace_id', '=', ws).where('status', '=', 'active').where('kind', '=', 'rule').execute()
  ).filter((r) => r.id !== id && referencedSegments(parseJson<Rule>(r.rule)).includes(id));
  if (dependants.length)
    throw new SegmentError('CONFLICT', `segment "${id}" is used by the rules of ${dependants.map((d) => `"${d.id}"`).join(', ')}; change those first`);
  const now = deps.now();
  await db.transaction().execute(async (trx) => {
    await departAll(segmentsDb(trx), ws, id, row.version, now);
    await trx
      .updateTable('segments')
      .set({
        status: 'archived',
        member_count: 0,
        recompute_version: null,
        recompute_cursor: null,
        recompute_started_at: null,
        ...NO_FAILURES,
        updated_at: now,
      })
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .execute();
  });
  return view(await getRow(db, ws, id));
}

export async function getSegment(
  deps: SegmentDeps,
  ws: string,
  id: string,
): Promise<SegmentView & { versions: { version: number; rule: Rule | null; createdAt: string }[] }> {
  const db = deps.database.db;
  const row = await getRow(db, ws, id);
  const versions = await db
    .selectFrom('segment_versions')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('segment_id', '=', id)
    .orderBy('version', 'desc')
    .execute();
  return {
    ...view(row),
    versions: versions.map((v) => ({ version: v.version, rule: v.rule === null ? null : parseJson<Rule>(v.rule), createdAt: iso(v.created_at) })),
  };
}

/** Finds a segment by id or exact name (for the CLI). */
export async function findSegment(db: Kysely<SegmentsSqlDB>, ws: string, idOrName: string): Promise<SegmentView> {
  const row = await db
    .selectFrom('segments')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .executeTakeFirst();
  if (!row) throw new SegmentError('SEGMENT_NOT_FOUND', `no segment with id or name "${idOrName}" in this workspace`);
  return view(row);
}

/** Lists segments (newest first), with their sizes. */
export async function listSegments(
  deps: SegmentDeps,
  ws: string,
  q: { limit: number; cursor?: string; status?: 'active' | 'archived' | 'all' },
): Promise<Page<SegmentView>> {
  let query = deps.database.db.selectFrom('segments').selectAll().where('workspace_id', '=', ws);
  const status = q.status ?? 'active';
  if (status !== 'all') query = query.where('status', '=', status);
  if (q.cursor) query = query.where(keysetAfter(['id'], 'desc', decodeCursor(q.cursor, ['s'])));
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, view, (r) => [r.id]);
}

/** Asks for a full recompute now (the schedule asks by requestRecompute); a failing segment's back-off ends. */
export async function recomputeNow(deps: SegmentDeps, ws: string, id: string): Promise<SegmentView> {
  const row = await getRow(deps.database.db, ws, id);
  if (row.kind !== 'rule' || row.status !== 'active')
    throw new SegmentError('CONFLICT', `segment "${id}" is ${row.status === 'active' ? 'static (nothing to compute)' : 'archived'}`);
  await requestRecompute(deps.database.db, ws, id, deps.now(), { clearFailures: true });
  recomputeRequested(deps, ws);
  return view(await getRow(deps.database.db, ws, id));
}

/** The segments a profile is in now. */
export async function segmentsOfProfile(
  deps: SegmentDeps,
  ws: string,
  profileId: string,
  page: { limit: number; cursor?: string },
): Promise<Page<{ segmentId: string; name: string; version: number; enteredAt: string }>> {
  let q = deps.database.db
    .selectFrom('segment_members as m')
    .innerJoin('segments as s', (j) => j.onRef('s.workspace_id', '=', 'm.workspace_id').onRef('s.id', '=', 'm.segment_id'))
    .select(['m.segment_id', 's.name', 'm.version', 'm.entered_at'])
    .where('s.workspace_id', '=', ws)
    .where('m.workspace_id', '=', ws)
    .where('m.profile_id', '=', profileId); // (from each segment, a primary-key probe: no index by profile)
  if (page.cursor) q = q.where(keysetAfter(['m.entered_at', 'm.segment_id'], 'asc', decodeCursor(page.cursor, ['n', 's'])));
  const rows = await q
    .orderBy('m.entered_at')
    .orderBy('m.segment_id')
    .limit(page.limit + 1)
    .execute();
  return pageOf(
    rows,
    page.limit,
    (r) => ({ segmentId: r.segment_id, name: r.name, version: r.version, enteredAt: iso(r.entered_at) }),
    (r) => [Number(r.entered_at), r.segment_id],
  );
}
