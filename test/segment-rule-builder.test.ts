import { describe, expect, it } from 'vitest';
import {
  buildable,
  COMMUNITY_ROLES,
  COMPARE_OPS,
  DATE_OPS,
  gapsOf,
  LEAF_TYPES,
  LIFECYCLE_STAGES,
  newCondition,
  nodeOfPath,
  PROFILE_FIELDS,
  removeNode,
  RFM_CELLS,
  TIME_FIELD_OPS,
  NUMERIC_FIELD_OPS,
  toModel,
  toRule,
  unwrapNots,
  updateNode,
  withNots,
  withOp,
  type BuilderNode,
  type LeafRule,
} from '../console/src/pages/segments/rule-model.js';
import { validateRule, type Rule } from '../src/segments/index.js';
import {
  COMPARE_OPS as S_COMPARE,
  DATE_OPS as S_DATE,
  NUMERIC_FIELD_OPS as S_NUM,
  PROFILE_FIELDS as S_FIELDS,
  RULE_TYPES,
  TIME_FIELD_OPS as S_TIME,
} from '../src/segments/rule-limits.js';
import { COMMUNITY_ROLES as S_ROLES, LIFECYCLE_STAGES as S_STAGES, RFM_CELLS as S_CELLS } from '../src/segments/rule.types.js';

/**
 * The segment rule builder's serialisation (issue #16): rule JSON → builder model → rule JSON gives
 * back the same JSON for every condition type and every form of each (operators, windows, filters,
 * tag references, nesting, negations), edits made in the builder produce rules the server accepts,
 * and the server's problem paths land on the row they concern.
 */

/** Every condition type, each in the forms its row edits. */
const LEAVES: Record<LeafRule['type'], Rule[]> = {
  trait: [
    { type: 'trait', key: 'plan', op: 'eq', value: 'gold' },
    { type: 'trait', key: 'age', op: 'gte', value: 18 },
    { type: 'trait', key: 'vip', op: 'neq', value: true },
    { type: 'trait', key: 'city', op: 'in', value: ['上海', '杭州', 3] },
    { type: 'trait', key: 'city', op: 'not_in', value: ['北京'] },
    { type: 'trait', key: 'interests', op: 'contains', value: '咖啡' },
    { type: 'trait', key: 'email', op: 'exists' },
    { type: 'trait', key: 'email', op: 'not_exists' },
    { type: 'trait', key: 'signup', op: 'before', value: '2026-01-01' },
    { type: 'trait', key: 'signup', op: 'after', value: '2025-06-30' },
    { type: 'trait', key: 'signup', op: 'within_last_days', days: 30 },
    { type: 'trait', key: 'renewal', op: 'within_next_days', days: 7 },
    { type: 'trait', key: 'signup', op: 'more_than_days_ago', days: 365 },
    { type: 'trait', key: 'birthday', op: 'birthday_in_days', days: 0 },
  ],
  profile: [
    { type: 'profile', field: 'order_count', op: 'gte', value: 2 },
    { type: 'profile', field: 'total_spent_fen', op: 'in', value: [100, 200.5] },
    { type: 'profile', field: 'order_count', op: 'not_exists' },
    { type: 'profile', field: 'last_purchase_at', op: 'more_than_days_ago', days: 90 },
    { type: 'profile', field: 'first_seen_at', op: 'after', value: '2026-03-01' },
    { type: 'profile', field: 'first_purchase_at', op: 'exists' },
  ],
  tag: [
    { type: 'tag', match: 'any', tags: [{ name: 'VIP' }] },
    { type: 'tag', match: 'all', tags: [{ id: 'tag_01J' }, { group: '会员等级', name: '金卡' }] },
  ],
  event: [
    { type: 'event', event: 'Order Completed' },
    { type: 'event', event: 'Order Completed', count: { op: 'at_least', value: 2 }, window: { lastDays: 90 } },
    {
      type: 'event',
      event: 'Viewed Product',
      count: { op: 'exactly', value: 0 },
      window: { from: '2026-01-01T00:00:00+08:00', to: '2026-02-01T00:00:00+08:00' },
      where: [
        { property: 'amount', op: 'gte', value: 100 },
        { property: 'channel', op: 'in', value: ['小程序', 'app'] },
        { property: 'coupon', op: 'exists' },
      ],
    },
    { type: 'event', event: 'Signed Up', count: { op: 'at_most', value: 1 } },
  ],
  last_performed: [
    { type: 'last_performed', event: 'Order Completed', moreThanDays: 60 },
    { type: 'last_performed', event: 'Order Completed', moreThanDays: 60, where: [{ property: 'store', op: 'eq', value: 'sh-01' }] },
  ],
  never_performed: [
    { type: 'never_performed', event: 'Order Completed' },
    { type: 'never_performed', event: 'Order Completed', where: [{ property: 'coupon', op: 'not_exists' }] },
  ],
  rfm: [{ type: 'rfm', cells: ['important_value', 'general_winback'] }],
  lifecycle: [{ type: 'lifecycle', stages: ['silent', 'churned'] }],
  community_role: [{ type: 'community_role', roles: ['koc'] }],
  consent: [
    { type: 'consent', key: 'marketing_sms', state: 'denied' },
    { type: 'consent', key: 'marketing_email', state: 'unknown' },
  ],
  segment: [{ type: 'segment', segmentId: 'seg_01J' }],
  bucket: [
    { type: 'bucket', from: 0, to: 10 },
    { type: 'bucket', from: 10, to: 100, salt: 'spring' },
  ],
};

