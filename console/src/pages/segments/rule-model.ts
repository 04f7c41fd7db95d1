/**
 * The visual rule builder's model and its mapping to the rule language and back: a tree of groups
 * (`and` / `or`), negations (`not`) and conditions (every other node type, edited as form rows).
 * `toModel` ∘ `toRule` gives back the very JSON it was given for every rule
 * (test/segment-rule-builder.test.ts checks it for every condition type), so switching between the
 * builder and the JSON view loses nothing. The server's validator is the authority on a rule; its
 * problems' JSON paths (`rule.rules[1].key`) are mapped back onto the rows here. No React here.
 */
import type { CommunityRole, CompareOp, DateOp, LifecycleStage, ProfileField, PropertyFilter, RfmCell, Rule } from '../../../../src/segments/rule.types.ts';

/** A rule node that tests one thing (everything but and, or, not). */
export type LeafRule = Exclude<Rule, { type: 'and' | 'or' | 'not' }>;
/** A condition's type. */
export type LeafType = LeafRule['type'];
/** A condition of one type. */
export type LeafOf<T extends LeafType> = Extract<LeafRule, { type: T }>;

/** The condition types, in the order the builder offers them (the same set as the server's RULE_TYPES less and/or/not). */
export const LEAF_TYPES = [
  'trait',
  'profile',
  'tag',
  'event',
  'last_performed',
  'never_performed',
  'rfm',
  'lifecycle',
  'community_role',
  'consent',
  'segment',
  'bucket',
] as const satisfies readonly LeafType[];

/** Comparison operators (traits, event properties). */
export const COMPARE_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'contains', 'exists', 'not_exists'] as const satisfies readonly CompareOp[];
/** Date operators (traits; profile time fields take all but birthday_in_days). */
export const DATE_OPS = [
  'before',
  'after',
  'within_last_days',
  'within_next_days',
  'more_than_days_ago',
  'birthday_in_days',
] as const satisfies readonly DateOp[];
/** The profile fields, numbers first. */
export const PROFILE_FIELDS = [
  'order_count',
  'total_spent_fen',
  'first_purchase_at',
  'last_purchase_at',
  'first_seen_at',
  'last_seen_at',
] as const satisfies readonly ProfileField[];
/** The numeric profile fields (the others are instants). */
export const NUMERIC_FIELDS: readonly ProfileField[] = ['order_count', 'total_spent_fen'];
/** Operators of the numeric profile fields. */
export const NUMERIC_FIELD_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'exists', 'not_exists'] as const satisfies readonly CompareOp[];
/** Operators of the time profile fields. */
export const TIME_FIELD_OPS = [
  'exists',
  'not_exists',
  'before',
  'after',
  'within_last_days',
  'within_next_days',
  'more_than_days_ago',
] as const satisfies readonly (CompareOp | DateOp)[];
/** RFM cells, lifecycle stages and community roles (docs/models.md). */
export const RFM_CELLS = [
  'important_value',
  'important_develop',
  'important_retain',
  'important_winback',
  'general_value',
  'general_develop',
  'general_retain',
  'general_winback',
] as const satisfies readonly RfmCell[];
export const LIFECYCLE_STAGES = ['prospect', 'new', 'active', 'loyal', 'silent', 'churned'] as const satisfies readonly LifecycleStage[];
export const COMMUNITY_ROLES = ['koc', 'active', 'lurker'] as const satisfies readonly CommunityRole[];
/** Event count operators. */
export const COUNT_OPS = ['at_least', 'at_most', 'exactly'] as const;
/** Consent states. */
export const CONSENT_STATES = ['granted', 'denied', 'unknown'] as const;

/** A node of the builder: a group, a negation of one node, or a condition. */
export type BuilderNode =
  | { kind: 'group'; key: string; op: 'and' | 'or'; children: BuilderNode[]; implicit?: boolean }
  | { kind: 'not'; key: string; child: BuilderNode }
  | { kind: 'condition'; key: string; rule: LeafRule };

let seq = 0;
/** A fresh node key (React's key and the handle of edits; not part of the rule). */
export const nodeKey = (): string => `n${++seq}`;

/**
 * The builder tree of a rule. The root is always a group: a rule that is not an and/or at its top
 * gets an implicit group around it, which `toRule` leaves out again while it holds one node.
 */
export function toModel(rule: Rule): BuilderNode {
  const node = nodeOf(rule);
  return node.kind === 'group' ? node : { kind: 'group', key: nodeKey(), op: 'and', children: [node], implicit: true };
}

function nodeOf(rule: Rule): BuilderNode {
  if (rule.type === 'and' || rule.type === 'or') return { kind: 'group', key: nodeKey(), op: rule.type, children: rule.rules.map(nodeOf) };
  if (rule.type === 'not') return { kind: 'not', key: nodeKey(), child: nodeOf(rule.rule) };
  return { kind: 'condition', key: nodeKey(), rule: structuredClone(rule) };
}

