import { type RawBuilder, sql } from 'kysely';
import type { Engine } from '../../src/platform/db/database.js';
import type { Rule } from '../../src/segments/rule.types.js';
import { DAY } from './population.js';

/** What a hand-written query needs: where, which scratch segment id to write, and the evaluation time. */
export interface BaselineArgs {
  engine: Engine;
  ws: string;
  /** Value written to bench_members.segment_id. */
  segmentId: string;
  now: number;
}

/** One of the benchmark's segments: its rule and, for the five compared ones, a hand-written query. */
export interface SegmentCase {
  name: string;
  /** The node types it exercises, for the report. */
  kind: string;
  /** The rule; `ids` maps earlier cases' names to their segment ids (for `segment` references). */
  rule(ids: Map<string, string>): Rule;
  /**
   * `INSERT INTO bench_members (workspace_id, segment_id, profile_id) SELECT ...`: the same segment
   * written by hand in the most direct form for the engine, one row per member.
   */
  baseline?(a: BaselineArgs): RawBuilder<unknown>;
}

/** The scratch table the hand-written queries fill: segment_members' primary key, nothing else. */
export const SCRATCH_DDL = sql`create table bench_members (workspace_id text not null, segment_id text not null, profile_id text not null,
  primary key (workspace_id, segment_id, profile_id))`;

const insert = sql`insert into bench_members (workspace_id, segment_id, profile_id)`;
const FIRST_CITIES = ['上海', '杭州', '苏州'];

/** The five typical segments of the issue, each with its hand-written counterpart. */
export const COMPARED: SegmentCase[] = [
  {
    name: 'trait: city in 上海/杭州/苏州',
    kind: 'trait',
    rule: () => ({ type: 'trait', key: 'city', op: 'in', value: FIRST_CITIES }),
    baseline: ({ engine, ws, segmentId }) =>
      sql`${insert} select p.workspace_id, ${segmentId}, p.id from profiles as p
        where p.workspace_id = ${ws} and p.merged_into is null
        and ${engine === 'postgres' ? sql`p.traits ->> 'city'` : sql`json_extract(p.traits, '$.city')`} in (${sql.join(FIRST_CITIES)})`,
  },
  {
    name: 'tag: 美妆 or VIP',
    kind: 'tag',
    rule: () => ({ type: 'tag', tags: [{ group: 'interest', name: '美妆' }, { name: 'VIP' }], match: 'any' }),
    // From the tag side: the profile_tags_tag index finds the tagged rows directly.
    baseline: ({ ws, segmentId }) =>
      sql`${insert} select distinct pt.workspace_id, ${segmentId}, pt.profile_id from profile_tags as pt
        join tags as t on t.workspace_id = pt.workspace_id and t.id = pt.tag_id
        join tag_groups as g on g.workspace_id = t.workspace_id and g.id = t.group_id
        join profiles as p on p.workspace_id = pt.workspace_id and p.id = pt.profile_id
        where pt.workspace_id = ${ws} and p.merged_into is null
        and ((g.name = 'interest' and t.name = '美妆') or (g.name = 'default' and t.name = 'VIP'))`,
  },
  {
    name: 'event: ≥2 orders of ≥¥200 in 90 days',
    kind: 'event (count, window, property)',
    rule: () => ({
      type: 'event',
      event: 'Order Completed',
      count: { op: 'at_least', value: 2 },
      window: { lastDays: 90 },
      where: [{ property: 'total', op: 'gte', value: 200 }],
    }),
    // From the event side: the events_name_time index gives the window's orders, grouped by profile.
    baseline: ({ engine, ws, segmentId, now }) =>
      sql`${insert} select e.workspace_id, ${segmentId}, e.profile_id from events as e
        join profiles as p on p.workspace_id = e.workspace_id and p.id = e.profile_id
        where e.workspace_id = ${ws} and e.event = 'Order Completed'
        and e.timestamp >= ${now - 90 * DAY} and e.timestamp <= ${now}
        and ${engine === 'postgres' ? sql`(e.payload -> 'properties' ->> 'total')::numeric` : sql`json_extract(e.payload, '$.properties.total')`} >= 200
        and p.merged_into is null
        group by e.workspace_id, e.profile_id having count(*) >= 2`,
  },
  {
    name: 'rfm: important value/retain',
    kind: 'rfm',
    rule: () => ({ type: 'rfm', cells: ['important_value', 'important_retain'] }),
    baseline: ({ ws, segmentId }) =>
      sql`${insert} select s.workspace_id, ${segmentId}, s.profile_id from profile_scores as s
        join profiles as p on p.workspace_id = s.workspace_id and p.id = s.profile_id
        where s.workspace_id = ${ws} and s.rfm_cell in ('important_value', 'important_retain') and p.merged_into is null`,
  },
  {
    name: 'lifecycle: silent or churned',
    kind: 'lifecycle',
    rule: () => ({ type: 'lifecycle', stages: ['silent', 'churned'] }),
    baseline: ({ ws, segmentId }) =>
      sql`${insert} select s.workspace_id, ${segmentId}, s.profile_id from profile_scores as s
        join profiles as p on p.workspace_id = s.workspace_id and p.id = s.profile_id
        where s.workspace_id = ${ws} and s.lifecycle_stage in ('silent', 'churned') and p.merged_into is null`,
  },
];