const every = Object.values(LEAVES).flat();

/** Nested combinations: groups in groups, negations of leaves and of groups, a double negation, a one-node group. */
const TREES: Rule[] = [
  { type: 'and', rules: every },
  {
    type: 'or',
    rules: [
      { type: 'and', rules: every.slice(0, 3) },
      { type: 'not', rule: { type: 'or', rules: every.slice(3, 6) } },
    ],
  },
  { type: 'not', rule: { type: 'not', rule: LEAVES.rfm[0]! } },
  { type: 'and', rules: [LEAVES.tag[0]!] },
  { type: 'not', rule: LEAVES.consent[0]! },
];

describe('segment rule builder serialisation', () => {
  it("knows the server's condition types, operators, fields, cells, stages and roles, and the test rules cover every type and are valid", () => {
    expect([...LEAF_TYPES].sort()).toEqual(RULE_TYPES.filter((t) => !['and', 'or', 'not'].includes(t)).sort());
    expect([...COMPARE_OPS]).toEqual([...S_COMPARE]);
    expect([...DATE_OPS]).toEqual([...S_DATE]);
    expect([...PROFILE_FIELDS]).toEqual([...S_FIELDS]);
    expect([...NUMERIC_FIELD_OPS]).toEqual([...S_NUM]);
    expect([...TIME_FIELD_OPS]).toEqual([...S_TIME]);
    expect([...RFM_CELLS]).toEqual([...S_CELLS]);
    expect([...LIFECYCLE_STAGES]).toEqual([...S_STAGES]);
    expect([...COMMUNITY_ROLES]).toEqual([...S_ROLES]);
    expect(Object.keys(LEAVES).sort()).toEqual([...LEAF_TYPES].sort());
    for (const r of [...every, ...TREES]) expect(validateRule(r), JSON.stringify(r)).toMatchObject({ ok: true });
  });

  it('round-trips every condition type, alone and nested, without changing the JSON', () => {
    for (const rule of [...every, ...TREES]) {
      const model = toModel(rule);
      expect(model.kind).toBe('group');
      expect(toRule(model), JSON.stringify(rule)).toEqual(rule);
      // The model holds copies: editing it never changes the rule it came from.
      expect(JSON.stringify(toRule(toModel(toRule(model))))).toBe(JSON.stringify(rule));
      expect(buildable(rule)).toBe(true);
    }
    // JSON the rows could not show stays in the JSON view: unknown types, lists that are not lists.
    for (const bad of [
      null,
      [],
      { type: 'equals' },
      { type: 'tag', tags: 'VIP', match: 'any' },
      { type: 'and', rules: [{ type: 'rfm' }] },
      { type: 'event', event: 'x', where: {} },
    ]) {
      expect(buildable(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('flags a fresh condition until it is filled in, and the filled-in condition is a valid rule', () => {
    /** What an operator types into each field a fresh row lacks. */
    const FILL: Record<string, Partial<LeafRule>> = {
      key: { key: 'plan' },
      tags: { tags: [{ name: 'VIP' }] },
      event: { event: 'Order Completed' },
      cells: { cells: ['important_value'] },
      stages: { stages: ['new'] },
      roles: { roles: ['koc'] },
      segmentId: { segmentId: 'seg_01J' },
    } as Record<string, Partial<LeafRule>>;
    for (const type of LEAF_TYPES) {
      const fresh = newCondition(type);
      expect(fresh.type).toBe(type);
      const model: BuilderNode = { kind: 'group', key: 'root', op: 'and', children: [{ kind: 'condition', key: 'c', rule: fresh }] };
      const gap = gapsOf(model).get('c');
      // A row with a gap is not sent (the server would refuse it); a complete one is valid.
      expect(validateRule(toRule(model)).ok, type).toBe(gap === undefined);
      if (gap === undefined) continue;
      expect(Object.keys(FILL), type).toContain(gap);
      const filled: BuilderNode = { ...model, children: [{ kind: 'condition', key: 'c', rule: { ...fresh, ...FILL[gap] } as LeafRule }] };
      expect(gapsOf(filled).size, type).toBe(0);
      expect(validateRule(toRule(filled)), type).toMatchObject({ ok: true });
    }
  });

  it("keeps an operator's argument when it still fits and gives a new one a default", () => {
    const eq: Extract<LeafRule, { type: 'trait' }> = { type: 'trait', key: 'city', op: 'eq', value: '上海' };
    expect(withOp(eq, 'in')).toEqual({ type: 'trait', key: 'city', op: 'in', value: ['上海'] });
    expect(withOp(withOp(eq, 'in'), 'neq')).toEqual({ type: 'trait', key: 'city', op: 'neq', value: '上海' });
    expect(withOp(eq, 'exists')).toEqual({ type: 'trait', key: 'city', op: 'exists' });
    expect(withOp(eq, 'within_last_days')).toEqual({ type: 'trait', key: 'city', op: 'within_last_days', days: 30 });
    expect(withOp(eq, 'before')).toEqual({ type: 'trait', key: 'city', op: 'before', value: '' });
    for (const op of [...COMPARE_OPS, ...DATE_OPS]) {
      const r = withOp(eq, op);
      const gap = gapsOf(toModel(r)).size > 0;
      expect(validateRule(r).ok || gap, op).toBe(true);
    }
  });

  it('writes builder edits into the rule: a new condition, a negation, a removed node, a changed group', () => {
    const model = toModel(LEAVES.rfm[0]!);
    expect(model).toMatchObject({ kind: 'group', implicit: true });
    // A second condition turns the implicit group into an "and".
    const root = model as Extract<BuilderNode, { kind: 'group' }>;
    const added: BuilderNode = { ...root, children: [...root.children, { kind: 'condition', key: 'tagged', rule: LEAVES.tag[0] as LeafRule }] };
    expect(toRule(added)).toEqual({ type: 'and', rules: [LEAVES.rfm[0], LEAVES.tag[0]] });
    // Negating the tag row wraps it in a "not"; un-negating takes it off again.
    const negated = updateNode(added, 'tagged', (n) => withNots(n, 1, n.key));
    expect(toRule(negated)).toEqual({ type: 'and', rules: [LEAVES.rfm[0], { type: 'not', rule: LEAVES.tag[0] }] });
    const back = updateNode(negated, 'tagged', (n) => withNots(unwrapNots(n).inner, 0, n.key));
    expect(toRule(back)).toEqual(toRule(added));
    // "or" instead of "and", then the first condition removed.
    const or = updateNode(negated, root.key, (n) => ({ ...(n as typeof root), op: 'or', implicit: false }));
    expect(toRule(or)).toMatchObject({ type: 'or' });
    const removed = removeNode(or, root.children[0]!.key);
    expect(toRule(removed)).toEqual({ type: 'or', rules: [{ type: 'not', rule: LEAVES.tag[0] }] });
    expect(validateRule(toRule(removed))).toMatchObject({ ok: true });
  });

  it("puts the server's problems on the row they concern", () => {
    const rule: Rule = { type: 'and', rules: [LEAVES.trait[0]!, { type: 'not', rule: LEAVES.event[2]! }, { type: 'or', rules: [LEAVES.segment[0]!] }] };
    const model = toModel(rule) as Extract<BuilderNode, { kind: 'group' }>;
    const [trait, not, or] = model.children as [BuilderNode, Extract<BuilderNode, { kind: 'not' }>, Extract<BuilderNode, { kind: 'group' }>];
    expect(nodeOfPath(model, 'rule.rules[0].op')).toBe(trait.key);
    expect(nodeOfPath(model, 'rule.rules[1].rule.where[1].value')).toBe(not.child.key);
    expect(nodeOfPath(model, 'rule.rules[2].rules[0].segmentId')).toBe(or.children[0]!.key);
    expect(nodeOfPath(model, 'rule.rules[2].rules')).toBe(or.key);
    expect(nodeOfPath(model, 'rule')).toBe(model.key);
    // A single condition's problems (the implicit group is not in the JSON) land on the condition.
    const single = toModel(LEAVES.consent[0]!) as Extract<BuilderNode, { kind: 'group' }>;
    expect(nodeOfPath(single, 'rule.key')).toBe(single.children[0]!.key);
    // And the server's own paths for a bad rule built from the model point into it.
    const bad = toModel({ type: 'and', rules: [LEAVES.trait[0]!, { ...(LEAVES.trait[1] as LeafRule), op: 'equals' } as unknown as Rule] });
    const problems = validateRule(toRule(bad));
    expect(problems.ok).toBe(false);
    const paths = problems.ok ? [] : problems.errors.map((e) => e.path);
    expect(paths.map((p) => nodeOfPath(bad, p))).toEqual(paths.map(() => (bad as Extract<BuilderNode, { kind: 'group' }>).children[1]!.key));
  });
});
