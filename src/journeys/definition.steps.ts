/** Validators of a definition's steps: one per step type, each given the step's common parts. */
import { CHANNELS } from '../messaging/index.js';
import type { Rule } from '../segments/index.js';
import { Checker, got, has, ID_RE, type Obj } from './definition.checker.js';
import { DEFINITION_LIMITS, type Step, type StepType, STEP_TYPES } from './definition.types.js';

const NEXT = ['next'];
const STEP_FIELDS: Record<StepType, string[]> = {
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

/** What every step has, checked before its type's validator runs. */
interface StepParts {
  path: string;
  /** `id` and `name`. */
  base: { id: string; name?: string };
  /** `{ next }` when present. */
  n: { next?: string };
  /** Checks a step-id reference field (`next`, `timeoutNext`, `defaultNext`). */
  ref(key: string): string | undefined;
}

/** Checks the fields of one step type; returns the clean step or undefined. */
type StepValidator<T extends StepType> = (c: Checker, o: Obj, p: StepParts, type: T) => Step | undefined;

function waitStep(c: Checker, o: Obj, { path, base, n }: StepParts, type: 'wait'): Step | undefined {
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

function waitForEventStep(c: Checker, o: Obj, { path, base, n, ref }: StepParts, type: 'wait_for_event'): Step | undefined {
  const event = c.need(o, 'event', path) ? c.str(o.event, `${path}.event`) : undefined;
  const where = has(o, 'where') ? c.filters(o.where, `${path}.where`) : undefined;
  const timeout = c.need(o, 'timeout', path, ' (a duration: how long to wait before the timeoutNext exit)')
    ? c.duration(o.timeout, `${path}.timeout`)
    : undefined;
  const timeoutNext = ref('timeoutNext');
  if (event === undefined || !timeout) return undefined;
  return { ...base, type, event, ...(where && { where }), timeout, ...n, ...(timeoutNext !== undefined && { timeoutNext }) };
}

function branchStep(c: Checker, o: Obj, { path, base, ref }: StepParts, type: 'branch'): Step | undefined {
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

function splitVariant(c: Checker, x: unknown, vp: string, keys: Set<string>): { key: string; weight: number; next?: string } | undefined {
  const vo = c.obj(x, vp);
  if (!vo) return undefined;
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
  return key !== undefined && weight !== undefined ? { key, weight, ...(vnext !== undefined && { next: vnext }) } : undefined;
}

function splitStep(c: Checker, o: Obj, { path, base }: StepParts, type: 'split'): Step | undefined {
  const salt = has(o, 'salt') ? c.str(o.salt, `${path}.salt`) : undefined;
  const holdoutPercent = has(o, 'holdoutPercent') ? c.int(o.holdoutPercent, `${path}.holdoutPercent`, 0, 99) : 0;
  if (!c.need(o, 'variants', path)) return undefined;
  if (!Array.isArray(o.variants) || o.variants.length < 1 || o.variants.length > DEFINITION_LIMITS.maxVariants) {
    return c.fail(`${path}.variants`, `must be an array of 1-${DEFINITION_LIMITS.maxVariants} variants { "key", "weight", "next"? } (got ${got(o.variants)})`);
  }
  const variants: { key: string; weight: number; next?: string }[] = [];
  const keys = new Set<string>();
  o.variants.forEach((x, i) => {
    const v = splitVariant(c, x, `${path}.variants[${i}]`, keys);
    if (v) variants.push(v);
  });
  if (holdoutPercent === undefined || variants.length !== o.variants.length) return undefined;
  return { ...base, type, ...(salt !== undefined && { salt }), holdoutPercent, variants };
}

function sendRecipient(c: Checker, o: Obj, path: string): { chatId?: string; sender?: string } | undefined {
  const r = c.obj(o.recipient, `${path}.recipient`);
  if (!r) return undefined;
  c.only(r, `${path}.recipient`, ['chatId', 'sender'], 'a recipient');
  const recipient: { chatId?: string; sender?: string } = {};
  if (has(r, 'chatId')) recipient.chatId = c.str(r.chatId, `${path}.recipient.chatId`);
  if (has(r, 'sender')) recipient.sender = c.str(r.sender, `${path}.recipient.sender`);
  return recipient;
}

function sendStep(c: Checker, o: Obj, { path, base, n }: StepParts, type: 'send'): Step | undefined {
  const channel = c.need(o, 'channel', path) ? c.oneOf(o.channel, `${path}.channel`, CHANNELS) : undefined;
  if (has(o, 'templateId') === has(o, 'content')) c.fail(path, 'a send step needs exactly one of templateId or content');
  const templateId = has(o, 'templateId') ? c.str(o.templateId, `${path}.templateId`) : undefined;
  const content = has(o, 'content') ? c.obj(o.content, `${path}.content`) : undefined;
  const purpose = has(o, 'purpose') ? c.oneOf(o.purpose, `${path}.purpose`, ['marketing', 'service'] as const) : undefined;
  const data = has(o, 'data') ? c.obj(o.data, `${path}.data`) : undefined;
  const recipient = has(o, 'recipient') ? sendRecipient(c, o, path) : undefined;
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

function updateTraitStep(c: Checker, o: Obj, { path, base, n }: StepParts, type: 'update_trait'): Step | undefined {
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

function tagStep(c: Checker, o: Obj, { path, base, n }: StepParts, type: 'tag'): Step | undefined {
  const add = has(o, 'add') ? checkTags(c, o.add, `${path}.add`) : undefined;
  const remove = has(o, 'remove') ? checkTags(c, o.remove, `${path}.remove`) : undefined;
  if (!has(o, 'add') && !has(o, 'remove')) return c.fail(path, 'a tag step needs "add" and/or "remove"');
  return { ...base, type, ...(add && { add }), ...(remove && { remove }), ...n };
}

function awardStep(c: Checker, o: Obj, { path, base, n }: StepParts, type: 'award'): Step | undefined {
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

function webhookStep(c: Checker, o: Obj, { path, base, n }: StepParts, type: 'webhook'): Step | undefined {
  const body = c.need(o, 'body', path, ' (a JSON object, Liquid allowed in strings)') ? c.obj(o.body, `${path}.body`) : undefined;
  return body && { ...base, type, body, ...n };
}

function goalStep(c: Checker, o: Obj, { path, base, n }: StepParts, type: 'goal'): Step | undefined {
  const event = c.need(o, 'event', path) ? c.str(o.event, `${path}.event`) : undefined;
  const where = has(o, 'where') ? c.filters(o.where, `${path}.where`) : undefined;
  const withinDays = c.need(o, 'withinDays', path) ? c.int(o.withinDays, `${path}.withinDays`, 1, DEFINITION_LIMITS.maxGoalDays) : undefined;
  if (event === undefined || withinDays === undefined) return undefined;
  return { ...base, type, event, ...(where && { where }), withinDays, ...n };
}

const exitStep = (_c: Checker, _o: Obj, { base }: StepParts, type: 'exit'): Step => ({ ...base, type });

/** One validator per step type. */
const STEP_VALIDATORS: { [T in StepType]: StepValidator<T> } = {
  wait: waitStep,
  wait_for_event: waitForEventStep,
  branch: branchStep,
  split: splitStep,
  send: sendStep,
  update_trait: updateTraitStep,
  tag: tagStep,
  award: awardStep,
  webhook: webhookStep,
  goal: goalStep,
  exit: exitStep,
};

/** Checks one step: its id, type and name, then its type's fields. */
export function checkStep(c: Checker, v: unknown, path: string): Step | undefined {
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
  const ref = (k: string) => (has(o, k) ? c.str(o[k], `${path}.${k}`, 64) : undefined);
  const next = ref('next');
  const parts: StepParts = { path, base: { id, ...(name !== undefined && { name }) }, n: next !== undefined ? { next } : {}, ref };
  // The table is keyed by type, so the validator found takes exactly this type.
  return (STEP_VALIDATORS[type] as StepValidator<StepType>)(c, o, parts, type);
}
