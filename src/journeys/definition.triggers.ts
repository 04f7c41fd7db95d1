/** Validators of a definition's trigger (one per trigger type), entry policy and goal. */
import { Checker, got, has, type Obj } from './definition.checker.js';
import {
  type Audience,
  DEFINITION_LIMITS,
  type EntryPolicy,
  type Goal,
  type Trigger,
  type TriggerOf,
  type TriggerType,
  TRIGGER_TYPES,
} from './definition.types.js';

/** Checks the fields of a trigger object whose `type` is valid; returns the clean trigger or undefined. */
type TriggerValidator<T extends TriggerType> = (c: Checker, o: Obj, path: string, type: T) => TriggerOf<T> | undefined;

function eventTrigger(c: Checker, o: Obj, path: string, type: 'event'): TriggerOf<'event'> | undefined {
  c.only(o, path, ['type', 'event', 'where'], 'an event trigger');
  const event = c.need(o, 'event', path) ? c.str(o.event, `${path}.event`) : undefined;
  const where = has(o, 'where') ? c.filters(o.where, `${path}.where`) : undefined;
  return event === undefined ? undefined : { type, event, ...(where && { where }) };
}

function segmentTrigger<T extends 'segment_entered' | 'segment_exited'>(c: Checker, o: Obj, path: string, type: T) {
  c.only(o, path, ['type', 'segmentId'], `a ${type} trigger`);
  const segmentId = c.need(o, 'segmentId', path) ? c.str(o.segmentId, `${path}.segmentId`) : undefined;
  return segmentId === undefined ? undefined : ({ type, segmentId } as TriggerOf<T>);
}

function dateTrigger(c: Checker, o: Obj, path: string, type: 'date'): TriggerOf<'date'> | undefined {
  c.only(o, path, ['type', 'trait', 'kind', 'fromMonths', 'toMonths'], 'a date trigger');
  const trait = c.need(o, 'trait', path) ? c.str(o.trait, `${path}.trait`) : undefined;
  const kind = c.need(o, 'kind', path, ' (anniversary or month_age)') ? c.oneOf(o.kind, `${path}.kind`, ['anniversary', 'month_age'] as const) : undefined;
  if (kind === 'anniversary') {
    for (const k of ['fromMonths', 'toMonths']) if (has(o, k)) c.fail(`${path}.${k}`, 'is used only with kind "month_age"');
    return trait === undefined ? undefined : { type, trait, kind };
  }
  const fromMonths = has(o, 'fromMonths') ? c.int(o.fromMonths, `${path}.fromMonths`, 1, 1200) : 1;
  const toMonths = has(o, 'toMonths') ? c.int(o.toMonths, `${path}.toMonths`, 1, 1200) : 36;
  if (fromMonths !== undefined && toMonths !== undefined && toMonths < fromMonths)
    c.fail(`${path}.toMonths`, `must be at least fromMonths (${fromMonths}) (got ${toMonths})`);
  return trait === undefined || kind === undefined || fromMonths === undefined || toMonths === undefined
    ? undefined
    : { type, trait, kind, fromMonths, toMonths };
}

function manualTrigger(c: Checker, o: Obj, path: string, type: 'manual'): TriggerOf<'manual'> {
  c.only(o, path, ['type'], 'a manual trigger');
  return { type };
}

function scheduleTrigger(c: Checker, o: Obj, path: string, type: 'schedule'): TriggerOf<'schedule'> | undefined {
  c.only(o, path, ['type', 'every', 'at', 'weekdays', 'audience'], 'a schedule trigger');
  const every = c.need(o, 'every', path, ' (day or week)') ? c.oneOf(o.every, `${path}.every`, ['day', 'week'] as const) : undefined;
  const at = c.need(o, 'at', path, ' ("HH:MM" in the workspace time zone)') ? c.time(o.at, `${path}.at`) : undefined;
  let weekdays: number[] | undefined;
  if (every === 'week') {
    if (c.need(o, 'weekdays', path, ' for every "week" (1 = Monday ... 7 = Sunday)')) {
      if (!Array.isArray(o.weekdays) || o.weekdays.length < 1 || o.weekdays.length > 7)
        c.fail(`${path}.weekdays`, `must be an array of 1-7 weekdays (got ${got(o.weekdays)})`);
      else weekdays = o.weekdays.map((d, i) => c.int(d, `${path}.weekdays[${i}]`, 1, 7)).filter((d): d is number => d !== undefined);
    }
  } else if (has(o, 'weekdays')) c.fail(`${path}.weekdays`, 'is used only with every "week"');
  const audience = c.need(o, 'audience', path, ' ({ "segmentId" } or { "wecomGroups": {...} })') ? checkAudience(c, o.audience, `${path}.audience`) : undefined;
  if (!every || !at || !audience || (every === 'week' && !weekdays)) return undefined;
  return { type, every, at, ...(weekdays && { weekdays }), audience };
}

