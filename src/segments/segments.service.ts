/**
 * Saved segments: create, edit (a rule change makes a new version), archive, list with sizes,
 * preview an unsaved rule, members (paged and CSV export), and static segments from identifiers.
 */
import type { Readable } from 'node:stream';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../platform/db/database.js';
import { parseJson } from '../platform/db/database.js';
import type { DB, SegmentsTable } from '../platform/db/schema.js';
import { AppError } from '../platform/errors.js';
import { SegmentError } from './errors.js';
import { newId } from '../platform/ids.js';
import type { Selectable } from 'kysely';
import { readRows } from '../cdp/import.readers.js';
import { type ProfileDeps, resolveProfileRef } from '../cdp/profiles.service.js';
import { compileRule } from './compile.js';
import { dependentsOf, ensureFeed, listenedFlag, loadLiveSegments, lockSegments, markListened, propagate, requestRecompute } from './membership.js';
import { departAll, recordDepartures } from './history.js';
import { describeRule, isTimeDependent, referencedSegments, validateRule } from './rules.js';
import type { Rule } from './rule.types.js';
import {} from '../platform/time.js';

export interface SegmentDeps {
  database: Database;
  now: () => number;
  timeZoneOf: (workspaceId: string) => Promise<string>;
  profiles: ProfileDeps;
  /** Wakes the background worker (new recompute requested). */
  wake?: () => void;
}

export interface SegmentView {
  id: string;
  name: string;
  description: string;
  kind: 'rule' | 'static';
  rule: Rule | null;
  summary: { en: string; 'zh-CN': string } | null;
  version: number;
  timeDependent: boolean;
  status: 'active' | 'archived';
  memberCount: number;
  /** A full recompute in progress (the size is still settling). */
  computing: boolean;
  evaluatedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

function view(r: Selectable<SegmentsTable>): SegmentView {
  const rule = r.rule === null ? null : parseJson<Rule>(r.rule);
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    kind: r.kind,
    rule,
    summary: rule ? { en: describeRule(rule, 'en'), 'zh-CN': describeRule(rule, 'zh-CN') } : null,
    version: r.version,
    timeDependent: r.time_dependent === 1,
    status: r.status,
    memberCount: r.member_count,
    computing: r.recompute_version !== null,
    evaluatedAt: r.evaluated_at === null ? null : iso(r.evaluated_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/** Validates a rule from a request: RULE_INVALID with every problem and its path. */
export function checkRule(input: unknown, where = 'rule'): Rule {
  const res = validateRule(input);
  if (!res.ok) {
    const list = res.errors.map((e) => `${e.path.replace(/^rule/, where)}: ${e.message}`);
    throw new SegmentError('RULE_INVALID', `${list.length} problem(s) in the rule: ${list.slice(0, 10).join('; ')}`, { errors: res.errors });
  }
  return res.rule;
}

const NAME_MAX = 128;
function checkName(name: unknown): string {
  const n = typeof name === 'string' ? name.trim() : '';
  if (n.length < 1 || n.length > NAME_MAX) throw new SegmentError('VALIDATION_FAILED', `name must be 1 to ${NAME_MAX} characters`);
  return n;
}

async function getRow(db: Kysely<DB>, ws: string, id: string): Promise<Selectable<SegmentsTable>> {
  const row = await db.selectFrom('segments').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!row) throw new SegmentError('SEGMENT_NOT_FOUND', `no segment "${id}" in this workspace`);
  return row;
}

/** Refuses references to unknown segments and reference cycles. */
async function checkReferences(db: Kysely<DB>, ws: string, selfId: string | undefined, rule: Rule): Promise<void> {
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
  deps.wake?.();
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
  deps.wake?.();
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
    await departAll(trx, ws, id, row.version, now);
    await trx
      .updateTable('segments')
      .set({ status: 'archived', member_count: 0, recompute_version: null, recompute_cursor: null, recompute_started_at: null, updated_at: now })
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
export async function findSegment(db: Kysely<DB>, ws: string, idOrName: string): Promise<SegmentView> {
  const row = await db
    .selectFrom('segments')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .executeTakeFirst();
  if (!row) throw new SegmentError('SEGMENT_NOT_FOUND', `no segment with id or name "${idOrName}" in this workspace`);
  return view(row);
}

function decodeCursor(cursor: string | undefined, what: string): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof v === 'string') return v;
  } catch {
    // fall through
  }
  throw new SegmentError('VALIDATION_FAILED', `cursor "${cursor}" is not a nextCursor returned by this ${what} endpoint; omit it to start from the beginning`);
}
const encodeCursor = (v: string) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Lists segments (newest first), with their sizes. */
export async function listSegments(
  deps: SegmentDeps,
  ws: string,
  q: { limit: number; cursor?: string; status?: 'active' | 'archived' | 'all' },
): Promise<{ data: SegmentView[]; nextCursor: string | null }> {
  const after = decodeCursor(q.cursor, 'segments');
  let query = deps.database.db.selectFrom('segments').selectAll().where('workspace_id', '=', ws);
  const status = q.status ?? 'active';
  if (status !== 'all') query = query.where('status', '=', status);
  if (after) query = query.where('id', '<', after);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  return { data: page.map(view), nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!.id) : null };
}

