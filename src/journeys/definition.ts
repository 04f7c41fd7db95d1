import { CHANNELS, type ChannelName } from '../messaging/index.js';
import { validateRule } from '../segments/rules.js';
import type { PropertyFilter, Rule } from '../segments/rule.types.js';

/**
 * The journey definition language: a trigger, an entry policy, an optional goal and a list of
 * steps joined by `next` ids. `validateDefinition` is the authority (every error with the JSON
 * path of the bad node); JOURNEY_JSON_SCHEMA (journey-schema.ts) publishes the shapes.
 * Semantics: docs/journeys.md.
 */

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

export const STEP_TYPES = ['wait', 'wait_for_event', 'branch', 'split', 'send', 'update_trait', 'tag', 'award', 'webhook', 'goal', 'exit'] as const;
export const TRIGGER_TYPES = ['event', 'segment_entered', 'segment_exited', 'date', 'manual', 'schedule'] as const;

/** Limits of a definition. */
export const DEFINITION_LIMITS = { maxSteps: 200, maxBranches: 20, maxVariants: 10, maxDurationDays: 3650, maxGoalDays: 365, maxErrors: 50 } as const;

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Obj, k: string) => Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;

function got(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  return String(v);
}

class Checker {
  readonly errors: DefinitionError[] = [];
  fail(path: string, message: string): undefined {
    if (this.errors.length < DEFINITION_LIMITS.maxErrors) this.errors.push({ path, message });
    return undefined;
  }
  obj(v: unknown, path: string): Obj | undefined {
    return isObj(v) ? v : this.fail(path, `must be an object (got ${got(v)})`);
  }
  only(o: Obj, path: string, allowed: readonly string[], what: string): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(`${path}.${k}`, `is not a field of ${what} (allowed: ${allowed.join(', ')})`);
  }
  str(v: unknown, path: string, max = 256): string | undefined {
    if (typeof v !== 'string' || v.length < 1 || v.length > max) return this.fail(path, `must be a string of 1-${max} characters (got ${got(v)})`);
    return v;
  }
  int(v: unknown, path: string, min: number, max: number): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return this.fail(path, `must be a whole number ${min}-${max} (got ${got(v)})`);
    return v;
  }
  oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T | undefined {
    if (typeof v !== 'string' || !values.includes(v as T)) return this.fail(path, `must be one of ${values.join(', ')} (got ${got(v)})`);
    return v as T;
  }
  need(o: Obj, key: string, path: string, why = ''): boolean {
    if (has(o, key)) return true;
    this.fail(`${path}.${key}`, `is required${why}`);
    return false;
  }
  time(v: unknown, path: string): string | undefined {
    if (typeof v !== 'string' || !TIME_RE.test(v)) return this.fail(path, `must be a local time "HH:MM", 00:00-23:59 (got ${got(v)})`);
    return v;
  }
  duration(v: unknown, path: string): Duration | undefined {
    const o = this.obj(v, path);
    if (!o) return undefined;
    this.only(o, path, ['days', 'hours', 'minutes', 'seconds'], 'a duration');
    const out: Duration = {};
    for (const k of ['days', 'hours', 'minutes', 'seconds'] as const) {
      if (!has(o, k)) continue;
      const n = this.int(o[k], `${path}.${k}`, 0, k === 'days' ? DEFINITION_LIMITS.maxDurationDays : 1_000_000);
      if (n !== undefined) out[k] = n;
    }
    if (Object.keys(out).length === 0 && Object.keys(o).length === 0) this.fail(path, 'needs at least one of days, hours, minutes, seconds');
    else if (durationMs(out) > DEFINITION_LIMITS.maxDurationDays * 86_400_000) this.fail(path, `must be at most ${DEFINITION_LIMITS.maxDurationDays} days`);
    return out;
  }
  /** Property filters, checked by the segment rule language's validator (same semantics). */
  filters(v: unknown, path: string): PropertyFilter[] | undefined {
    const res = validateRule({ type: 'event', event: 'x', where: v });
    if (res.ok) return res.rule.type === 'event' ? res.rule.where : undefined;
    for (const e of res.errors) this.fail(e.path.replace(/^rule\.where/, path), e.message);
    return undefined;
  }
  rule(v: unknown, path: string): Rule | undefined {
    const res = validateRule(v);
    if (res.ok) return res.rule;
    for (const e of res.errors) this.fail(e.path.replace(/^rule/, path), e.message);
    return undefined;
  }
}

