import { type Kysely, type Selectable, sql } from 'kysely';
import { parseJson, withRetries } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { JourneyError } from './errors.js';
import { newId } from '../platform/ids.js';
import { referencedSegments } from '../segments/rules.js';
import { type Definition, type DefinitionError, isGroupJourney, type Step, validateDefinition } from './definition.js';
import { jdb, type JDB, type JourneyDeps } from './deps.js';
import { enterSubjects, liveProfiles, lockTriggers } from './enter.js';
import type { JourneysTable } from './schema.js';

/** A journey as the API shows it. */
export interface JourneyView {
  id: string;
  name: string;
  description: string;
  status: string;
  currentVersion: number | null;
  definition: unknown;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

function view(r: Selectable<JourneysTable>): JourneyView {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    status: r.status,
    currentVersion: r.current_version,
    definition: parseJson(r.draft),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/** Validates a definition from a request: JOURNEY_INVALID listing every problem with its path. */
export function checkDefinition(input: unknown): Definition {
  const res = validateDefinition(input);
  if (!res.ok) throw invalid(res.errors);
  return res.definition;
}

function invalid(errors: DefinitionError[]): AppError {
  const list = errors.map((e) => `${e.path}: ${e.message}`);
  return new JourneyError('JOURNEY_INVALID', `${list.length} problem(s) in the journey definition: ${list.slice(0, 10).join('; ')}`, { errors });
}

function checkName(name: unknown): string {
  const n = typeof name === 'string' ? name.trim() : '';
  if (n.length < 1 || n.length > 128) throw new JourneyError('VALIDATION_FAILED', 'name must be 1 to 128 characters');
  return n;
}

async function row(db: Kysely<JDB>, ws: string, id: string): Promise<Selectable<JourneysTable>> {
  const r = await db.selectFrom('journeys').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!r) throw new JourneyError('JOURNEY_NOT_FOUND', `no journey "${id}" in this workspace`);
  return r;
}

/** Every segment and template a definition names must exist in the workspace (checked when publishing). */
async function checkReferences(db: Kysely<JDB>, ws: string, def: Definition): Promise<void> {
  const errors: DefinitionError[] = [];
  const segments = new Map<string, string>();
  const tr = def.trigger;
  if (tr.type === 'segment_entered' || tr.type === 'segment_exited') segments.set(tr.segmentId, 'definition.trigger.segmentId');
  if (tr.type === 'schedule' && 'segmentId' in tr.audience) segments.set(tr.audience.segmentId, 'definition.trigger.audience.segmentId');
  const templates = new Map<string, string>();
  def.steps.forEach((s, i) => {
    if (s.type === 'branch')
      s.branches.forEach((b, j) => referencedSegments(b.rule).forEach((id) => segments.set(id, `definition.steps[${i}].branches[${j}].rule`)));
    if (s.type === 'send' && s.templateId) templates.set(s.templateId, `definition.steps[${i}].templateId`);
  });
  if (segments.size) {
    const found = new Set(
      (
        await db
          .selectFrom('segments')
          .select('id')
          .where('workspace_id', '=', ws)
          .where('id', 'in', [...segments.keys()])
          .where('status', '=', 'active')
          .execute()
      ).map((r) => r.id),
    );
    for (const [id, path] of segments)
      if (!found.has(id)) errors.push({ path, message: `names segment "${id}", which does not exist (or is archived) in this workspace` });
  }
  if (templates.size) {
    const found = new Set(
      (
        await db
          .selectFrom('message_templates')
          .select('id')
          .where('workspace_id', '=', ws)
          .where('id', 'in', [...templates.keys()])
          .execute()
      ).map((r) => r.id),
    );
    for (const [id, path] of templates) if (!found.has(id)) errors.push({ path, message: `names template "${id}", which does not exist in this workspace` });
  }
  if (errors.length) throw invalid(errors);
}

/** Creates a journey with a draft definition (validated); it takes entries once published. */
export async function createJourney(deps: JourneyDeps, ws: string, input: { name: unknown; description?: unknown; definition: unknown }): Promise<JourneyView> {
  const name = checkName(input.name);
  const description = typeof input.description === 'string' ? input.description.slice(0, 2000) : '';
  const def = checkDefinition(input.definition);
  const db = jdb(deps.database.db);
  const now = deps.now();
  const id = newId('jny', now);
  const res = await db
    .insertInto('journeys')
    .values({ workspace_id: ws, id, name, description, status: 'draft', draft: JSON.stringify(def), current_version: null, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) throw new JourneyError('CONFLICT', `a journey named "${name}" already exists in this workspace`);
  return view(await row(db, ws, id));
}

/** The workspace's journeys, newest first. */
export async function listJourneys(deps: JourneyDeps, ws: string, status?: string): Promise<JourneyView[]> {
  let q = jdb(deps.database.db).selectFrom('journeys').selectAll().where('workspace_id', '=', ws);
  if (status) q = q.where('status', '=', status);
  return (await q.orderBy('id', 'desc').limit(1000).execute()).map(view);
}

/** A journey with its published versions. */
export async function getJourney(
  deps: JourneyDeps,
  ws: string,
  id: string,
): Promise<JourneyView & { versions: { version: number; definition: unknown; createdAt: string }[] }> {
  const db = jdb(deps.database.db);
  const r = await row(db, ws, id);
  const versions = await db.selectFrom('journey_versions').selectAll().where('workspace_id', '=', ws).where('journey_id', '=', id).orderBy('version').execute();
  return { ...view(r), versions: versions.map((v) => ({ version: v.version, definition: parseJson(v.definition), createdAt: iso(v.created_at) })) };
}

/** Changes the name, description or draft definition; running states are not affected until a publish. */
export async function updateJourney(
  deps: JourneyDeps,
  ws: string,
  id: string,
  input: { name?: unknown; description?: unknown; definition?: unknown },
): Promise<JourneyView> {
  const db = jdb(deps.database.db);
  const r = await row(db, ws, id);
  if (r.status === 'archived') throw new JourneyError('JOURNEY_INVALID_STATE', `journey ${id} is archived; create a new one`);
  const set: Partial<Record<'name' | 'description' | 'draft', string>> = {};
  if (input.name !== undefined) set.name = checkName(input.name);
  if (input.description !== undefined) set.description = typeof input.description === 'string' ? input.description.slice(0, 2000) : '';
  if (input.definition !== undefined) set.draft = JSON.stringify(checkDefinition(input.definition));
  try {
    await db
      .updateTable('journeys')
      .set({ ...set, updated_at: deps.now() })
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .execute();
  } catch (err) {
    if (set.name && /unique|constraint/i.test(String((err as Error).message)))
      throw new JourneyError('CONFLICT', `a journey named "${set.name}" already exists in this workspace`);
    throw err;
  }
  return view(await row(db, ws, id));
}

/**
 * Publishes the draft as a new version: new entries use it; states already running stay on their
 * version unless migrated (`migrateStates`). The journey becomes active.
 */
export async function publishJourney(deps: JourneyDeps, ws: string, id: string): Promise<JourneyView & { version: number }> {
  // The draft may change between marking its trigger segment and the publish transaction; the
  // transaction then finds the new segment unmarked and the whole step runs again.
  for (let attempt = 1; ; attempt++) {
    await listenToTriggerSegment(deps, ws, id);
    const version = await withRetries(deps.database, () =>
      deps.database.db.transaction().execute(async (t) => {
        const trx = jdb(t);
        let q = trx.selectFrom('journeys').selectAll().where('workspace_id', '=', ws).where('id', '=', id);
        q = deps.database.dialect.forUpdate(q);
        const r = await q.executeTakeFirst();
        if (!r) throw new JourneyError('JOURNEY_NOT_FOUND', `no journey "${id}" in this workspace`);
        if (r.status === 'archived') throw new JourneyError('JOURNEY_INVALID_STATE', `journey ${id} is archived; create a new one`);
        const def = checkDefinition(parseJson(r.draft));
        await checkReferences(trx, ws, def);
        if (def.trigger.type === 'segment_entered' && !(await isListened(trx, ws, def.trigger.segmentId))) return undefined;
        const now = deps.now();
        const v = (r.current_version ?? 0) + 1;
        await trx
          .insertInto('journey_versions')
          .values({ workspace_id: ws, journey_id: id, version: v, definition: JSON.stringify(def), created_at: now })
          .execute();
        await trx
          .updateTable('journeys')
          .set({ current_version: v, status: 'active', updated_at: now })
          .where('workspace_id', '=', ws)
          .where('id', '=', id)
          .execute();
        return v;
      }),
    );
    if (version === undefined) {
      if (attempt < 5) continue;
      throw new JourneyError('CONFLICT', `the draft of journey ${id} kept changing while it was being published; publish it again`);
    }
    deps.onEntered?.();
    return { ...view(await row(jdb(deps.database.db), ws, id)), version };
  }
}

/**
 * A segment-entered trigger reads the segment's new members through the entry-time index, which
 * holds only the rows of segments marked as listened (journeys migration 0016). The mark is set
 * here, committed before the version is published: a membership write reads it under the
 * segment's lock (lockSegments), so one that read it unset committed before the mark, hence before
 * the version's publish time, where the trigger's reading starts. Never unset (an unused mark
 * costs only index upkeep).
 */
async function listenToTriggerSegment(deps: JourneyDeps, ws: string, id: string): Promise<void> {
  const r = await jdb(deps.database.db).selectFrom('journeys').select('draft').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  const trigger = r?.draft ? parseJson<{ trigger?: { type?: unknown; segmentId?: unknown } }>(r.draft)?.trigger : undefined;
  if (trigger?.type !== 'segment_entered' || typeof trigger.segmentId !== 'string') return;
  await deps.database.db
    .updateTable('segments')
    .set({ entries_listened: 1 })
    .where('workspace_id', '=', ws)
    .where('id', '=', trigger.segmentId)
    .where('entries_listened', '=', 0)
    .execute();
}

/** Whether a segment carries the listened mark (a missing segment fails checkReferences before this). */
async function isListened(trx: Kysely<JDB>, ws: string, segmentId: string): Promise<boolean> {
  const r = await trx.selectFrom('segments').select('entries_listened').where('workspace_id', '=', ws).where('id', '=', segmentId).executeTakeFirst();
  return r?.entries_listened === 1;
}

/** Pauses (no new entries; running states continue), resumes, or archives (running states stop) a journey. */
export async function setJourneyStatus(deps: JourneyDeps, ws: string, id: string, action: 'pause' | 'resume' | 'archive'): Promise<JourneyView> {
  const db = jdb(deps.database.db);
  const r = await row(db, ws, id);
  const now = deps.now();
  if (r.status === 'archived') throw new JourneyError('JOURNEY_INVALID_STATE', `journey ${id} is archived`);
  if (action !== 'archive' && r.current_version === null)
    throw new JourneyError('JOURNEY_INVALID_STATE', `journey ${id} has never been published; publish it first`);
  const status = action === 'pause' ? 'paused' : action === 'resume' ? 'active' : 'archived';
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('journeys').set({ status, updated_at: now }).where('workspace_id', '=', ws).where('id', '=', id).execute();
    if (status === 'archived') {
      await trx
        .updateTable('journey_states')
        .set({ status: 'exited', end_reason: 'archived', ended_at: now, wake_at: null, timer_at: null, listen: null, updated_at: now })
        .where('workspace_id', '=', ws)
        .where('journey_id', '=', id)
        .where('status', '=', 'active')
        .execute();
    }
  });
  return view(await row(db, ws, id));
}

