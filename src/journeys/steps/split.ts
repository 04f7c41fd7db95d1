import { createHash } from 'node:crypto';
import { EXPERIMENT_VIEWED_EVENT } from '../../platform/event-names.js';
import type { StepOf } from '../definition.js';
import { finish, go, logStep } from '../work.js';
import type { StepHandler } from './handler.js';

/** The `experiment_key` property of a split step's exposure events. */
export function splitExperimentKey(journeyId: string, stepId: string): string {
  return `journey:${journeyId}:${stepId}`;
}

/** The variant (or 'holdout') of a subject: a stable hash of salt and subject into 10,000 buckets, holdout first, then by weight. */
export function splitVariant(step: StepOf<'split'>, journeyId: string, subjectId: string): { key: string; next?: string | undefined } {
  const salt = step.salt ?? `${journeyId}:${step.id}`;
  const bucket = parseInt(createHash('md5').update(`${salt}:${subjectId}`).digest('hex').slice(0, 8), 16) % 10_000;
  const hold = (step.holdoutPercent ?? 0) * 100;
  if (bucket < hold) return { key: 'holdout' };
  const total = step.variants.reduce((a, v) => a + v.weight, 0);
  let pos = ((bucket - hold) / (10_000 - hold)) * total;
  for (const v of step.variants) {
    if (pos < v.weight) return { key: v.key, next: v.next };
    pos -= v.weight;
  }
  const last = step.variants[step.variants.length - 1]!;
  return { key: last.key, next: last.next };
}

/** A/B split: records the subject's assignment; the holdout exits. */
export const splitStep: StepHandler<'split'> = ({ writes, now }, w, step) => {
  const r = w.row;
  const { key, next } = splitVariant(step, r.journey_id, r.subject_id);
  writes.assignments.push({ workspace_id: r.workspace_id, state_id: r.id, journey_id: r.journey_id, step_id: step.id, branch: key, at: now });
  if (r.subject_kind === 'profile') {
    // The exposure, on the profile's timeline (a group journey's subject is a WeCom group: no timeline).
    // Its id is the assignment's, so a retried pass cannot record it twice.
    writes.exposures.push({
      workspaceId: r.workspace_id,
      profileId: r.subject_id,
      event: EXPERIMENT_VIEWED_EVENT,
      properties: { experiment_key: splitExperimentKey(r.journey_id, step.id), journey_id: r.journey_id, step_id: step.id, state_id: r.id, variant: key },
      at: now,
      eventId: `jsplit:${r.id}:${step.id}`,
    });
  }
  if (key === 'holdout') {
    logStep(w, writes, 'variant:holdout', now);
    return finish(w, 'exited', 'holdout', now);
  }
  return go(w, writes, next, `variant:${key}`, now);
};
