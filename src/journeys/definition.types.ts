/**
 * The journey definition language: a trigger, an entry policy, an optional goal and a list of
 * steps joined by `next` ids. `validateDefinition` (definition.ts) is the authority (every error with the JSON
 * path of the bad node); JOURNEY_JSON_SCHEMA (journey-schema.ts) publishes the shapes.
 * Semantics: docs/journeys.md.
 * This file holds the types and the pure helpers over a valid definition.
 */
import type { ChannelName } from '../messaging/index.js';
import type { PropertyFilter, Rule } from '../segments/index.js';

/** A length of time; the parts add up. */
export interface Duration {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
}

/** A local time of day, "HH:MM" (24-hour). */
export type TimeOfDay = string;

/** Who a scheduled journey enters: a segment's members, or WeCom customer groups. */
export type Audience = { segmentId: string } | { wecomGroups: { chatIds?: string[]; nameContains?: string } };

/** What enters a subject into the journey. */
export type Trigger =
  | { type: 'event'; event: string; where?: PropertyFilter[] }
  | { type: 'segment_entered' | 'segment_exited'; segmentId: string }
  /**
   * A date trait (YYYY-MM-DD...): `anniversary` enters every year on its month-day (birthdays,
   * membership anniversaries; 02-29 on 02-28 in other years); `month_age` enters on the day the
   * date turns N months old, for N in [fromMonths, toMonths] (a day past the end of a month falls
   * on the month's last day). Dates are local to the workspace time zone.
   */
  | { type: 'date'; trait: string; kind: 'anniversary' | 'month_age'; fromMonths?: number; toMonths?: number }
  | { type: 'manual' }
  /** Every day (or on `weekdays`, 1 = Monday) at `at` in the workspace time zone. */
  | { type: 'schedule'; every: 'day' | 'week'; at: TimeOfDay; weekdays?: number[]; audience: Audience };

/** A trigger type. */
export type TriggerType = Trigger['type'];
/** The trigger of type `T` (segment_entered and segment_exited share one shape). */
export type TriggerOf<T extends TriggerType> = Trigger & { type: T };

/** Re-entry: `never` (once per subject), `after_exit` (again once the previous entry ended), `always` (concurrent entries allowed). */
export interface EntryPolicy {
  reentry: 'never' | 'after_exit' | 'always';
  /** Most entries per subject, ever (default unlimited). */
  maxEntries?: number;
}

/** A conversion: `event` (matching `where`) within `withinDays` of entry ends the journey as converted. */
export interface Goal {
  event: string;
  where?: PropertyFilter[];
  withinDays: number;
}

interface StepBase {
  id: string;
  name?: string;
}

/** The step types; `next` absent means the journey ends there (completed). */
export type Step = StepBase &
  (
    | {
        type: 'wait';
        duration?: Duration;
        untilTime?: TimeOfDay;
        untilDate?: { trait: string; offsetDays?: number; at?: TimeOfDay; annual?: boolean };
        next?: string;
      }
    | { type: 'wait_for_event'; event: string; where?: PropertyFilter[]; timeout: Duration; next?: string; timeoutNext?: string }
    | { type: 'branch'; branches: { name?: string; rule: Rule; next?: string }[]; defaultNext?: string }
    | { type: 'split'; salt?: string; holdoutPercent?: number; variants: { key: string; weight: number; next?: string }[] }
    | {
        type: 'send';
        channel: ChannelName;
        templateId?: string;
        content?: Record<string, unknown>;
        purpose?: 'marketing' | 'service';
        data?: Record<string, unknown>;
        recipient?: { chatId?: string; sender?: string };
        next?: string;
      }
    | { type: 'update_trait'; set?: Record<string, unknown>; unset?: string[]; next?: string }
    | { type: 'tag'; add?: { group?: string; name: string }[]; remove?: { group?: string; name: string }[]; next?: string }
    | { type: 'award'; points?: number; couponTemplateId?: string; reason?: string; next?: string }
    | { type: 'webhook'; body: Record<string, unknown>; next?: string }
    | { type: 'goal'; event: string; where?: PropertyFilter[]; withinDays: number; next?: string }
    | { type: 'exit' }
  );

/** A step type. */
export type StepType = Step['type'];
/** The step of type `T`. */
export type StepOf<T extends StepType> = Extract<Step, { type: T }>;

/** A whole journey definition. */
export interface Definition {
  trigger: Trigger;
  entry: EntryPolicy;
  goal?: Goal;
  /** The first step's id (default: the first step in `steps`). */
  start?: string;
  steps: Step[];
}

/** One validation error: a JSON path and what was wrong there. */
export interface DefinitionError {
  path: string;
  message: string;
}

/** Every step type. */
export const STEP_TYPES = ['wait', 'wait_for_event', 'branch', 'split', 'send', 'update_trait', 'tag', 'award', 'webhook', 'goal', 'exit'] as const;
/** Every trigger type. */
export const TRIGGER_TYPES = ['event', 'segment_entered', 'segment_exited', 'date', 'manual', 'schedule'] as const;

/** Limits of a definition. */
export const DEFINITION_LIMITS = { maxSteps: 200, maxBranches: 20, maxVariants: 10, maxDurationDays: 3650, maxGoalDays: 365, maxErrors: 50 } as const;

/** Milliseconds in a duration. */
export function durationMs(d: Duration): number {
  return ((d.days ?? 0) * 24 * 3600 + (d.hours ?? 0) * 3600 + (d.minutes ?? 0) * 60 + (d.seconds ?? 0)) * 1000;
}

/** True when the journey's subjects are WeCom customer groups rather than profiles. */
export function isGroupJourney(def: Definition): boolean {
  return def.trigger.type === 'schedule' && 'wecomGroups' in def.trigger.audience;
}

/** The step with this id (the definition is valid, so a referenced id exists). */
export function stepById(def: Definition, id: string): Step | undefined {
  return def.steps.find((s) => s.id === id);
}

/** The first step's id. */
export function startStep(def: Definition): string {
  return def.start ?? def.steps[0]!.id;
}

/** The ids a step can go to, with the path of each reference. */
export function exitsOf(s: Step): { key: string; to: string | undefined }[] {
  switch (s.type) {
    case 'wait_for_event':
      return [
        { key: 'next', to: s.next },
        { key: 'timeoutNext', to: s.timeoutNext },
      ];
    case 'branch':
      return [...s.branches.map((b, i) => ({ key: `branches[${i}].next`, to: b.next })), { key: 'defaultNext', to: s.defaultNext }];
    case 'split':
      return s.variants.map((v, i) => ({ key: `variants[${i}].next`, to: v.next }));
    case 'exit':
      return [];
    default:
      return [{ key: 'next', to: s.next }];
  }
}