/** One validator per trigger type. */
const TRIGGER_VALIDATORS: { [T in TriggerType]: TriggerValidator<T> } = {
  event: eventTrigger,
  segment_entered: segmentTrigger,
  segment_exited: segmentTrigger,
  date: dateTrigger,
  manual: manualTrigger,
  schedule: scheduleTrigger,
};

/** Checks a definition's trigger. */
export function checkTrigger(c: Checker, v: unknown, path: string): Trigger | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  if (!c.need(o, 'type', path, ` (one of ${TRIGGER_TYPES.join(', ')})`)) return undefined;
  const type = c.oneOf(o.type, `${path}.type`, TRIGGER_TYPES);
  if (type === undefined) return undefined;
  // The table is keyed by type, so the validator found takes exactly this type.
  return (TRIGGER_VALIDATORS[type] as TriggerValidator<TriggerType>)(c, o, path, type);
}

function checkAudience(c: Checker, v: unknown, path: string): Audience | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  if (has(o, 'segmentId') === has(o, 'wecomGroups')) return c.fail(path, 'give exactly one of segmentId or wecomGroups');
  if (has(o, 'segmentId')) {
    c.only(o, path, ['segmentId'], 'a segment audience');
    const segmentId = c.str(o.segmentId, `${path}.segmentId`);
    return segmentId === undefined ? undefined : { segmentId };
  }
  c.only(o, path, ['wecomGroups'], 'a WeCom groups audience');
  const g = c.obj(o.wecomGroups, `${path}.wecomGroups`);
  if (!g) return undefined;
  c.only(g, `${path}.wecomGroups`, ['chatIds', 'nameContains'], 'a WeCom groups audience');
  const out: { chatIds?: string[]; nameContains?: string } = {};
  if (has(g, 'chatIds')) {
    if (!Array.isArray(g.chatIds) || g.chatIds.length < 1 || g.chatIds.length > 10_000)
      c.fail(`${path}.wecomGroups.chatIds`, `must be an array of 1-10000 chat ids (got ${got(g.chatIds)})`);
    else out.chatIds = g.chatIds.map((x, i) => c.str(x, `${path}.wecomGroups.chatIds[${i}]`)).filter((x): x is string => x !== undefined);
  }
  if (has(g, 'nameContains')) out.nameContains = c.str(g.nameContains, `${path}.wecomGroups.nameContains`);
  return { wecomGroups: out };
}

/** Checks the entry policy. */
export function checkEntry(c: Checker, v: unknown, path: string): EntryPolicy | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  c.only(o, path, ['reentry', 'maxEntries'], 'the entry policy');
  const reentry = c.need(o, 'reentry', path, ' (never, after_exit or always)')
    ? c.oneOf(o.reentry, `${path}.reentry`, ['never', 'after_exit', 'always'] as const)
    : undefined;
  const maxEntries = has(o, 'maxEntries') ? c.int(o.maxEntries, `${path}.maxEntries`, 1, 1_000_000) : undefined;
  if (reentry === 'never' && maxEntries !== undefined && maxEntries !== 1) c.fail(`${path}.maxEntries`, 'must be 1 (or absent) with reentry "never"');
  return reentry === undefined ? undefined : { reentry, ...(maxEntries !== undefined && { maxEntries }) };
}

/** Checks the goal. */
export function checkGoal(c: Checker, v: unknown, path: string): Goal | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  c.only(o, path, ['event', 'where', 'withinDays'], 'a goal');
  const event = c.need(o, 'event', path) ? c.str(o.event, `${path}.event`) : undefined;
  const where = has(o, 'where') ? c.filters(o.where, `${path}.where`) : undefined;
  const withinDays = c.need(o, 'withinDays', path) ? c.int(o.withinDays, `${path}.withinDays`, 1, DEFINITION_LIMITS.maxGoalDays) : undefined;
  return event === undefined || withinDays === undefined ? undefined : { event, ...(where && { where }), withinDays };
}
