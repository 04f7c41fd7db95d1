/**
 * Checks of an experiment definition beyond its JSON schema (unique arm keys, a baseline among
 * them, an event for event goals) and the reading of a journey's split step as a definition.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { InsightError } from '../errors.js';
import type { AnalysisSettings } from './analysis.js';
import { type GoalSpec, publishedDefinition } from './experiments.repo.js';

/** A validated definition, ready to store. */
export interface ExperimentInput {
  key: string;
  name: string;
  subject: { kind: string; id: string; stepId?: string };
  variants: { key: string; weight: number; description?: string }[];
  baseline: string;
  holdoutPercent: number;
  salt: string;
  goal: GoalSpec;
  covariateDays?: number | undefined;
  settings?: Partial<Omit<AnalysisSettings, 'cuped'>> | undefined;
}

/** The body of POST /v1/insight/experiments (already schema-valid). */
export interface CreateBody {
  key: string;
  name: string;
  subject: { kind: string; id: string; stepId?: string };
  variants?: { key: string; weight: number; description?: string }[];
  baseline?: string;
  holdoutPercent?: number;
  goal: GoalSpec;
  covariateDays?: number;
  settings?: Partial<Omit<AnalysisSettings, 'cuped'>>;
}

/** The body of POST /v1/insight/journeys/:journeyId/splits/:stepId/experiment. */
export type SplitInput = Pick<CreateBody, 'name' | 'baseline' | 'goal' | 'covariateDays' | 'settings'>;

const invalid = (field: string, message: string) => new InsightError('EXPERIMENT_INVALID', `${field}: ${message}`, { field });

function checkGoal(goal: GoalSpec): void {
  if (goal.kind !== 'revenue' && !goal.event) throw invalid('goal.event', `a ${goal.kind} goal needs the event name it counts`);
  if (goal.kind === 'revenue' && goal.event !== undefined)
    throw invalid('goal.event', 'a revenue goal counts orders (net of refunds), not an event: leave event out');
}

function checkArms(variants: readonly { key: string }[], baseline: string | undefined): string {
  const keys = variants.map((v) => v.key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup !== undefined) throw invalid('variants', `arm key "${dup}" is used twice; keys are unique`);
  if (baseline !== undefined && !keys.includes(baseline)) throw invalid('baseline', `"${baseline}" is not one of the arms (${keys.join(', ')})`);
  return baseline ?? keys[0]!;
}

/** A split step of a journey's published definition, or EXPERIMENT_INVALID saying what is missing. */
async function splitStepOf(db: Kysely<DB>, ws: string, journeyId: string, stepId: string) {
  const def = (await publishedDefinition(db, ws, journeyId)) as { steps?: unknown } | undefined;
  const parsed = typeof def === 'string' ? (JSON.parse(def) as { steps?: unknown }) : def;
  if (!parsed) throw invalid('subject.id', `journey ${journeyId} has no published version in this workspace (publish it first)`);
  const steps = Array.isArray(parsed.steps) ? (parsed.steps as { id?: string; type?: string }[]) : [];
  const step = steps.find((s) => s.id === stepId);
  if (!step || step.type !== 'split') throw invalid('subject.stepId', `journey ${journeyId}'s published version has no split step "${stepId}"`);
  return step as unknown as { id: string; salt?: string; holdoutPercent?: number; variants: { key: string; weight: number }[] };
}

/** The definition of a journey's split step as an experiment: the step's arms, holdout and salt (journeys' default salt `journeyId:stepId`). */
export async function splitInput(db: Kysely<DB>, ws: string, journeyId: string, stepId: string, body: SplitInput): Promise<ExperimentInput> {
  checkGoal(body.goal);
  const step = await splitStepOf(db, ws, journeyId, stepId);
  const variants = step.variants.map((v) => ({ key: v.key, weight: v.weight }));
  return {
    key: `journey:${journeyId}:${stepId}`,
    name: body.name ?? `journey ${journeyId} split ${stepId}`,
    subject: { kind: 'journey_split', id: journeyId, stepId },
    variants,
    baseline: checkArms(variants, body.baseline),
    holdoutPercent: step.holdoutPercent ?? 0,
    salt: step.salt ?? `${journeyId}:${stepId}`,
    goal: body.goal,
    covariateDays: body.covariateDays,
    settings: body.settings,
  };
}

/** Validates a create body (already schema-valid) into a definition; a journey split reads its arms from the journey. */
export async function normaliseInput(db: Kysely<DB>, ws: string, raw: unknown): Promise<ExperimentInput> {
  const body = raw as CreateBody;
  if (body.subject.kind === 'journey_split') {
    if (!body.subject.stepId) throw invalid('subject.stepId', "a journey_split subject names the split step's id");
    if (body.variants) throw invalid('variants', "a journey split's arms are its step's own: leave variants out");
    const input = await splitInput(db, ws, body.subject.id, body.subject.stepId, body);
    return { ...input, key: body.key, name: body.name, holdoutPercent: input.holdoutPercent };
  }
  if (body.subject.stepId !== undefined) throw invalid('subject.stepId', 'only a journey_split subject has a step');
  if (!body.variants) throw invalid('variants', 'an experiment needs at least two arms ({ key, weight })');
  checkGoal(body.goal);
  return {
    key: body.key,
    name: body.name,
    subject: body.subject,
    variants: body.variants,
    baseline: checkArms(body.variants, body.baseline),
    holdoutPercent: body.holdoutPercent ?? 0,
    // The key, not the id: the same key in another workspace assigns the same way, and a re-created experiment keeps its arms.
    salt: `experiment:${body.key}`,
    goal: body.goal,
    covariateDays: body.covariateDays,
    settings: body.settings,
  };
}
