/**
 * Experiments as objects: define one (or take a journey's split step as one), record exposures
 * with stable assignment (an `Experiment Viewed` event on each profile's timeline, through cdp's
 * recordSystemEvents), and compute results from the goal metric's SQL sums.
 */
import { liveProfileByIdentifier, liveProfileIds, recordSystemEvents } from '../../cdp/index.js';
import { parseJson } from '../../platform/db/database.js';
import { EXPERIMENT_VIEWED_EVENT } from '../../platform/event-names.js';
import { newId } from '../../platform/ids.js';
import { decodeCursor, encodeCursor, type Page } from '../../platform/paging.js';
import type { InsightDeps } from '../deps.js';
import { InsightError } from '../errors.js';
import type { MetricCache } from '../metrics/cache.js';
import { analyse, type Analysis, type AnalysisSettings, DEFAULT_SETTINGS } from './analysis.js';
import { armWeights, assignVariant } from './assign.js';
import {
  armSums,
  type ExperimentRow,
  type NewExperimentRow,
  exposureFingerprint,
  exposuresOf,
  findExperiment,
  type GoalSpec,
  insertExposures,
  insertExperiment,
  listExperimentRows,
} from './experiments.repo.js';
import { type ExperimentInput, normaliseInput, splitInput, type SplitInput } from './experiments.validate.js';

/** The event recorded on a profile's timeline at its first exposure (properties: experiment_id, experiment_key, variant); the name is platform's, shared with journeys' split step. */
export { EXPERIMENT_VIEWED_EVENT };

/** Stored settings: the analysis settings without CUPED's switch (CUPED follows covariateDays). */
type Settings = Omit<AnalysisSettings, 'cuped'>;