/** Count and a sample of the live profiles matching an unsaved rule. */
export async function previewRule(
  deps: SegmentDeps,
  ws: string,
  input: unknown,
  sampleSize: number,
): Promise<{ count: number; total: number; sample: { id: string; traits: Record<string, unknown>; lastSeenAt: string | null }[]; tookMs: number }> {
  const started = Date.now();
  const rule = checkRule(input);
  await checkReferences(deps.database.db, ws, undefined, rule);
  // The whole-workspace form (each condition's table read once, as a recompute's scan does), read
  // off the JavaScript thread (Database.scan): a preview of an event rule over a large workspace
  // must not hold the server's thread on SQLite.
  const ctx = { workspaceId: ws, now: deps.now(), timeZone: await deps.timeZoneOf(ws), wholeWorkspace: true };
  const where = compileRule(rule, ctx, deps.database.dialect);
  const db = deps.database.db;
  const rows = async (query: RawBuilder<unknown>) => {
    const out: unknown[][] = [];
    for await (const batch of deps.database.scan(query.compile(db), 1_000)) out.push(...batch);
    return out;
  };
  const [count, total, sample] = await Promise.all([
    rows(sql`select count(*) from profiles as p where p.workspace_id = ${ws} and p.merged_into is null and (${where})`),
    rows(sql`select count(*) from profiles as p where p.workspace_id = ${ws} and p.merged_into is null`),
    rows(sql`select p.id, p.traits, p.last_seen_at from profiles as p
      where p.workspace_id = ${ws} and p.merged_into is null and (${where}) order by p.id limit ${sampleSize}`),
  ]);
  return {
    count: Number(count[0]?.[0] ?? 0),
    total: Number(total[0]?.[0] ?? 0),
    sample: sample.map(([id, traits, lastSeenAt]) => ({
      id: id as string,
      traits: parseJson<Record<string, unknown>>(traits),
      lastSeenAt: lastSeenAt === null ? null : iso(Number(lastSeenAt)),
    })),
    tookMs: Date.now() - started,
  };
}

export interface MemberView {
  profileId: string;
  version: number;
  enteredAt: string;
}

/** A page of members, ordered by profile id. */
export async function listMembers(
  deps: SegmentDeps,
  ws: string,
  id: string,
  q: { limit: number; cursor?: string },
): Promise<{ data: MemberView[]; nextCursor: string | null }> {
  await getRow(deps.database.db, ws, id);
  const after = decodeCursor(q.cursor, 'members');
  let query = deps.database.db.selectFrom('segment_members').selectAll().where('workspace_id', '=', ws).where('segment_id', '=', id);
  if (after) query = query.where('profile_id', '>', after);
  const rows = await query
    .orderBy('profile_id')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  return {
    data: page.map((r) => ({ profileId: r.profile_id, version: r.version, enteredAt: iso(r.entered_at) })),
    nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!.profile_id) : null,
  };
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) || /^[=+\-@\t]/.test(v) ? `"${(/^[=+\-@\t]/.test(v) ? "'" : '') + v.replace(/"/g, '""')}"` : v);