/** Fifteen more live segments for the incremental phase (20 with the five above), mixing every node type. */
export const MORE: SegmentCase[] = [
  {
    name: 'women 30+',
    kind: 'and, trait number/string',
    rule: () => ({
      type: 'and',
      rules: [
        { type: 'trait', key: 'age', op: 'gte', value: 30 },
        { type: 'trait', key: 'gender', op: 'eq', value: 'female' },
      ],
    }),
  },
  { name: 'birthday within 7 days', kind: 'trait date', rule: () => ({ type: 'trait', key: 'birthday', op: 'birthday_in_days', days: 7 }) },
  { name: '3+ orders', kind: 'profile number', rule: () => ({ type: 'profile', field: 'order_count', op: 'gte', value: 3 }) },
  { name: 'seen in 30 days', kind: 'profile time', rule: () => ({ type: 'profile', field: 'last_seen_at', op: 'within_last_days', days: 30 }) },
  { name: 'carted in 7 days', kind: 'event window', rule: () => ({ type: 'event', event: 'Added to Cart', window: { lastDays: 7 } }) },
  { name: 'carted, not for 30 days', kind: 'last_performed', rule: () => ({ type: 'last_performed', event: 'Added to Cart', moreThanDays: 30 }) },
  { name: 'never ordered', kind: 'never_performed', rule: () => ({ type: 'never_performed', event: 'Order Completed' }) },
  {
    name: 'paying plan or ¥1,000 spent',
    kind: 'or, trait in, profile',
    rule: () => ({
      type: 'or',
      rules: [
        { type: 'trait', key: 'plan', op: 'in', value: ['pro', 'vip'] },
        { type: 'profile', field: 'total_spent_fen', op: 'gte', value: 100_000 },
      ],
    }),
  },
  {
    name: 'vip outside tier-1 cities',
    kind: 'and, not',
    rule: () => ({
      type: 'and',
      rules: [
        { type: 'not', rule: { type: 'trait', key: 'city', op: 'in', value: ['上海', '北京', '广州', '深圳'] } },
        { type: 'trait', key: 'plan', op: 'eq', value: 'vip' },
      ],
    }),
  },
  {
    name: '小红书 and 美妆',
    kind: 'tag all',
    rule: () => ({
      type: 'tag',
      tags: [
        { group: 'channel', name: '小红书' },
        { group: 'interest', name: '美妆' },
      ],
      match: 'all',
    }),
  },
  {
    name: 'repeat big buyers not on free',
    kind: 'segment reference',
    rule: (ids) => ({
      type: 'and',
      rules: [
        { type: 'segment', segmentId: ids.get(COMPARED[2]!.name)! },
        { type: 'trait', key: 'plan', op: 'neq', value: 'free' },
      ],
    }),
  },
  { name: 'one-time buyers', kind: 'event count exactly', rule: () => ({ type: 'event', event: 'Order Completed', count: { op: 'exactly', value: 1 } }) },
  { name: 'SMS consent', kind: 'consent', rule: () => ({ type: 'consent', key: 'marketing_sms', state: 'granted' }) },
  {
    name: '¥500+ active or loyal',
    kind: 'profile, lifecycle',
    rule: () => ({
      type: 'and',
      rules: [
        { type: 'profile', field: 'total_spent_fen', op: 'gte', value: 50_000 },
        { type: 'lifecycle', stages: ['active', 'loyal'] },
      ],
    }),
  },
  { name: 'holdout 10%', kind: 'bucket', rule: () => ({ type: 'bucket', from: 0, to: 10, salt: 'holdout-2026' }) },
];
