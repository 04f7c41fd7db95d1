/**
 * One state's work in an executor pass, and the moves a step handler makes on it. A handler
 * changes the in-memory row and appends to the pass's writes; the pass writes everything at the
 * end, in the transaction that holds the claim (executor.ts).
 */
import type { Selectable } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import type { SystemEvent } from '../cdp/index.js';
import type { PropertyFilter } from '../segments/index.js';
import type { Conn } from './db.js';
import type { Definition, Step } from './definition.js';
import type { JourneyDeps } from './deps.js';
import type { JourneyStatesTable } from './schema.js';
import { matchesFilters } from './timing.js';

/** A journey state row as read. */
export type StateRow = Selectable<JourneyStatesTable>;
/** A day in milliseconds. */
export const DAY = 86_400_000;

/** A claimed state, with what its steps need. */
export interface Work {
  row: StateRow;
  def: Definition;
  traits: Record<string, unknown>;
  tz: string;
  /** Parked (waiting) or finished in this pass. */
  settled: boolean;
  /** Matching events of the subject (goal and wait-for-event checks), oldest first. */
  events: { event: string; timestamp: number; properties: unknown }[];
  /** A step added to the entry context (an award's coupon code): the pass writes it back. */
  contextChanged?: boolean;
}

/** What a pass writes besides the states: step log rows, A/B assignments; and its sends. */
export interface Writes {
  log: Record<string, unknown>[];
  assignments: Record<string, unknown>[];
  /** `Experiment Viewed` events of profiles a split step assigned (their exposure, on their timelines). */
  exposures: SystemEvent[];
  sends: number;
  /** Workspaces with new outbox rows (the dispatcher is told after the commit). */
  sentIn: Set<string>;
}

/** What a step handler works with: the claim's transaction, the deps, the pass's writes and clock reading. */
export interface StepRun {
  trx: Conn;
  deps: JourneyDeps;
  writes: Writes;
  now: number;
}

/** True when the subject did `event` (matching `where`) between `from` and `to`. */
export function converted(w: Work, event: string, where: PropertyFilter[] | undefined, from: number, to: number): boolean {
  return w.events.some((e) => e.event === event && e.timestamp >= from && e.timestamp <= to && matchesFilters(e.properties, where));
}

/** How a step log outcome counts: `skipped...` (the step could not do its job and was passed over), `failed...`, else passed. */
export type StepResult = 'passed' | 'skipped' | 'failed';

/** The result of a step log outcome (the convention every handler follows: see StepResult). */
export function stepResult(outcome: string): StepResult {
  return outcome.startsWith('skipped') ? 'skipped' : outcome.startsWith('failed') ? 'failed' : 'passed';
}

/** Adds values to the state's entry context (what later sends see as `data.*`). */
export function setContext(w: Work, values: Record<string, unknown>): void {
  w.row.context = JSON.stringify({ ...parseJson<Record<string, unknown>>(w.row.context), ...values });
  w.contextChanged = true;
}

/** Appends a step log row for the current step. */
export function logStep(w: Work, writes: Writes, outcome: string, now: number): void {
  w.row.steps_taken += 1;
  writes.log.push({
    workspace_id: w.row.workspace_id,
    state_id: w.row.id,
    seq: w.row.steps_taken,
    journey_id: w.row.journey_id,
    step_id: w.row.step_id ?? '-',
    outcome: outcome.slice(0, 200),
    at: now,
  });
}

/** The event names that should wake the state early while it waits (its goal, and `extra`). */
export function listenFor(w: Work, now: number, extra?: string): string | null {
  const names = new Set<string>();
  const g = w.def.goal;
  if (g && now < w.row.entered_at + g.withinDays * DAY) names.add(g.event);
  if (extra) names.add(extra);
  return names.size ? `|${[...names].join('|')}|` : null;
}

/** Ends the state. */
export function finish(w: Work, status: string, reason: string, now: number): void {
  Object.assign(w.row, { status, end_reason: reason.slice(0, 500), ended_at: now, wake_at: null, timer_at: null, listen: null });
  w.settled = true;
}

/** Parks the state until `timer` (or an event it listens for). */
export function park(w: Work, timer: number | null, listen: string | null): void {
  w.row.timer_at = timer;
  w.row.wake_at = timer;
  w.row.listen = listen;
  w.settled = true;
}

/** Records the step's outcome and moves to `to` (the journey completes when there is none). */
export function go(w: Work, writes: Writes, to: string | undefined, outcome: string, now: number): void {
  logStep(w, writes, outcome, now);
  if (to === undefined) {
    finish(w, 'completed', 'end', now);
    return;
  }
  Object.assign(w.row, { step_id: to, step_at: now, timer_at: null, wake_at: now, attempt: 0, listen: null });
}

/** The idempotency key of what a step writes elsewhere (an outbox row, an award): `journey:<state id>:<step id>:<step number>`. */
export function messageKey(w: Work, step: Step): string {
  return `journey:${w.row.id}:${step.id}:${w.row.steps_taken + 1}`;
}
