/** One-line, human-readable summaries of valid rules for the console and CLI, in English or Simplified Chinese. */
import type { CompareOp, DateOp, ProfileField, PropertyFilter, Rule, Scalar } from './rule.types.js';
import { DATE_OPS } from './rule-limits.js';

/** Languages `describeRule` writes. */
export type RuleLanguage = 'en' | 'zh-CN';

const WORDS = {
  en: {
    and: ' and ',
    or: ' or ',
    not: 'not ',
    trait: 'trait',
    listSep: ', ',
    ops: {
      eq: '=',
      neq: '!=',
      lt: '<',
      lte: '<=',
      gt: '>',
      gte: '>=',
      in: 'in',
      not_in: 'not in',
      contains: 'contains',
      exists: 'exists',
      not_exists: 'does not exist',
    } as Record<CompareOp, string>,
    date: (op: DateOp, v?: string, d?: number) =>
      ({
        before: `is before ${v}`,
        after: `is after ${v}`,
        within_last_days: `is within the last ${d} days`,
        within_next_days: `is within the next ${d} days`,
        more_than_days_ago: `is more than ${d} days ago`,
        birthday_in_days: `has its anniversary within the next ${d} days`,
      })[op],
    fields: {
      order_count: 'order count',
      total_spent_fen: 'total spent (fen)',
      first_purchase_at: 'first purchase',
      last_purchase_at: 'last purchase',
      first_seen_at: 'first seen',
      last_seen_at: 'last seen',
    } as Record<ProfileField, string>,
    tags: (all: boolean, t: string) => `has ${all ? 'all' : 'any'} of the tags ${t}`,
    event: (e: string, count: string, window: string, where: string) => `performed ${e}${count}${window}${where}`,
    count: {
      at_least: (n: number) => (n === 1 ? '' : ` at least ${n} times`),
      at_most: (n: number) => ` at most ${n} times`,
      exactly: (n: number) => ` exactly ${n} times`,
    },
    lastDays: (n: number) => ` in the last ${n} days`,
    between: (a: string, b: string) => ` from ${a} to ${b}`,
    where: (w: string) => ` where ${w}`,
    last: (e: string, d: number, w: string) => `last performed ${e}${w} more than ${d} days ago`,
    never: (e: string, w: string) => `never performed ${e}${w}`,
    rfm: 'RFM cell is ',
    lifecycle: 'lifecycle stage is ',
    community: 'community role is ',
    consent: (k: string, s: string) => `consent ${k} is ${s}`,
    consentStates: { granted: 'granted', denied: 'denied', unknown: 'unknown' },
    segment: (id: string) => `member of segment ${id}`,
    bucket: (f: number, t: number, salt: string) => `random bucket ${f}-${t - 1} of 100${salt ? ` (salt ${salt})` : ''}`,
    names: {} as Record<string, string>,
  },
  'zh-CN': {
    and: ' 且 ',
    or: ' 或 ',
    not: '非 ',
    trait: '属性',
    listSep: '、',
    ops: {
      eq: '等于',
      neq: '不等于',
      lt: '小于',
      lte: '小于等于',
      gt: '大于',
      gte: '大于等于',
      in: '属于',
      not_in: '不属于',
      contains: '包含',
      exists: '存在',
      not_exists: '不存在',
    } as Record<CompareOp, string>,
    date: (op: DateOp, v?: string, d?: number) =>
      ({
        before: `早于 ${v}`,
        after: `晚于 ${v}`,
        within_last_days: `在最近 ${d} 天内`,
        within_next_days: `在未来 ${d} 天内`,
        more_than_days_ago: `在 ${d} 天以前`,
        birthday_in_days: `的周年日在未来 ${d} 天内`,
      })[op],
    fields: {
      order_count: '订单数',
      total_spent_fen: '累计消费(分)',
      first_purchase_at: '首次购买时间',
      last_purchase_at: '最近购买时间',
      first_seen_at: '首次访问时间',
      last_seen_at: '最近访问时间',
    } as Record<ProfileField, string>,
    tags: (all: boolean, t: string) => `拥有${all ? '全部' : '任一'}标签 ${t}`,
    event: (e: string, count: string, window: string, where: string) => `${window}发生过事件 ${e}${count}${where}`,
    count: { at_least: (n: number) => (n === 1 ? '' : ` 至少 ${n} 次`), at_most: (n: number) => ` 至多 ${n} 次`, exactly: (n: number) => ` 恰好 ${n} 次` },
    lastDays: (n: number) => `最近 ${n} 天内`,
    between: (a: string, b: string) => `${a} 至 ${b} 期间`,
    where: (w: string) => `（${w}）`,
    last: (e: string, d: number, w: string) => `最近一次发生事件 ${e}${w}在 ${d} 天以前`,
    never: (e: string, w: string) => `从未发生事件 ${e}${w}`,
    rfm: 'RFM 分层为 ',
    lifecycle: '生命周期阶段为 ',
    community: '社群角色为 ',
    consent: (k: string, s: string) => `授权 ${k} ${s}`,
    consentStates: { granted: '已同意', denied: '已拒绝', unknown: '未知' },
    segment: (id: string) => `属于分群 ${id}`,
    bucket: (f: number, t: number, salt: string) => `随机分桶 ${f}-${t - 1}（共 100）${salt ? `，盐 ${salt}` : ''}`,
    names: {
      important_value: '重要价值客户',
      important_develop: '重要发展客户',
      important_retain: '重要保持客户',
      important_winback: '重要挽留客户',
      general_value: '一般价值客户',
      general_develop: '一般发展客户',
      general_retain: '一般保持客户',
      general_winback: '一般挽留客户',
      prospect: '潜在客户',
      new: '新客',
      active: '活跃',
      loyal: '忠诚',
      silent: '沉默',
      churned: '流失',
      koc: 'KOC',
      lurker: '潜水',
    } as Record<string, string>,
  },
};