/** The rule of a builder tree (an implicit root group of one node is that node). */
export function toRule(node: BuilderNode): Rule {
  if (node.kind === 'group') {
    if (node.implicit && node.children.length === 1) return toRule(node.children[0]!);
    return { type: node.op, rules: node.children.map(toRule) };
  }
  if (node.kind === 'not') return { type: 'not', rule: toRule(node.child) };
  return structuredClone(node.rule);
}

/** A new condition of a type, with defaults a form row starts from. */
export function newCondition(type: LeafType): LeafRule {
  const make: { [T in LeafType]: () => LeafOf<T> } = {
    trait: () => ({ type: 'trait', key: '', op: 'eq', value: '' }),
    profile: () => ({ type: 'profile', field: 'order_count', op: 'gte', value: 1 }),
    tag: () => ({ type: 'tag', tags: [], match: 'any' }),
    event: () => ({ type: 'event', event: '', count: { op: 'at_least', value: 1 }, window: { lastDays: 30 } }),
    last_performed: () => ({ type: 'last_performed', event: '', moreThanDays: 30 }),
    never_performed: () => ({ type: 'never_performed', event: '' }),
    rfm: () => ({ type: 'rfm', cells: [] }),
    lifecycle: () => ({ type: 'lifecycle', stages: [] }),
    community_role: () => ({ type: 'community_role', roles: [] }),
    consent: () => ({ type: 'consent', key: '', state: 'granted' }),
    segment: () => ({ type: 'segment', segmentId: '' }),
    bucket: () => ({ type: 'bucket', from: 0, to: 10 }),
  };
  return make[type]();
}

/** What an operator's argument is: none, a scalar, a list, a date (YYYY-MM-DD), or a number of days. */
export type ArgumentKind = 'none' | 'scalar' | 'list' | 'date' | 'days';

/** The argument an operator takes. */
export function argumentOf(op: CompareOp | DateOp): ArgumentKind {
  if (op === 'exists' || op === 'not_exists') return 'none';
  if (op === 'in' || op === 'not_in') return 'list';
  if (op === 'before' || op === 'after') return 'date';
  if (op === 'within_last_days' || op === 'within_next_days' || op === 'more_than_days_ago' || op === 'birthday_in_days') return 'days';
  return 'scalar';
}

type Comparison = { op: CompareOp | DateOp; value?: PropertyFilter['value']; days?: number };

/** A comparison (trait, profile field, property filter) with another operator: the argument kept when it still fits, else a default. */
export function withOp<C extends Comparison>(c: C, op: C['op']): C {
  const { value, days, ...rest } = c;
  const kind = argumentOf(op);
  const was = argumentOf(c.op);
  const next = { ...rest, op } as C;
  if (kind === 'scalar') next.value = was === 'scalar' && value !== undefined ? value : was === 'list' && Array.isArray(value) && value.length ? value[0] : '';
  if (kind === 'list') next.value = Array.isArray(value) ? value : value !== undefined && was === 'scalar' && value !== '' ? [value as string] : [];
  if (kind === 'date') next.value = was === 'date' && typeof value === 'string' ? value : '';
  if (kind === 'days') next.days = days ?? 30;
  return next;
}

/** Applies `fn` to the node with `key` (the tree is copied along the path; other nodes are shared). */
export function updateNode(root: BuilderNode, key: string, fn: (n: BuilderNode) => BuilderNode): BuilderNode {
  if (root.key === key) return fn(root);
  if (root.kind === 'group') {
    const children = root.children.map((c) => updateNode(c, key, fn));
    return children.some((c, i) => c !== root.children[i]) ? { ...root, children } : root;
  }
  if (root.kind === 'not') {
    const child = updateNode(root.child, key, fn);
    return child === root.child ? root : { ...root, child };
  }
  return root;
}

/** Removes the node with `key` from its group. */
export function removeNode(root: BuilderNode, key: string): BuilderNode {
  if (root.kind === 'group') {
    const children = root.children.filter((c) => c.key !== key).map((c) => removeNode(c, key));
    return { ...root, children };
  }
  if (root.kind === 'not') return { ...root, child: removeNode(root.child, key) };
  return root;
}

/** A node's negations (how many `not`s wrap it) and the node inside them. */
export function unwrapNots(node: BuilderNode): { depth: number; inner: BuilderNode } {
  let depth = 0;
  let inner = node;
  while (inner.kind === 'not') {
    depth++;
    inner = inner.child;
  }
  return { depth, inner };
}

/** `inner` wrapped in `depth` negations (the outermost keeps `key`, so the row keeps its place). */
export function withNots(inner: BuilderNode, depth: number, key: string): BuilderNode {
  let node = inner;
  for (let i = 0; i < depth; i++) node = { kind: 'not', key: i === depth - 1 ? key : nodeKey(), child: node };
  return node;
}