/**
 * Moves the active states of `fromVersion` to `toVersion` (default: the current one) by an
 * operator's step mapping `{ oldStepId: newStepId | null }` (null: the state exits as
 * 'migrated'). Every step where states are waiting must be mapped. A moved state keeps its timer:
 * a wait continues to its original end.
 */
export async function migrateStates(
  deps: JourneyDeps,
  ws: string,
  id: string,
  input: { fromVersion: number; toVersion?: number; mapping: Record<string, string | null> },
): Promise<{ moved: number; exited: number; toVersion: number }> {
  const db = jdb(deps.database.db);
  const r = await row(db, ws, id);
  const to = input.toVersion ?? r.current_version;
  if (to === null || to === undefined) throw new JourneyError('JOURNEY_INVALID_STATE', `journey ${id} has never been published`);
  if (to === input.fromVersion) throw new JourneyError('VALIDATION_FAILED', `fromVersion and toVersion are both ${to}`);
  const defs = await db
    .selectFrom('journey_versions')
    .select(['version', 'definition'])
    .where('workspace_id', '=', ws)
    .where('journey_id', '=', id)
    .where('version', 'in', [input.fromVersion, to])
    .execute();
  const from = defs.find((d) => d.version === input.fromVersion);
  const target = defs.find((d) => d.version === to);
  if (!from) throw new JourneyError('VALIDATION_FAILED', `fromVersion: journey ${id} has no version ${input.fromVersion}`);
  if (!target) throw new JourneyError('VALIDATION_FAILED', `toVersion: journey ${id} has no version ${to}`);
  const fromSteps = new Set(parseJson<Definition>(from.definition).steps.map((s: Step) => s.id));
  const toDef = parseJson<Definition>(target.definition);
  const toSteps = new Set(toDef.steps.map((s) => s.id));
  const errors: DefinitionError[] = [];
  for (const [k, v] of Object.entries(input.mapping)) {
    if (!fromSteps.has(k)) errors.push({ path: `mapping.${k}`, message: `version ${input.fromVersion} has no step "${k}"` });
    if (v !== null && !toSteps.has(v))
      errors.push({ path: `mapping.${k}`, message: `version ${to} has no step "${v}" (steps: ${[...toSteps].join(', ')}; null exits)` });
  }
  const waiting = await db
    .selectFrom('journey_states')
    .select(['step_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .where('journey_id', '=', id)
    .where('version', '=', input.fromVersion)
    .where('status', '=', 'active')
    .groupBy('step_id')
    .execute();
  for (const w of waiting) {
    if (w.step_id !== null && !Object.hasOwn(input.mapping, w.step_id))
      errors.push({ path: `mapping.${w.step_id}`, message: `is required: ${Number(w.n)} active state(s) are at step "${w.step_id}"` });
  }
  if (errors.length) throw new JourneyError('VALIDATION_FAILED', `cannot migrate: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
  const now = deps.now();
  let moved = 0;
  let exited = 0;
  await withRetries(deps.database, () =>
    db.transaction().execute(async (trx) => {
      moved = 0;
      exited = 0;
      for (const [oldStep, newStep] of Object.entries(input.mapping)) {
        const base = trx
          .updateTable('journey_states')
          .where('workspace_id', '=', ws)
          .where('journey_id', '=', id)
          .where('version', '=', input.fromVersion)
          .where('status', '=', 'active')
          .where('step_id', '=', oldStep);
        if (newStep === null) {
          const res = await base
            .set({ status: 'exited', end_reason: 'migrated', ended_at: now, wake_at: null, timer_at: null, listen: null, updated_at: now })
            .executeTakeFirst();
          exited += Number(res.numUpdatedRows);
        } else {
          const res = await base.set({ version: to, step_id: newStep, wake_at: now, attempt: 0, updated_at: now }).executeTakeFirst();
          moved += Number(res.numUpdatedRows);
        }
      }
    }),
  );
  deps.onEntered?.();
  return { moved, exited, toVersion: to };
}

/** Enters profiles by API (`POST /v1/journeys/:id/enter`); `key` makes a retried call enter nobody twice. */
export async function enterByApi(
  deps: JourneyDeps,
  ws: string,
  id: string,
  input: { profileIds: string[]; key?: string; context?: Record<string, unknown> },
): Promise<{ entered: number; skipped: { profileId: string; reason: string }[] }> {
  const db = jdb(deps.database.db);
  const r = await row(db, ws, id);
  if (r.status !== 'active' || r.current_version === null)
    throw new JourneyError(
      'JOURNEY_INVALID_STATE',
      `journey ${id} is ${r.status === 'draft' ? 'not published' : r.status}; only an active journey takes entries`,
    );
  const v = await db
    .selectFrom('journey_versions')
    .select('definition')
    .where('workspace_id', '=', ws)
    .where('journey_id', '=', id)
    .where('version', '=', r.current_version)
    .executeTakeFirstOrThrow();
  const def = parseJson<Definition>(v.definition);
  if (isGroupJourney(def)) throw new JourneyError('JOURNEY_INVALID_STATE', `journey ${id} runs over WeCom groups on its schedule; profiles cannot be entered`);
  const now = deps.now();
  const key = input.key ?? newId('manual', now);
  const result = await withRetries(deps.database, () =>
    deps.database.db.transaction().execute(async (trx) => {
      await lockTriggers(trx, deps.database.dialect, ws, now);
      const live = await liveProfiles(trx, ws, [...new Set(input.profileIds)]);
      const skipped: { profileId: string; reason: string }[] = input.profileIds
        .filter((p) => !live.has(p))
        .map((p) => ({ profileId: p, reason: 'no_profile' }));
      const res = await enterSubjects(
        trx,
        deps.database.dialect,
        { workspaceId: ws, journeyId: id, version: r.current_version!, definition: def },
        [...new Set(live.values())].map((p) => ({
          subjectId: p,
          kind: 'profile' as const,
          entryKey: `manual:${key}`,
          context: { manual: { key, ...input.context } },
        })),
        now,
      );
      return { entered: res.entered, skipped: [...skipped, ...res.skipped.map((s) => ({ profileId: s.subjectId, reason: s.reason }))] };
    }),
  );
  if (result.entered) deps.onEntered?.();
  return result;
}

/** Per-journey statistics (see docs/journeys.md for each figure). */
export interface JourneyStats {
  entered: number;
  active: number;
  completed: number;
  converted: number;
  exited: number;
  failed: number;
  conversionRate: number;
  /** Active states per current step. */
  inStep: Record<string, number>;
  /** Steps taken per step (from the step log). */
  passed: Record<string, number>;
  messages: { sent: number; held: number; suppressed: number; failed: number; pending: number; byStep: Record<string, Record<string, number>> };
  /** Per A/B split step: per branch, states assigned, converted and the rate. */
  splits: Record<string, Record<string, { assigned: number; converted: number; conversionRate: number }>>;
}

/** Computes a journey's statistics (optionally for one version's states). */
export async function journeyStats(deps: JourneyDeps, ws: string, id: string, version?: number): Promise<JourneyStats> {
  const db = jdb(deps.database.db);
  await row(db, ws, id);
  let states = db.selectFrom('journey_states').where('workspace_id', '=', ws).where('journey_id', '=', id);
  if (version !== undefined) states = states.where('version', '=', version);
  const byStatus = await states
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const count = (s: string) => Number(byStatus.find((x) => x.status === s)?.n ?? 0);
  const entered = byStatus.reduce((a, x) => a + Number(x.n), 0);
  const inStep: Record<string, number> = {};
  for (const x of await states
    .select(['step_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', '=', 'active')
    .groupBy('step_id')
    .execute())
    inStep[x.step_id ?? '-'] = Number(x.n);
  const passed: Record<string, number> = {};
  for (const x of await db
    .selectFrom('journey_step_log')
    .select(['step_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .where('journey_id', '=', id)
    .groupBy('step_id')
    .execute())
    passed[x.step_id] = Number(x.n);
  const messages: JourneyStats['messages'] = { sent: 0, held: 0, suppressed: 0, failed: 0, pending: 0, byStep: {} };
  const msgs = await db
    .selectFrom('messages')
    .select(['source_step', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .where('source_kind', '=', 'journey')
    .where('source_id', '=', id)
    .groupBy(['source_step', 'status'])
    .execute();
  for (const m of msgs) {
    const n = Number(m.n);
    const bucket =
      m.status === 'sent' || m.status === 'delivered'
        ? 'sent'
        : m.status === 'held'
          ? 'held'
          : m.status === 'suppressed'
            ? 'suppressed'
            : m.status === 'failed' || m.status === 'unknown'
              ? 'failed'
              : 'pending';
    messages[bucket] += n;
    const step = (messages.byStep[m.source_step ?? '-'] ??= {});
    step[m.status] = (step[m.status] ?? 0) + n;
  }
  const splits: JourneyStats['splits'] = {};
  const rows = await sql<{ step_id: string; branch: string; assigned: number; converted: number }>`
    select a.step_id, a.branch, count(*) as assigned, sum(case when s.status = 'converted' then 1 else 0 end) as converted
    from journey_assignments as a join journey_states as s on s.workspace_id = a.workspace_id and s.id = a.state_id
    where a.workspace_id = ${ws} and a.journey_id = ${id} ${version !== undefined ? sql`and s.version = ${version}` : sql``}
    group by a.step_id, a.branch order by a.step_id, a.branch`.execute(db);
  for (const x of rows.rows) {
    const assigned = Number(x.assigned);
    const conv = Number(x.converted);
    (splits[x.step_id] ??= {})[x.branch] = { assigned, converted: conv, conversionRate: assigned ? conv / assigned : 0 };
  }
  const converted = count('converted');
  return {
    entered,
    active: count('active'),
    completed: count('completed'),
    converted,
    exited: count('exited'),
    failed: count('failed'),
    conversionRate: entered ? converted / entered : 0,
    inStep,
    passed,
    messages,
    splits,
  };
}

/** A subject's journey states (newest first), for support and tests. */
export async function statesOf(
  deps: JourneyDeps,
  ws: string,
  id: string,
  q: { status?: string; subjectId?: string; limit: number },
): Promise<Record<string, unknown>[]> {
  let s = jdb(deps.database.db).selectFrom('journey_states').selectAll().where('workspace_id', '=', ws).where('journey_id', '=', id);
  if (q.status) s = s.where('status', '=', q.status);
  if (q.subjectId) s = s.where('subject_id', '=', q.subjectId);
  const rows = await s.orderBy('id', 'desc').limit(q.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    version: r.version,
    subjectKind: r.subject_kind,
    subjectId: r.subject_id,
    entryKey: r.entry_key,
    entryNo: r.entry_no,
    stepId: r.step_id,
    status: r.status,
    wakeAt: r.wake_at === null ? null : iso(r.wake_at),
    endReason: r.end_reason,
    enteredAt: iso(r.entered_at),
    endedAt: r.ended_at === null ? null : iso(r.ended_at),
    context: parseJson(r.context),
  }));
}
