import type { Step, StepType } from '../definition.js';
import { finish, logStep, type StepRun, type Work } from '../work.js';
import { awardStep } from './award.js';
import type { StepHandler } from './handler.js';
import { tagStep, updateTraitStep } from './profile.js';
import { sendStep, webhookStep } from './send.js';
import { splitStep } from './split.js';
import { waitForEventStep } from './wait-for-event.js';
import { waitStep } from './wait.js';

export { branchGroup } from './branch.js';
export type { StepHandler } from './handler.js';

/** Exit: ends the journey as exited. */
const exitStep: StepHandler<'exit'> = ({ writes, now }, w) => {
  logStep(w, writes, 'exit', now);
  finish(w, 'exited', 'exit_step', now);
};

/** One handler per step type; branch steps are evaluated in groups (`branchGroup`), all states at one branch in one query per rule. */
export const STEP_HANDLERS: { [T in Exclude<StepType, 'branch'>]: StepHandler<T> } = {
  wait: waitStep,
  wait_for_event: waitForEventStep,
  goal: waitForEventStep,
  split: splitStep,
  send: sendStep,
  webhook: webhookStep,
  update_trait: updateTraitStep,
  tag: tagStep,
  award: awardStep,
  exit: exitStep,
};

/** Advances one state at a (non-branch) step with its type's handler. */
export async function runStep(run: StepRun, w: Work, step: Exclude<Step, { type: 'branch' }>): Promise<void> {
  // The table is keyed by type, so the handler found takes exactly this step.
  await (STEP_HANDLERS[step.type] as StepHandler<Exclude<StepType, 'branch'>>)(run, w, step);
}