/**
 * Streams the members as CSV (profile_id, entered_at, version, user_id and the chosen traits),
 * 1,000 rows a query, so memory stays flat whatever the segment's size. Cells that a spreadsheet
 * would run as a formula are prefixed with a quote.
 */
export async function* exportMembersCsv(deps: SegmentDeps, ws: string, id: string, traits: string[]): AsyncGenerator<string> {
  await getRow(deps.database.db, ws, id);
  const db = deps.database.db;
  yield ['profile_id', 'entered_at', 'version', 'user_id', ...traits.map((t) => `trait.${t}`)].map(csvCell).join(',') + '\r\n';
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('segment_members as m')
      .innerJoin('profiles as p', (j) => j.onRef('p.workspace_id', '=', 'm.workspace_id').onRef('p.id', '=', 'm.profile_id'))
      .select(['m.profile_id', 'm.entered_at', 'm.version', 'p.traits'])
      .where('m.workspace_id', '=', ws)
      .where('m.segment_id', '=', id)
      .where('m.profile_id', '>', after)
      .orderBy('m.profile_id')
      .limit(1000)
      .execute();
    if (rows.length === 0) return;
    const ids = rows.map((r) => r.profile_id);
    const users = await db
      .selectFrom('identities')
      .select(['profile_id', 'id_key'])
      .where('workspace_id', '=', ws)
      .where('id_type', '=', 'user_id')
      .where('profile_id', 'in', ids)
      .execute();
    const userOf = new Map(users.map((u) => [u.profile_id, u.id_key]));
    let out = '';
    for (const r of rows) {
      const t = parseJson<Record<string, unknown>>(r.traits);
      const cells = [
        r.profile_id,
        iso(r.entered_at),
        String(r.version),
        userOf.get(r.profile_id) ?? '',
        ...traits.map((k) => (t[k] === undefined || t[k] === null ? '' : typeof t[k] === 'string' ? (t[k] as string) : JSON.stringify(t[k]))),
      ];
      out += cells.map(csvCell).join(',') + '\r\n';
    }
    yield out;
    after = ids[ids.length - 1]!;
    if (rows.length < 1000) return;
  }
}

export interface StaticUploadReport {
  rows: number;
  added: number;
  alreadyMembers: number;
  removed: number;
  errors: { line: number; reason: string }[];
  errorCount: number;
}

/**
 * Sets or extends a static segment's members from a CSV with an `identifier` column (a profile
 * id, or `type:value` such as `user_id:42` or `phone:13800138000`). Rows that do not resolve are
 * reported with their line and reason; the rest are applied in one transaction (`replace` also
 * removes members not in the file). Entering and leaving are timeline events like rule segments'.
 */