/** An experiment as the API answers it. */
export interface ExperimentView {
  id: string;
  key: string;
  name: string;
  status: 'running' | 'stopped';
  subject: { kind: string; id: string; stepId?: string };
  variants: { key: string; weight: number; description?: string }[];
  baseline: string;
  holdoutPercent: number;
  goal: GoalSpec;
  covariateDays: number | null;
  settings: Settings;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

function view(r: ExperimentRow): ExperimentView {
  return {
    id: r.id,
    key: r.key,
    name: r.name,
    status: r.status,
    subject: parseJson(r.subject),
    variants: parseJson(r.variants),
    baseline: r.baseline,
    holdoutPercent: Number(r.holdout_percent),
    goal: parseJson(r.goal),
    covariateDays: r.covariate_days === null ? null : Number(r.covariate_days),
    settings: parseJson(r.settings),
    createdAt: iso(Number(r.created_at)),
    updatedAt: iso(Number(r.updated_at)),
  };
}

/** JSON with object keys sorted (PostgreSQL's jsonb does not keep their order). */
const canonical = (x: unknown): string =>
  Array.isArray(x)
    ? `[${x.map(canonical).join(',')}]`
    : x !== null && typeof x === 'object'
      ? `{${Object.keys(x)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(x);

/** The definition part of a view, to tell a retried create from a different one under the same key. */
const definitionOf = (v: ExperimentView) => canonical([v.name, v.subject, v.variants, v.baseline, v.holdoutPercent, v.goal, v.covariateDays, v.settings]);

async function store(deps: InsightDeps, ws: string, input: ExperimentInput): Promise<{ experiment: ExperimentView; created: boolean }> {
  const now = deps.now();
  const id = newId('exp', now);
  const settings: Settings = { ...DEFAULT_SETTINGS, ...input.settings };
  delete (settings as Partial<AnalysisSettings>).cuped;
  const row: NewExperimentRow = {
    workspace_id: ws,
    id,
    key: input.key,
    name: input.name,
    status: 'running',
    subject_kind: input.subject.kind,
    subject: JSON.stringify(input.subject),
    variants: JSON.stringify(input.variants),
    baseline: input.baseline,
    holdout_percent: input.holdoutPercent,
    salt: input.salt,
    goal: JSON.stringify(input.goal),
    covariate_days: input.covariateDays ?? null,
    settings: JSON.stringify(settings),
    created_at: now,
    updated_at: now,
  };
  const created = await insertExperiment(deps.database.db, deps.database.dialect, row);
  const stored = await findExperiment(deps.database.db, ws, { key: input.key });
  const experiment = view(stored!);
  if (
    !created &&
    definitionOf(experiment) !== definitionOf(view({ ...row, subject: input.subject, variants: input.variants, goal: input.goal, settings } as ExperimentRow))
  ) {
    throw new InsightError(
      'EXPERIMENT_KEY_TAKEN',
      `experiment key "${input.key}" is already used by ${experiment.id} with another definition; choose another key`,
      {
        id: experiment.id,
      },
    );
  }
  return { experiment, created };
}

/** Creates an experiment; the same key and definition again answers the first one (created false). */
export async function createExperiment(deps: InsightDeps, ws: string, body: unknown): Promise<{ experiment: ExperimentView; created: boolean }> {
  return store(deps, ws, await normaliseInput(deps.database.db, ws, body));
}

/** Takes a journey's split step as an experiment (its arms, weights, holdout and salt are the step's), once per step. */
export async function experimentOfSplit(deps: InsightDeps, ws: string, journeyId: string, stepId: string, body: SplitInput) {
  return store(deps, ws, await splitInput(deps.database.db, ws, journeyId, stepId, body));
}

/** A page of experiments, newest first. */
export async function listExperiments(deps: InsightDeps, ws: string, q: { limit: number; cursor?: string }): Promise<Page<ExperimentView>> {
  const after = q.cursor ? (decodeCursor(q.cursor, ['n', 's']) as [number, string]) : undefined;
  const rows = await listExperimentRows(deps.database.db, ws, q.limit, after);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { data: page.map(view), nextCursor: rows.length > q.limit && last ? encodeCursor([Number(last.created_at), last.id]) : null };
}

async function rowOf(deps: InsightDeps, ws: string, id: string): Promise<ExperimentRow> {
  const r = await findExperiment(deps.database.db, ws, { id });
  if (!r) throw new InsightError('EXPERIMENT_NOT_FOUND', `no experiment ${id} in this workspace`);
  return r;
}

/** One experiment. */
export async function getExperiment(deps: InsightDeps, ws: string, id: string): Promise<ExperimentView> {
  return view(await rowOf(deps, ws, id));
}

/** Stops an experiment: it records no more exposures; its results stay readable. Stopping a stopped one changes nothing. */
export async function stopExperiment(deps: InsightDeps, ws: string, id: string): Promise<ExperimentView> {
  await rowOf(deps, ws, id);
  await deps.database.db
    .updateTable('insight_experiments')
    .set({ status: 'stopped', updated_at: deps.now() })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('status', '=', 'running')
    .execute();
  return view(await rowOf(deps, ws, id));
}

/** Live profile ids of references (prf_… ids or user_id:<value>); EXPERIMENT_INVALID names the first unknown one. */
async function resolveProfiles(deps: InsightDeps, ws: string, refs: readonly string[]): Promise<string[]> {
  const db = deps.database.db;
  const ids = await liveProfileIds(
    db,
    ws,
    refs.filter((r) => r.startsWith('prf_')),
  );
  const out: string[] = [];
  for (const [i, ref] of refs.entries()) {
    const live = ref.startsWith('prf_')
      ? ids.get(ref)
      : ref.startsWith('user_id:')
        ? await liveProfileByIdentifier(db, ws, 'user_id', ref.slice(8))
        : undefined;
    if (live === undefined) {
      throw new InsightError('EXPERIMENT_INVALID', `exposures[${i}].profile: no profile "${ref}" in this workspace (a profile id prf_… or user_id:<value>)`, {
        index: i,
      });
    }
    out.push(live);
  }
  return out;
}

/** The exposure times of a batch, checked: ISO-8601, not in the future (default now). */
function exposureTimes(now: number, items: readonly { at?: string | undefined }[]): number[] {
  return items.map((x, i) => {
    if (x.at === undefined) return now;
    const t = Date.parse(x.at);
    if (!Number.isFinite(t) || t > now)
      throw new InsightError('EXPERIMENT_INVALID', `exposures[${i}].at: "${x.at}" is not an ISO-8601 time in the past`, { index: i });
    return t;
  });
}

/**
 * Records the exposures of profiles: each is assigned its stable arm; a first exposure is stored
 * and written to the timeline as `Experiment Viewed`, a later one changes nothing.
 */
export async function recordExposures(deps: InsightDeps, ws: string, id: string, body: { exposures: { profile: string; at?: string }[] }) {
  const r = await rowOf(deps, ws, id);
  if (r.subject_kind === 'journey_split') {
    throw new InsightError(
      'EXPERIMENT_INVALID',
      `experiment ${id} analyses a journey split: its exposures are the journey's own assignments, not recorded here`,
    );
  }
  if (r.status !== 'running') throw new InsightError('EXPERIMENT_INVALID', `experiment ${id} is stopped and records no exposures`);
  const e = view(r);
  const times = exposureTimes(deps.now(), body.exposures);
  const profiles = await resolveProfiles(
    deps,
    ws,
    body.exposures.map((x) => x.profile),
  );
  return deps.database.db.transaction().execute(async (trx) => {
    const before = await exposuresOf(trx, ws, id, profiles);
    const fresh = new Map<string, { variant: string; at: number }>();
    profiles.forEach((p, i) => {
      if (!before.has(p) && !fresh.has(p)) fresh.set(p, { variant: assignVariant(r.salt, e.holdoutPercent, e.variants, p), at: times[i]! });
    });
    const rows = [...fresh].map(([p, f]) => ({ workspace_id: ws, experiment_id: id, profile_id: p, variant: f.variant, exposed_at: f.at }));
    await insertExposures(trx, deps.database.dialect, rows);
    const events = [...fresh].map(([p, f]) => ({
      workspaceId: ws,
      profileId: p,
      event: EXPERIMENT_VIEWED_EVENT,
      properties: { experiment_id: id, experiment_key: e.key, variant: f.variant },
      at: f.at,
      // Once per profile and experiment, even if a retried transaction runs this again.
      eventId: `exposure:${id}:${p}`,
    }));
    await recordSystemEvents(trx, deps.database.dialect, events);
    const seen = new Set<string>();
    const assignments = profiles.map((p, i) => {
      const first = fresh.has(p) && !seen.has(p);
      seen.add(p);
      const a = before.get(p) ?? fresh.get(p)!;
      return { profile: body.exposures[i]!.profile, profileId: p, variant: a.variant, exposedAt: iso(a.at), first };
    });
    return { assignments };
  });
}