/** The JSON path of every node in the rule `toRule` makes (`rule`, `rule.rules[0]`, `rule.rules[0].rule`, ...). */
export function pathsOf(root: BuilderNode): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (n: BuilderNode, path: string) => {
    out.set(n.key, path);
    if (n.kind === 'group') {
      if (n.implicit && n.children.length === 1) walk(n.children[0]!, path);
      else n.children.forEach((c, i) => walk(c, `${path}.rules[${i}]`));
    } else if (n.kind === 'not') walk(n.child, `${path}.rule`);
  };
  walk(root, 'rule');
  return out;
}

/**
 * The key of the node a problem's JSON path points into: the deepest node whose path is the
 * problem's path or a prefix of it (`rule.rules[1].where[0].op` → the condition at `rule.rules[1]`).
 */
export function nodeOfPath(root: BuilderNode, problemPath: string): string | undefined {
  let best: { key: string; length: number } | undefined;
  for (const [key, path] of pathsOf(root)) {
    const inside = problemPath === path || problemPath.startsWith(path + '.') || problemPath.startsWith(path + '[');
    // `>=`: an implicit root group and its one node share the path; the node (visited later) is the row.
    if (inside && (!best || path.length >= best.length)) best = { key, length: path.length };
  }
  return best?.key;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Which argument a comparison still lacks (an empty list, a date that is not YYYY-MM-DD), or undefined. */
function comparisonGap(c: Comparison): string | undefined {
  const kind = argumentOf(c.op);
  if (kind === 'list' && (!Array.isArray(c.value) || c.value.length === 0)) return 'value';
  if (kind === 'date' && !(typeof c.value === 'string' && DATE.test(c.value))) return 'value';
  if (kind === 'days' && typeof c.days !== 'number') return 'days';
  return undefined;
}

const filtersGap = (where: PropertyFilter[] | undefined) =>
  (where ?? []).map((f, i) => (f.property === '' ? `where[${i}].property` : comparisonGap(f) && `where[${i}].value`)).find(Boolean) || undefined;

/** What a condition still needs before it can be sent (the field's name), or undefined when it is complete. */
const GAPS: { [T in LeafType]: (r: LeafOf<T>) => string | undefined } = {
  trait: (r) => (r.key === '' ? 'key' : comparisonGap(r)),
  profile: (r) => comparisonGap(r),
  tag: (r) => (r.tags.length === 0 ? 'tags' : undefined),
  event: (r) => (r.event === '' ? 'event' : r.window && 'from' in r.window && (r.window.from === '' || r.window.to === '') ? 'window' : filtersGap(r.where)),
  last_performed: (r) => (r.event === '' ? 'event' : filtersGap(r.where)),
  never_performed: (r) => (r.event === '' ? 'event' : filtersGap(r.where)),
  rfm: (r) => (r.cells.length === 0 ? 'cells' : undefined),
  lifecycle: (r) => (r.stages.length === 0 ? 'stages' : undefined),
  community_role: (r) => (r.roles.length === 0 ? 'roles' : undefined),
  consent: (r) => (r.key === '' ? 'key' : undefined),
  segment: (r) => (r.segmentId === '' ? 'segmentId' : undefined),
  bucket: () => undefined,
};

/** The nodes that are not ready to send, by key, with the field each lacks (`children` for an empty group). */
export function gapsOf(root: BuilderNode): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (n: BuilderNode) => {
    if (n.kind === 'group') {
      if (n.children.length === 0) out.set(n.key, 'children');
      n.children.forEach(walk);
    } else if (n.kind === 'not') walk(n.child);
    else {
      const gap = (GAPS[n.rule.type] as (r: LeafRule) => string | undefined)(n.rule);
      if (gap) out.set(n.key, gap);
    }
  };
  walk(root);
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const LISTS: Partial<Record<LeafType, string>> = { tag: 'tags', rfm: 'cells', lifecycle: 'stages', community_role: 'roles' };
const EVENT_TYPES: readonly string[] = ['event', 'last_performed', 'never_performed'];

/**
 * Whether a parsed JSON value has the shape the builder's rows read (node types it knows, lists
 * where it iterates, objects where it reads fields). The values themselves may still be wrong:
 * the server's validator judges those and the builder shows its problems on the rows.
 */
export function buildable(v: unknown, depth = 0): v is Rule {
  if (!isObj(v) || typeof v.type !== 'string' || depth > 12) return false;
  if (v.type === 'and' || v.type === 'or') return Array.isArray(v.rules) && v.rules.every((r) => buildable(r, depth + 1));
  if (v.type === 'not') return buildable(v.rule, depth + 1);
  if (!(LEAF_TYPES as readonly string[]).includes(v.type)) return false;
  const list = LISTS[v.type as LeafType];
  if (list && !Array.isArray(v[list])) return false;
  if (EVENT_TYPES.includes(v.type)) {
    if (v.where !== undefined && !(Array.isArray(v.where) && v.where.every(isObj))) return false;
    if (v.count !== undefined && !isObj(v.count)) return false;
    if (v.window !== undefined && !isObj(v.window)) return false;
  }
  return true;
}
