import type { StepOf, StepType } from '../definition.js';
import type { StepRun, Work } from '../work.js';

/** Advances one state at a step of type T as far as it can go now (moves on, parks or finishes it). */
export type StepHandler<T extends StepType> = (run: StepRun, w: Work, step: StepOf<T>) => Promise<void> | void;