/** Milliseconds in a duration. */
export function durationMs(d: Duration): number {
  return ((d.days ?? 0) * 24 * 3600 + (d.hours ?? 0) * 3600 + (d.minutes ?? 0) * 60 + (d.seconds ?? 0)) * 1000;
}

function checkTrigger(c: Checker, v: unknown, path: string): Trigger | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  if (!c.need(o, 'type', path, ` (one of ${TRIGGER_TYPES.join(', ')})`)) return undefined;
  const type = c.oneOf(o.type, `${path}.type`, TRIGGER_TYPES);
  switch (type) {
    case undefined:
      return undefined;
    case 'event': {
      c.only(o, path, ['type', 'event', 'where'], 'an event trigger');
      const event = c.need(o, 'event', path) ? c.str(o.event, `${path}.event`) : undefined;
      const where = has(o, 'where') ? c.filters(o.where, `${path}.where`) : undefined;
      return event === undefined ? undefined : { type, event, ...(where && { where }) };
    }
    case 'segment_entered':
    case 'segment_exited': {
      c.only(o, path, ['type', 'segmentId'], `a ${type} trigger`);
      const segmentId = c.need(o, 'segmentId', path) ? c.str(o.segmentId, `${path}.segmentId`) : undefined;
      return segmentId === undefined ? undefined : { type, segmentId };
    }
    case 'date': {
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
    case 'manual':
      c.only(o, path, ['type'], 'a manual trigger');
      return { type };
    case 'schedule': {
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
      const audience = c.need(o, 'audience', path, ' ({ "segmentId" } or { "wecomGroups": {...} })')
        ? checkAudience(c, o.audience, `${path}.audience`)
        : undefined;
      if (!every || !at || !audience || (every === 'week' && !weekdays)) return undefined;
      return { type, every, at, ...(weekdays && { weekdays }), audience };
    }
  }
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

function checkEntry(c: Checker, v: unknown, path: string): EntryPolicy | undefined {
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

function checkGoal(c: Checker, v: unknown, path: string): Goal | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  c.only(o, path, ['event', 'where', 'withinDays'], 'a goal');
  const event = c.need(o, 'event', path) ? c.str(o.event, `${path}.event`) : undefined;
  const where = has(o, 'where') ? c.filters(o.where, `${path}.where`) : undefined;
  const withinDays = c.need(o, 'withinDays', path) ? c.int(o.withinDays, `${path}.withinDays`, 1, DEFINITION_LIMITS.maxGoalDays) : undefined;
  return event === undefined || withinDays === undefined ? undefined : { event, ...(where && { where }), withinDays };
}

const NEXT = ['next'];
const STEP_FIELDS: Record<(typeof STEP_TYPES)[number], string[]> = {
  wait: ['duration', 'untilTime', 'untilDate', ...NEXT],
  wait_for_event: ['event', 'where', 'timeout', 'next', 'timeoutNext'],
  branch: ['branches', 'defaultNext'],
  split: ['salt', 'holdoutPercent', 'variants'],
  send: ['channel', 'templateId', 'content', 'purpose', 'data', 'recipient', ...NEXT],
  update_trait: ['set', 'unset', ...NEXT],
  tag: ['add', 'remove', ...NEXT],
  award: ['points', 'couponTemplateId', 'reason', ...NEXT],
  webhook: ['body', ...NEXT],
  goal: ['event', 'where', 'withinDays', ...NEXT],
  exit: [],
};

function checkTags(c: Checker, v: unknown, path: string): { group?: string; name: string }[] | undefined {
  if (!Array.isArray(v) || v.length < 1 || v.length > 50) return c.fail(path, `must be an array of 1-50 tags { "name", "group"? } (got ${got(v)})`);
  const out: { group?: string; name: string }[] = [];
  v.forEach((t, i) => {
    const o = c.obj(t, `${path}[${i}]`);
    if (!o) return;
    c.only(o, `${path}[${i}]`, ['group', 'name'], 'a tag');
    const name = c.need(o, 'name', `${path}[${i}]`) ? c.str(o.name, `${path}[${i}].name`, 64) : undefined;
    const group = has(o, 'group') ? c.str(o.group, `${path}[${i}].group`, 64) : undefined;
    if (name !== undefined) out.push({ name, ...(group !== undefined && { group }) });
  });
  return out;
}

function checkStep(c: Checker, v: unknown, path: string): Step | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  const id = c.need(o, 'id', path)
    ? typeof o.id === 'string' && ID_RE.test(o.id)
      ? o.id
      : c.fail(`${path}.id`, `must be 1-64 letters, digits, _ or - (got ${got(o.id)})`)
    : undefined;
  if (!c.need(o, 'type', path, ` (one of ${STEP_TYPES.join(', ')})`)) return undefined;
  const type = c.oneOf(o.type, `${path}.type`, STEP_TYPES);
  if (!type || id === undefined) return undefined;
  c.only(o, path, ['id', 'name', 'type', ...STEP_FIELDS[type]], `a ${type} step`);
  const name = has(o, 'name') ? c.str(o.name, `${path}.name`) : undefined;
  const base = { id, ...(name !== undefined && { name }) };
  const ref = (k: string) => (has(o, k) ? c.str(o[k], `${path}.${k}`, 64) : undefined);
  const next = ref('next');
  const n = next !== undefined ? { next } : {};
  switch (type) {
    case 'wait': {
      const modes = ['duration', 'untilTime', 'untilDate'].filter((k) => has(o, k));
      if (modes.length !== 1)
        return c.fail(path, `a wait step needs exactly one of duration, untilTime, untilDate (got ${modes.length ? modes.join(', ') : 'none'})`);
      if (has(o, 'duration')) {
        const duration = c.duration(o.duration, `${path}.duration`);
        return duration && { ...base, type, duration, ...n };
      }
      if (has(o, 'untilTime')) {
        const untilTime = c.time(o.untilTime, `${path}.untilTime`);
        return untilTime === undefined ? undefined : { ...base, type, untilTime, ...n };
      }
      const u = c.obj(o.untilDate, `${path}.untilDate`);
      if (!u) return undefined;
      c.only(u, `${path}.untilDate`, ['trait', 'offsetDays', 'at', 'annual'], 'untilDate');
      const trait = c.need(u, 'trait', `${path}.untilDate`) ? c.str(u.trait, `${path}.untilDate.trait`) : undefined;
      const offsetDays = has(u, 'offsetDays') ? c.int(u.offsetDays, `${path}.untilDate.offsetDays`, -366, 366) : 0;
      const at = has(u, 'at') ? c.time(u.at, `${path}.untilDate.at`) : '00:00';
      if (has(u, 'annual') && typeof u.annual !== 'boolean') c.fail(`${path}.untilDate.annual`, `must be true or false (got ${got(u.annual)})`);
      if (trait === undefined || offsetDays === undefined || at === undefined) return undefined;
      return { ...base, type, untilDate: { trait, offsetDays, at, annual: u.annual === true }, ...n };
    }
    case 'wait_for_event': {
      const event = c.need(o, 'event', path) ? c.str(o.event, `${path}.event`) : undefined;
      const where = has(o, 'where') ? c.filters(o.where, `${path}.where`) : undefined;
      const timeout = c.need(o, 'timeout', path, ' (a duration: how long to wait before the timeoutNext exit)')
        ? c.duration(o.timeout, `${path}.timeout`)
        : undefined;
      const timeoutNext = ref('timeoutNext');
      if (event === undefined || !timeout) return undefined;
      return { ...base, type, event, ...(where && { where }), timeout, ...n, ...(timeoutNext !== undefined && { timeoutNext }) };
    }
    case 'branch': {
      if (!c.need(o, 'branches', path)) return undefined;
      if (!Array.isArray(o.branches) || o.branches.length < 1 || o.branches.length > DEFINITION_LIMITS.maxBranches) {
        return c.fail(`${path}.branches`, `must be an array of 1-${DEFINITION_LIMITS.maxBranches} branches { "rule", "next"? } (got ${got(o.branches)})`);
      }
      const branches: { name?: string; rule: Rule; next?: string }[] = [];
      o.branches.forEach((b, i) => {
        const bp = `${path}.branches[${i}]`;
        const bo = c.obj(b, bp);
        if (!bo) return;
        c.only(bo, bp, ['name', 'rule', 'next'], 'a branch');
        const rule = c.need(bo, 'rule', bp, ' (a segment rule)') ? c.rule(bo.rule, `${bp}.rule`) : undefined;
        const bnext = has(bo, 'next') ? c.str(bo.next, `${bp}.next`, 64) : undefined;
        const bname = has(bo, 'name') ? c.str(bo.name, `${bp}.name`) : undefined;
        if (rule) branches.push({ rule, ...(bname !== undefined && { name: bname }), ...(bnext !== undefined && { next: bnext }) });
      });
      const defaultNext = ref('defaultNext');
      return branches.length === o.branches.length ? { ...base, type, branches, ...(defaultNext !== undefined && { defaultNext }) } : undefined;
    }
    case 'split': {
      const salt = has(o, 'salt') ? c.str(o.salt, `${path}.salt`) : undefined;
      const holdoutPercent = has(o, 'holdoutPercent') ? c.int(o.holdoutPercent, `${path}.holdoutPercent`, 0, 99) : 0;
      if (!c.need(o, 'variants', path)) return undefined;
      if (!Array.isArray(o.variants) || o.variants.length < 1 || o.variants.length > DEFINITION_LIMITS.maxVariants) {
        return c.fail(
          `${path}.variants`,
          `must be an array of 1-${DEFINITION_LIMITS.maxVariants} variants { "key", "weight", "next"? } (got ${got(o.variants)})`,
        );
      }
      const variants: { key: string; weight: number; next?: string }[] = [];
      const keys = new Set<string>();
      o.variants.forEach((x, i) => {
        const vp = `${path}.variants[${i}]`;
        const vo = c.obj(x, vp);
        if (!vo) return;
        c.only(vo, vp, ['key', 'weight', 'next'], 'a variant');
        const key = c.need(vo, 'key', vp)
          ? typeof vo.key === 'string' && ID_RE.test(vo.key) && vo.key !== 'holdout'
            ? vo.key
            : c.fail(`${vp}.key`, `must be 1-64 letters, digits, _ or -, not "holdout" (got ${got(vo.key)})`)
          : undefined;
        if (key !== undefined && keys.has(key)) c.fail(`${vp}.key`, `repeats variant key "${key}"`);
        if (key !== undefined) keys.add(key);
        const weight = c.need(vo, 'weight', vp) ? c.int(vo.weight, `${vp}.weight`, 1, 10_000) : undefined;
        const vnext = has(vo, 'next') ? c.str(vo.next, `${vp}.next`, 64) : undefined;
        if (key !== undefined && weight !== undefined) variants.push({ key, weight, ...(vnext !== undefined && { next: vnext }) });
      });
      if (holdoutPercent === undefined || variants.length !== o.variants.length) return undefined;
      return { ...base, type, ...(salt !== undefined && { salt }), holdoutPercent, variants };
    }
    case 'send': {
      const channel = c.need(o, 'channel', path) ? c.oneOf(o.channel, `${path}.channel`, CHANNELS) : undefined;
      if (has(o, 'templateId') === has(o, 'content')) c.fail(path, 'a send step needs exactly one of templateId or content');
      const templateId = has(o, 'templateId') ? c.str(o.templateId, `${path}.templateId`) : undefined;
      const content = has(o, 'content') ? c.obj(o.content, `${path}.content`) : undefined;
      const purpose = has(o, 'purpose') ? c.oneOf(o.purpose, `${path}.purpose`, ['marketing', 'service'] as const) : undefined;
      const data = has(o, 'data') ? c.obj(o.data, `${path}.data`) : undefined;
      let recipient: { chatId?: string; sender?: string } | undefined;
      if (has(o, 'recipient')) {
        const r = c.obj(o.recipient, `${path}.recipient`);
        if (r) {
          c.only(r, `${path}.recipient`, ['chatId', 'sender'], 'a recipient');
          recipient = {};
          if (has(r, 'chatId')) recipient.chatId = c.str(r.chatId, `${path}.recipient.chatId`);
          if (has(r, 'sender')) recipient.sender = c.str(r.sender, `${path}.recipient.sender`);
        }
      }
      if (!channel) return undefined;
      return {
        ...base,
        type,
        channel,
        ...(templateId !== undefined && { templateId }),
        ...(content && { content }),
        ...(purpose && { purpose }),
        ...(data && { data }),
        ...(recipient && { recipient }),
        ...n,
      };
    }
    case 'update_trait': {
      const set = has(o, 'set') ? c.obj(o.set, `${path}.set`) : undefined;
      let unset: string[] | undefined;
      if (has(o, 'unset')) {
        if (!Array.isArray(o.unset)) c.fail(`${path}.unset`, `must be an array of trait names (got ${got(o.unset)})`);
        else unset = o.unset.map((k, i) => c.str(k, `${path}.unset[${i}]`, 200)).filter((k): k is string => k !== undefined);
      }
      if (!set && !unset?.length) return c.fail(path, 'an update_trait step needs "set" and/or "unset"');
      for (const k of Object.keys(set ?? {})) if (unset?.includes(k)) c.fail(`${path}.unset`, `trait "${k}" is also in set`);
      return { ...base, type, ...(set && { set }), ...(unset && { unset }), ...n };
    }
    case 'tag': {
      const add = has(o, 'add') ? checkTags(c, o.add, `${path}.add`) : undefined;
      const remove = has(o, 'remove') ? checkTags(c, o.remove, `${path}.remove`) : undefined;
      if (!has(o, 'add') && !has(o, 'remove')) return c.fail(path, 'a tag step needs "add" and/or "remove"');
      return { ...base, type, ...(add && { add }), ...(remove && { remove }), ...n };
    }
    case 'award': {
      const points = has(o, 'points') ? c.int(o.points, `${path}.points`, 1, 100_000_000) : undefined;
      const couponTemplateId = has(o, 'couponTemplateId') ? c.str(o.couponTemplateId, `${path}.couponTemplateId`) : undefined;
      const reason = has(o, 'reason') ? c.str(o.reason, `${path}.reason`) : undefined;
      if (!has(o, 'points') && !has(o, 'couponTemplateId')) return c.fail(path, 'an award step needs "points" and/or "couponTemplateId"');
      return {
        ...base,
        type,
        ...(points !== undefined && { points }),
        ...(couponTemplateId !== undefined && { couponTemplateId }),
        ...(reason !== undefined && { reason }),
        ...n,
      };
    }
    case 'webhook': {
      const body = c.need(o, 'body', path, ' (a JSON object, Liquid allowed in strings)') ? c.obj(o.body, `${path}.body`) : undefined;
      return body && { ...base, type, body, ...n };
    }
    case 'goal': {
      const event = c.need(o, 'event', path) ? c.str(o.event, `${path}.event`) : undefined;
      const where = has(o, 'where') ? c.filters(o.where, `${path}.where`) : undefined;
      const withinDays = c.need(o, 'withinDays', path) ? c.int(o.withinDays, `${path}.withinDays`, 1, DEFINITION_LIMITS.maxGoalDays) : undefined;
      if (event === undefined || withinDays === undefined) return undefined;
      return { ...base, type, event, ...(where && { where }), withinDays, ...n };
    }
    case 'exit':
      return { ...base, type };
  }
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

/** Steps that stop and wait for time or an event (a cycle must pass through one). */
const PAUSING = new Set(['wait', 'wait_for_event', 'goal']);

function checkGraph(c: Checker, def: Definition): void {
  const index = new Map<string, number>();
  def.steps.forEach((s, i) => {
    if (index.has(s.id)) c.fail(`definition.steps[${i}].id`, `repeats step id "${s.id}" (first at steps[${index.get(s.id)}])`);
    else index.set(s.id, i);
  });
  if (def.start !== undefined && !index.has(def.start))
    c.fail('definition.start', `names no step (got "${def.start}"; steps: ${[...index.keys()].join(', ')})`);
  def.steps.forEach((s, i) => {
    for (const e of exitsOf(s)) {
      if (e.to !== undefined && !index.has(e.to)) c.fail(`definition.steps[${i}].${e.key}`, `names no step (got "${e.to}")`);
    }
  });
  if (c.errors.length) return;
  // Reachability and instant cycles (a loop with no wait would spin forever in one tick).
  const start = def.start ?? def.steps[0]!.id;
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const e of exitsOf(def.steps[index.get(id)!]!)) if (e.to) stack.push(e.to);
  }
  def.steps.forEach((s, i) => {
    if (!seen.has(s.id)) c.fail(`definition.steps[${i}]`, `step "${s.id}" cannot be reached from the start step "${start}"`);
  });
  const state = new Map<string, 1 | 2>();
  const visit = (id: string, trail: string[]): void => {
    const s = def.steps[index.get(id)!]!;
    if (PAUSING.has(s.type)) return;
    if (state.get(id) === 2) return;
    if (state.get(id) === 1) {
      c.fail(`definition.steps[${index.get(id)}]`, `steps ${[...trail.slice(trail.indexOf(id)), id].join(' -> ')} form a loop with no wait step`);
      return;
    }
    state.set(id, 1);
    for (const e of exitsOf(s)) if (e.to) visit(e.to, [...trail, id]);
    state.set(id, 2);
  };
  for (const s of def.steps) visit(s.id, []);
}