export async function uploadStaticMembers(
  deps: SegmentDeps,
  ws: string,
  id: string,
  input: Readable,
  mode: 'add' | 'replace' | 'remove',
): Promise<StaticUploadReport> {
  const db = deps.database.db;
  const row = await getRow(db, ws, id);
  if (row.kind !== 'static') throw new SegmentError('VALIDATION_FAILED', `segment "${id}" is a rule segment; only static segments take uploaded members`);
  if (row.status !== 'active') throw new SegmentError('CONFLICT', `segment "${id}" is archived`);
  const report: StaticUploadReport = { rows: 0, added: 0, alreadyMembers: 0, removed: 0, errors: [], errorCount: 0 };
  const fail = (line: number, reason: string) => {
    report.errorCount++;
    if (report.errors.length < 1000) report.errors.push({ line, reason });
  };
  const wanted = new Set<string>();
  const rows = readRows(input, 'csv', {
    checkHeader: (names) =>
      names.includes('identifier') ? undefined : `the CSV needs an "identifier" column (profile id or type:value); found: ${names.join(', ') || 'no columns'}`,
  });
  for await (const r of rows) {
    if ('error' in r) {
      fail(r.line, r.error);
      continue;
    }
    report.rows++;
    const ref = typeof r.record.identifier === 'string' ? r.record.identifier.trim() : '';
    if (!ref) {
      fail(r.line, 'identifier is empty');
      continue;
    }
    try {
      wanted.add(await resolveProfileRef(deps.profiles, ws, ref));
    } catch (err) {
      if (err instanceof AppError) fail(r.line, err.message);
      else throw err;
    }
    if (wanted.size > 1_000_000) throw new SegmentError('VALIDATION_FAILED', 'a static upload may name at most 1,000,000 profiles');
  }
  const now = deps.now();
  await db.transaction().execute(async (trx) => {
    const dependents = dependentsOf(await loadLiveSegments(trx, ws), id);
    const locked = await lockSegments(trx, deps.database.dialect, ws, [id, ...dependents.map((d) => d.id)]);
    markListened(dependents, locked);
    const currentRows = await trx
      .selectFrom('segment_members')
      .select(['profile_id', 'version', 'entered_at'])
      .where('workspace_id', '=', ws)
      .where('segment_id', '=', id)
      .execute();
    const current = new Map(currentRows.map((m) => [m.profile_id, m]));
    const toAdd = mode === 'remove' ? [] : [...wanted].filter((p) => !current.has(p));
    const toRemove =
      mode === 'remove' ? [...wanted].filter((p) => current.has(p)) : mode === 'replace' ? [...current.keys()].filter((p) => !wanted.has(p)) : [];
    report.added = toAdd.length;
    report.alreadyMembers = mode === 'remove' ? 0 : wanted.size - toAdd.length;
    report.removed = toRemove.length;
    await deps.database.dialect.insertMany(
      trx,
      'segment_members',
      toAdd.map((p) => ({ workspace_id: ws, segment_id: id, profile_id: p, version: row.version, entered_at: now, listened: listenedFlag(locked, id) })),
    );
    for (let i = 0; i < toRemove.length; i += 1000) {
      await trx
        .deleteFrom('segment_members')
        .where('workspace_id', '=', ws)
        .where('segment_id', '=', id)
        .where('profile_id', 'in', toRemove.slice(i, i + 1000))
        .execute();
    }
    await recordDepartures(
      trx,
      deps.database.dialect,
      ws,
      id,
      row.version,
      now,
      toRemove.map((p) => ({ profileId: p, version: current.get(p)!.version, enteredAt: Number(current.get(p)!.entered_at), reason: 'manual' as const })),
    );
    // Rule segments built on this list follow in the same transaction.
    const ctx = { workspaceId: ws, now, timeZone: await deps.timeZoneOf(ws) };
    await propagate(
      trx,
      deps.database.dialect,
      ws,
      dependents.filter((d) => locked.get(d.id)?.version === d.version),
      [...toAdd, ...toRemove],
      ctx,
    );
    await trx
      .updateTable('segments')
      .set((eb) => ({ member_count: eb('member_count', '+', toAdd.length - toRemove.length), evaluated_at: now, updated_at: now }))
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .execute();
  });
  return report;
}

/** Asks for a full recompute now (also what the schedule does for time-dependent rules). */
export async function recomputeNow(deps: SegmentDeps, ws: string, id: string): Promise<SegmentView> {
  const row = await getRow(deps.database.db, ws, id);
  if (row.kind !== 'rule' || row.status !== 'active')
    throw new SegmentError('CONFLICT', `segment "${id}" is ${row.status === 'active' ? 'static (nothing to compute)' : 'archived'}`);
  await requestRecompute(deps.database.db, ws, id, deps.now());
  deps.wake?.();
  return view(await getRow(deps.database.db, ws, id));
}

/** The segments a profile is in now. */
export async function segmentsOfProfile(
  deps: SegmentDeps,
  ws: string,
  profileId: string,
): Promise<{ segmentId: string; name: string; version: number; enteredAt: string }[]> {
  const rows = await deps.database.db
    .selectFrom('segment_members as m')
    .innerJoin('segments as s', (j) => j.onRef('s.workspace_id', '=', 'm.workspace_id').onRef('s.id', '=', 'm.segment_id'))
    .select(['m.segment_id', 's.name', 'm.version', 'm.entered_at'])
    .where('s.workspace_id', '=', ws)
    .where('m.workspace_id', '=', ws)
    .where('m.profile_id', '=', profileId) // (from each segment, a primary-key probe: no index by profile)
    .orderBy('m.entered_at')
    .execute();
  return rows.map((r) => ({ segmentId: r.segment_id, name: r.name, version: r.version, enteredAt: iso(r.entered_at) }));
}