const quote = (s: string) => JSON.stringify(s);
/** Names shown bare when they are plain words, quoted otherwise (so the line stays unambiguous). */
const name = (s: string) => (/^[\p{L}\p{N}_]+$/u.test(s) ? s : quote(s));
const show = (v: Scalar | Scalar[] | undefined): string =>
  v === undefined ? '' : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : typeof v === 'string' ? quote(v) : String(v);

/** What a node's describer uses: the language's words and helpers, and the describer of any node. */
interface Describe {
  w: (typeof WORDS)['en'] | (typeof WORDS)['zh-CN'];
  compare(subject: string, op: CompareOp, value: Scalar | Scalar[] | undefined): string;
  filters(where: PropertyFilter[] | undefined): string;
  oneOfNames(xs: readonly string[]): string;
  /** Describes a node; `nested` puts a group of several in parentheses. */
  go(r: Rule, nested: boolean): string;
}

type NodeDescriber<K extends Rule['type']> = (r: Extract<Rule, { type: K }>, d: Describe, nested: boolean) => string;

function group(type: 'and' | 'or'): (r: { rules: Rule[] }, d: Describe, nested: boolean) => string {
  return (r, { w, go }, nested) => {
    if (r.rules.length === 1) return go(r.rules[0]!, nested);
    const s = r.rules.map((x) => go(x, true)).join(type === 'and' ? w.and : w.or);
    return nested ? `(${s})` : s;
  };
}

/** A trait or profile field: date ops in words, comparisons with their operator. */
function field(subject: string, r: { op: CompareOp | DateOp; value?: Scalar | Scalar[]; days?: number }, { w, compare }: Describe): string {
  return (DATE_OPS as readonly string[]).includes(r.op)
    ? `${subject} ${w.date(r.op as DateOp, r.value as string, r.days)}`
    : compare(subject, r.op as CompareOp, r.value);
}

/** One describer per node type. */
const NODES: { [K in Rule['type']]: NodeDescriber<K> } = {
  and: group('and'),
  or: group('or'),
  not: (r, { w, go }) => `${w.not}(${go(r.rule, false)})`,
  trait: (r, d) => field(`${d.w.trait} ${name(r.key)}`, r, d),
  profile: (r, d) => field(d.w.fields[r.field], r, d),
  tag: (r, { w }) =>
    w.tags(
      r.match === 'all',
      r.tags.map((t) => ('id' in t ? name(t.id) : t.group === undefined ? name(t.name) : `${name(t.group)}/${name(t.name)}`)).join(w.listSep),
    ),
  event: (r, { w, filters }) => {
    const count = r.count ? w.count[r.count.op](r.count.value) : '';
    const window = !r.window ? '' : 'lastDays' in r.window ? w.lastDays(r.window.lastDays) : w.between(r.window.from, r.window.to);
    return w.event(quote(r.event), count, window, filters(r.where));
  },
  last_performed: (r, { w, filters }) => w.last(quote(r.event), r.moreThanDays, filters(r.where)),
  never_performed: (r, { w, filters }) => w.never(quote(r.event), filters(r.where)),
  rfm: (r, { w, oneOfNames }) => w.rfm + oneOfNames(r.cells),
  lifecycle: (r, { w, oneOfNames }) => w.lifecycle + oneOfNames(r.stages),
  community_role: (r, { w, oneOfNames }) => w.community + oneOfNames(r.roles),
  consent: (r, { w }) => w.consent(name(r.key), w.consentStates[r.state]),
  segment: (r, { w }) => w.segment(name(r.segmentId)),
  bucket: (r, { w }) => w.bucket(r.from, r.to, r.salt ? quote(r.salt) : ''),
};

/** A one-line, human-readable summary of a valid rule, in English or Simplified Chinese. */
export function describeRule(rule: Rule, lang: RuleLanguage): string {
  const w = WORDS[lang];
  const compare = (subject: string, op: CompareOp, value: Scalar | Scalar[] | undefined) =>
    `${subject} ${w.ops[op]}${value === undefined ? '' : ` ${show(value)}`}`;
  const d: Describe = {
    w,
    compare,
    filters: (where) => (where?.length ? w.where(where.map((f) => compare(name(f.property), f.op, f.value)).join(w.and)) : ''),
    oneOfNames: (xs) => xs.map((x) => w.names[x] ?? x).join(w.or),
    go: (r, nested) => (NODES[r.type] as NodeDescriber<Rule['type']>)(r, d, nested),
  };
  return d.go(rule, false);
}