/** Group journeys (WeCom groups as subjects) can only wait, split, send to the group and exit. */
const GROUP_STEPS = new Set(['wait', 'split', 'send', 'exit']);

/**
 * Validates an untrusted definition. On success returns a fresh copy holding only the known
 * fields; on failure every error found (up to 50), each with the JSON path of the bad node.
 */
export function validateDefinition(input: unknown): { ok: true; definition: Definition } | { ok: false; errors: DefinitionError[] } {
  const c = new Checker();
  const o = c.obj(input, 'definition');
  if (!o) return { ok: false, errors: c.errors };
  c.only(o, 'definition', ['trigger', 'entry', 'goal', 'start', 'steps'], 'a journey definition');
  const trigger = c.need(o, 'trigger', 'definition') ? checkTrigger(c, o.trigger, 'definition.trigger') : undefined;
  const entry = has(o, 'entry') ? checkEntry(c, o.entry, 'definition.entry') : { reentry: 'after_exit' as const };
  const goal = has(o, 'goal') ? checkGoal(c, o.goal, 'definition.goal') : undefined;
  const start = has(o, 'start') ? c.str(o.start, 'definition.start', 64) : undefined;
  const steps: Step[] = [];
  if (c.need(o, 'steps', 'definition')) {
    if (!Array.isArray(o.steps) || o.steps.length < 1 || o.steps.length > DEFINITION_LIMITS.maxSteps) {
      c.fail('definition.steps', `must be an array of 1-${DEFINITION_LIMITS.maxSteps} steps (got ${got(o.steps)})`);
    } else {
      o.steps.forEach((s, i) => {
        const step = checkStep(c, s, `definition.steps[${i}]`);
        if (step) steps.push(step);
      });
    }
  }
  if (c.errors.length || !trigger || !entry) return { ok: false, errors: c.errors.length ? c.errors : [{ path: 'definition', message: 'is invalid' }] };
  const def: Definition = { trigger, entry, ...(goal && { goal }), ...(start !== undefined && { start }), steps };
  checkGraph(c, def);
  if (isGroupJourney(def)) {
    if (goal) c.fail('definition.goal', 'a journey over WeCom groups has no profile to convert; remove the goal');
    def.steps.forEach((s, i) => {
      if (!GROUP_STEPS.has(s.type))
        c.fail(`definition.steps[${i}].type`, `a journey over WeCom groups can only use ${[...GROUP_STEPS].join(', ')} steps (got ${s.type})`);
      else if (s.type === 'send' && s.channel !== 'wecom_group')
        c.fail(`definition.steps[${i}].channel`, `a journey over WeCom groups sends on wecom_group (got ${s.channel})`);
      else if (s.type === 'wait' && s.untilDate) c.fail(`definition.steps[${i}].untilDate`, 'a journey over WeCom groups has no profile traits to wait for');
    });
  } else {
    def.steps.forEach((s, i) => {
      if (s.type === 'send' && s.channel === 'wecom_group' && !s.recipient?.chatId)
        c.fail(`definition.steps[${i}].recipient.chatId`, 'is required to send to a WeCom group from a profile journey');
    });
  }
  return c.errors.length ? { ok: false, errors: c.errors } : { ok: true, definition: def };
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