/** The results of an experiment as the API answers them. */
export interface ExperimentResults extends Omit<Analysis, 'arms'> {
  experimentId: string;
  computedAt: string;
  goal: GoalSpec;
  metric: 'proportion' | 'mean';
  settings: Settings;
  table: { baseline: string; rows: Analysis['arms'] };
}

/**
 * An experiment's results through the metrics cache: served again until data is committed to the
 * workspace (orders and goal events come through cdp), its exposures change (their count and
 * latest time are in the key) or the experiment itself changes; `cached` says which.
 */
export async function cachedExperimentResults(deps: InsightDeps, cache: MetricCache, ws: string, id: string): Promise<ExperimentResults & { cached: boolean }> {
  const r = await rowOf(deps, ws, id);
  const e = view(r);
  const exposures = await exposureFingerprint(deps.database.db, ws, r, e.subject);
  const query = { kind: 'experiment-results', id, updatedAt: Number(r.updated_at), status: r.status, exposures };
  const got = await cache.get(deps.database, ws, query, () => resultsOf(deps, ws, r));
  return { ...got.value, cached: got.cached };
}

/** Computes an experiment's results now: SQL sums per arm, then the statistics (analysis.ts). */
export async function experimentResults(deps: InsightDeps, ws: string, id: string): Promise<ExperimentResults> {
  return resultsOf(deps, ws, await rowOf(deps, ws, id));
}

async function resultsOf(deps: InsightDeps, ws: string, r: ExperimentRow): Promise<ExperimentResults> {
  const id = r.id;
  const e = view(r);
  const sums = await armSums(deps.database.db, ws, r, e.subject, e.goal);
  const weights = armWeights(e.holdoutPercent, e.variants);
  // Every arm is a row, exposed or not (an empty arm is news, and the sample ratio check needs its 0).
  const arms = [...weights].map(([key, weight]) => ({
    key,
    weight,
    sums: sums.get(key) ?? { n: 0, sum: 0, sumSquares: 0, pre: e.covariateDays === null ? undefined : { sum: 0, sumSquares: 0, sumProduct: 0 } },
  }));
  const metric = e.goal.kind === 'conversion' ? 'proportion' : 'mean';
  const analysis = analyse(arms, metric, e.baseline, { ...e.settings, cuped: e.covariateDays !== null });
  const { arms: rows, ...rest } = analysis;
  return { experimentId: id, computedAt: iso(deps.now()), goal: e.goal, metric, settings: e.settings, table: { baseline: e.baseline, rows }, ...rest };
}
