import fc from 'fast-check';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import { newId } from '../platform/ids.js';
import { describeEngines, openTestDatabase } from '../../test/support/engines.js';
import { birthdayMonthDays, bucketOf, compileRule } from './compile.js';
import { evaluateReference, type ReferenceData, type ReferenceProfile } from './reference.js';
import { COMMUNITY_ROLES, LIFECYCLE_STAGES, RFM_CELLS, type Rule, type RuleContext } from './rule.types.js';
import { ruleCost } from './rule-cost.js';
import { RULE_TYPES } from './rule-limits.js';
import { walkRule } from './rule-queries.js';
import { validateRule } from './rule-validation.js';
import { addDays, localDate, startOfLocalDate } from '../platform/time.js';

const DAY = 86_400_000;

/** A profile with defaults for everything not given. */
function profile(id: string, p: Partial<ReferenceProfile> = {}): ReferenceProfile {
  return {
    id,
    traits: {},
    consent: {},
    orderCount: 0,
    totalSpentFen: 0,
    firstPurchaseAt: null,
    lastPurchaseAt: null,
    firstSeenAt: null,
    lastSeenAt: null,
    ...p,
  };
}

function dataset(d: Partial<ReferenceData>): ReferenceData {
  return { profiles: [], events: [], tags: [], profileTags: [], segmentMembers: [], scores: [], ...d };
}

/** Writes a dataset into a new workspace, rows shaped as the app writes them (JSON columns as strings). */
async function seed(database: Database, data: ReferenceData): Promise<string> {
  const ws = newId('ws');
  // One transaction: one commit (fsync) per dataset instead of one per table.
  await database.db.transaction().execute((db) => insertData(db, ws, data));
  return ws;
}

async function insertData(db: Kysely<DB>, ws: string, data: ReferenceData): Promise<void> {
  if (data.profiles.length) {
    await db
      .insertInto('profiles')
      .values(
        data.profiles.map((p) => ({
          workspace_id: ws,
          id: p.id,
          merged_into: p.mergedInto ?? null,
          traits: JSON.stringify(p.traits),
          trait_times: '{}',
          consent: JSON.stringify(p.consent),
          first_seen_at: p.firstSeenAt,
          last_seen_at: p.lastSeenAt,
          order_count: p.orderCount,
          total_spent_fen: p.totalSpentFen,
          first_purchase_at: p.firstPurchaseAt,
          last_purchase_at: p.lastPurchaseAt,
          created_at: 0,
          updated_at: 0,
        })),
      )
      .execute();
  }
  if (data.events.length) {
    await db
      .insertInto('events')
      .values(
        data.events.map((e) => {
          const messageId = newId('msg');
          const payload = {
            type: e.type,
            ...(e.type === 'track' ? { event: e.event } : { name: e.event }),
            messageId,
            ...(e.properties === undefined ? {} : { properties: e.properties }),
          };
          return {
            workspace_id: ws,
            message_id: messageId,
            profile_id: e.profileId,
            type: e.type,
            event: e.event,
            user_id: null,
            anonymous_id: null,
            timestamp: e.timestamp,
            received_at: e.timestamp,
            payload: JSON.stringify(payload),
          };
        }),
      )
      .execute();
  }
  const groups = [...new Set(data.tags.map((t) => t.group))];
  const groupId = new Map(groups.map((g, i) => [g, `tgr_${i}`]));
  if (groups.length)
    await db
      .insertInto('tag_groups')
      .values(groups.map((g) => ({ workspace_id: ws, id: groupId.get(g)!, name: g, created_at: 0 })))
      .execute();
  if (data.tags.length)
    await db
      .insertInto('tags')
      .values(data.tags.map((t) => ({ workspace_id: ws, id: t.id, group_id: groupId.get(t.group)!, name: t.name, created_at: 0 })))
      .execute();
  if (data.profileTags.length) {
    await db
      .insertInto('profile_tags')
      .values(data.profileTags.map((t) => ({ workspace_id: ws, profile_id: t.profileId, tag_id: t.tagId, source: 'manual' as const, created_at: 0 })))
      .execute();
  }
  if (data.segmentMembers.length) {
    await db
      .insertInto('segment_members')
      .values(data.segmentMembers.map((m) => ({ workspace_id: ws, segment_id: m.segmentId, profile_id: m.profileId, version: 1, entered_at: 0 })))
      .execute();
  }
  if (data.scores.length) {
    await db
      .insertInto('profile_scores')
      .values(
        data.scores.map((s) => ({
          workspace_id: ws,
          profile_id: s.profileId,
          r: null,
          f: null,
          m: null,
          rfm_cell: s.rfmCell,
          rfm_at: null,
          lifecycle_stage: s.lifecycleStage,
          lifecycle_at: null,
          community_role: s.communityRole,
          community_score: null,
          community_at: null,
        })),
      )
      .execute();
  }
}

/** Live profile ids matching the rule, sorted, the way callers query. */
async function select(database: Database, ws: string, rule: Rule, ctx: Omit<RuleContext, 'workspaceId'>): Promise<string[]> {
  const where = compileRule(rule, { ...ctx, workspaceId: ws }, database.dialect);
  const res = await sql<{
    id: string;
  }>`select p.id from profiles as p where p.workspace_id = ${ws} and p.merged_into is null and (${where}) order by p.id`.execute(database.db);
  return res.rows.map((r) => r.id);
}

const sorted = (s: Iterable<string>) => [...s].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

// 2026-03-10 12:00 in Shanghai.
const NOW = Date.parse('2026-03-10T12:00:00+08:00');
const SHANGHAI = { now: NOW, timeZone: 'Asia/Shanghai' };

describeEngines('compileRule', (engine) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(engine);
  });
  afterAll(async () => database?.close());

  /** Seeds `data`, then checks each rule's members against the hand-written expectation and the reference. */
  async function expectMembers(data: ReferenceData, cases: [rule: Rule, expected: string[]][], ctx = SHANGHAI) {
    const ws = await seed(database, data);
    for (const [rule, expected] of cases) {
      expect(validateRule(rule).ok, JSON.stringify(rule)).toBe(true);
      expect(await select(database, ws, rule, ctx), `SQL: ${JSON.stringify(rule)}`).toEqual(sorted(expected));
      expect(sorted(evaluateReference(rule, data, { ...ctx, workspaceId: ws })), `reference: ${JSON.stringify(rule)}`).toEqual(sorted(expected));
    }
  }

  it('trait comparisons: typed equality, absent values, binary order, contains without LIKE', async () => {
    const data = dataset({
      profiles: [
        profile('a', { traits: { city: '上海', age: 30, vip: true, list: ['x', 2, true], name: 'Ann%_', score: 1.5, nul: null, 'k"\\.': 'q' } }),
        profile('b', { traits: { city: 'Shanghai', age: '30', vip: 'true', list: 'xyz', name: 'Ann', score: 2 } }),
        profile('c', { traits: { city: '北京', age: 7, vip: false, list: [], name: 'annabel', score: { v: 1 } } }),
        profile('d'),
        profile('e', { traits: { s: '😀', age: 30.0, list: [[2], { x: 'x' }] } }),
        profile('f', { traits: { s: '！', age: 1e21 } }),
        profile('m', { mergedInto: 'a', traits: { city: '上海' } }),
      ],
    });
    const t = (key: string, op: string, value?: unknown): Rule => ({ type: 'trait', key, op, ...(value === undefined ? {} : { value }) }) as Rule;
    await expectMembers(data, [
      [t('city', 'eq', '上海'), ['a']],
      [t('age', 'eq', 30), ['a', 'e']],
      [t('age', 'eq', '30'), ['b']],
      [t('vip', 'eq', true), ['a']],
      [t('vip', 'eq', 'true'), ['b']],
      [t('vip', 'eq', false), ['c']],
      [t('age', 'neq', 30), ['b', 'c', 'd', 'f']],
      [t('age', 'lt', 10), ['c']],
      [t('age', 'gte', 7), ['a', 'c', 'e', 'f']],
      [t('age', 'gt', 1e20), ['f']],
      [t('age', 'lt', '4'), ['b']],
      [t('score', 'lte', 1.5), ['a']],
      // Code point order: 上 U+4E0A < 北 U+5317; every CJK character sorts after ASCII.
      [t('city', 'gt', 'Shanghai'), ['a', 'c']],
      [t('city', 'lt', '北京'), ['a', 'b']],
      // An astral character (U+1F600) sorts after U+FF01, although its UTF-16 units sort before.
      [t('s', 'gt', '！'), ['e']],
      [t('s', 'lt', '😀'), ['f']],
      [t('age', 'in', [30, '30']), ['a', 'b', 'e']],
      [t('age', 'in', ['30']), ['b']],
      [t('vip', 'in', ['true', 'false']), ['b']],
      [t('age', 'in', [30, 7]), ['a', 'c', 'e']],
      [t('vip', 'in', [false, 'x']), ['c']],
      [t('age', 'not_in', [30, 7]), ['b', 'd', 'f']],
      [t('name', 'contains', '%_'), ['a']],
      [t('name', 'contains', '_'), ['a']],
      [t('name', 'contains', 'Ann'), ['a', 'b']],
      [t('list', 'contains', 'x'), ['a', 'b']],
      [t('list', 'contains', 2), ['a']],
      [t('list', 'contains', true), ['a']],
      [t('list', 'contains', 'y'), ['b']],
      [t('nul', 'exists'), []],
      [t('nul', 'not_exists'), ['a', 'b', 'c', 'd', 'e', 'f']],
      [t('score', 'exists'), ['a', 'b', 'c']],
      [t('k"\\.', 'eq', 'q'), ['a']],
      [t('k"\\', 'exists'), []],
      [{ type: 'not', rule: t('city', 'eq', '上海') }, ['b', 'c', 'd', 'e', 'f']],
      [{ type: 'and', rules: [t('age', 'exists'), { type: 'or', rules: [t('vip', 'eq', true), t('vip', 'eq', false)] }] }, ['a', 'c']],
    ]);
  });

  it('date ops on traits: the first 10 characters against today in the workspace time zone', async () => {
    const data = dataset({
      profiles: [
        profile('a', { traits: { birthday: '1990-03-12', d: '2026-03-01T23:30:00Z' } }),
        profile('b', { traits: { birthday: '1990-03-09', d: '2026-03-10' } }),
        profile('c', { traits: { birthday: '2000-02-29', d: 'not a date' } }),
        profile('d', { traits: { birthday: 19900312, d: 20260301 } }),
        profile('e', { traits: { birthday: '1990-03-17', d: '2026-03-11' } }),
      ],
    });
    const t = (key: string, op: string, arg: object): Rule => ({ type: 'trait', key, op, ...arg }) as Rule;
    await expectMembers(data, [
      [t('birthday', 'birthday_in_days', { days: 7 }), ['a', 'e']],
      [t('birthday', 'birthday_in_days', { days: 6 }), ['a']],
      [t('birthday', 'birthday_in_days', { days: 0 }), []],
      [t('d', 'before', { value: '2026-03-02' }), ['a']],
      [t('d', 'after', { value: '2026-03-01' }), ['b', 'e']],
      [t('d', 'within_last_days', { days: 9 }), ['a', 'b']],
      [t('d', 'within_last_days', { days: 8 }), ['b']],
      [t('d', 'within_next_days', { days: 1 }), ['b', 'e']],
      [t('d', 'more_than_days_ago', { days: 8 }), ['a']],
      [{ type: 'not', rule: t('d', 'before', { value: '2030-01-01' }) }, ['c', 'd']],
    ]);
    // At 2026-03-09 20:00 UTC it is already 10 March in Shanghai.
    const evening = Date.parse('2026-03-09T20:00:00Z');
    await expectMembers(data, [[t('d', 'within_last_days', { days: 0 }), ['b']]], { now: evening, timeZone: 'Asia/Shanghai' });
    await expectMembers(data, [[t('d', 'within_last_days', { days: 0 }), []]], { now: evening, timeZone: 'UTC' });
    // 29 February birthdays come up on 28 February in other years.
    await expectMembers(data, [[t('birthday', 'birthday_in_days', { days: 3 }), ['c']]], {
      now: Date.parse('2027-02-25T12:00:00+08:00'),
      timeZone: 'Asia/Shanghai',
    });
    await expectMembers(data, [[t('birthday', 'birthday_in_days', { days: 3 }), []]], {
      now: Date.parse('2028-02-25T12:00:00+08:00'),
      timeZone: 'Asia/Shanghai',
    });
    await expectMembers(data, [[t('birthday', 'birthday_in_days', { days: 4 }), ['c']]], {
      now: Date.parse('2028-02-25T12:00:00+08:00'),
      timeZone: 'Asia/Shanghai',
    });
    // Across the new year.
    await expectMembers(dataset({ profiles: [profile('n', { traits: { b: '1980-01-02' } })] }), [[t('b', 'birthday_in_days', { days: 3 }), ['n']]], {
      now: Date.parse('2026-12-30T12:00:00+08:00'),
      timeZone: 'Asia/Shanghai',
    });
  });

  it('profile fields: numbers (fractional bounds on integer columns) and times as local dates', async () => {
    const midnight = Date.parse('2026-03-10T00:00:00+08:00');
    const data = dataset({
      profiles: [
        profile('a', { orderCount: 3, totalSpentFen: 10_000, lastSeenAt: midnight, lastPurchaseAt: midnight - 40 * DAY }),
        profile('b', { orderCount: 0, totalSpentFen: 0, lastSeenAt: midnight - 1 }),
        profile('c', { orderCount: 1, totalSpentFen: 101, lastSeenAt: Date.parse('2026-03-16T23:59:59.999+08:00'), lastPurchaseAt: midnight }),
      ],
    });
    const f = (field: string, op: string, arg: object = {}): Rule => ({ type: 'profile', field, op, ...arg }) as Rule;
    await expectMembers(data, [
      [f('order_count', 'eq', { value: 3 }), ['a']],
      [f('order_count', 'neq', { value: 3 }), ['b', 'c']],
      [f('order_count', 'in', { value: [0, 1] }), ['b', 'c']],
      [f('order_count', 'not_in', { value: [0, 1] }), ['a']],
      [f('total_spent_fen', 'gt', { value: 100.5 }), ['a', 'c']],
      [f('total_spent_fen', 'lte', { value: 100.5 }), ['b']],
      [f('total_spent_fen', 'eq', { value: 0.5 }), []],
      [f('order_count', 'exists'), ['a', 'b', 'c']],
      [f('last_purchase_at', 'exists'), ['a', 'c']],
      [f('last_purchase_at', 'not_exists'), ['b']],
      [f('first_seen_at', 'exists'), []],
      [f('last_seen_at', 'within_last_days', { days: 0 }), ['a']],
      [f('last_seen_at', 'within_last_days', { days: 1 }), ['a', 'b']],
      [f('last_seen_at', 'before', { value: '2026-03-10' }), ['b']],
      [f('last_seen_at', 'after', { value: '2026-03-09' }), ['a', 'c']],
      [f('last_seen_at', 'after', { value: '2026-03-16' }), []],
      [f('last_seen_at', 'within_next_days', { days: 6 }), ['a', 'c']],
      [f('last_seen_at', 'within_next_days', { days: 5 }), ['a']],
      [f('last_purchase_at', 'more_than_days_ago', { days: 39 }), ['a']],
      [f('last_purchase_at', 'more_than_days_ago', { days: 40 }), []],
      [{ type: 'not', rule: f('last_purchase_at', 'more_than_days_ago', { days: 39 }) }, ['b', 'c']],
    ]);
    // New York: daylight saving starts on 8 March 2026, so that day begins at 05:00 UTC and the next at 04:00 UTC.
    const ny = { now: Date.parse('2026-03-10T12:00:00-04:00'), timeZone: 'America/New_York' };
    const dst = dataset({
      profiles: [
        profile('x', { lastSeenAt: Date.parse('2026-03-08T04:59:59.999Z') }),
        profile('y', { lastSeenAt: Date.parse('2026-03-08T05:00:00Z') }),
        profile('z', { lastSeenAt: Date.parse('2026-03-09T03:59:59.999Z') }),
        profile('w', { lastSeenAt: Date.parse('2026-03-09T04:00:00Z') }),
      ],
    });
    await expectMembers(
      dst,
      [
        [f('last_seen_at', 'more_than_days_ago', { days: 2 }), ['x']],
        [f('last_seen_at', 'within_last_days', { days: 2 }), ['w', 'y', 'z']],
        [f('last_seen_at', 'before', { value: '2026-03-09' }), ['x', 'y', 'z']],
        [f('last_seen_at', 'after', { value: '2026-03-08' }), ['w']],
      ],
      ny,
    );
  });

  it('tags: by id, or by name within a group ("default" when not given), all or any', async () => {
    const data = dataset({
      profiles: [profile('a'), profile('b'), profile('c'), profile('d')],
      tags: [
        { id: 't1', group: 'default', name: 'VIP' },
        { id: 't2', group: '会员"%', name: '金卡' },
        { id: 't3', group: 'x', name: 'VIP' },
      ],
      profileTags: [
        { profileId: 'a', tagId: 't1' },
        { profileId: 'a', tagId: 't2' },
        { profileId: 'b', tagId: 't3' },
        { profileId: 'c', tagId: 't2' },
      ],
    });
    const tag = (match: 'all' | 'any', ...tags: object[]): Rule => ({ type: 'tag', match, tags }) as Rule;
    await expectMembers(data, [
      [tag('any', { name: 'VIP' }), ['a']],
      [tag('any', { group: 'x', name: 'VIP' }), ['b']],
      [tag('any', { name: 'vip' }), []],
      [tag('all', { name: 'VIP' }, { group: '会员"%', name: '金卡' }), ['a']],
      [tag('any', { id: 't3' }, { group: '会员"%', name: '金卡' }), ['a', 'b', 'c']],
      [tag('all', { id: 't2' }, { id: 'nope' }), []],
      [tag('any', { id: 't2' }, { id: 'nope' }), ['a', 'c']],
      [{ type: 'not', rule: tag('any', { id: 't1' }, { id: 't3' }) }, ['c', 'd']],
    ]);
  });

  it('events: track events by name, counts, windows, property filters, last and never performed', async () => {
    const ev = (profileId: string, event: string, daysAgo: number, properties?: unknown, type = 'track') => ({
      profileId,
      type,
      event,
      timestamp: NOW - daysAgo * DAY,
      properties,
    });
    const data = dataset({
      profiles: [profile('a'), profile('b'), profile('c'), profile('d'), profile('e')],
      events: [
        ev('a', 'Order Completed', 1, { amount: 100, channel: 'app' }),
        ev('a', 'Order Completed', 2, { amount: 250 }),
        ev('a', 'Order Completed', 40, { amount: '300', tags: ['gift'] }),
        ev('a', 'Order Completed', 0, { amount: 1 }, 'page'),
        ev('b', 'Order Completed', 10, { amount: 50, channel: '小程序', "'; drop table events; --": 'x' }),
        ev('b', 'Viewed', 0.5),
        ev('c', 'Viewed', 3, ['not', 'an', 'object']),
        ev('e', 'Order Completed', 100, 'odd'),
        ev('e', 'Order Completed', -2, { amount: 5 }), // in the future (clock skew)
      ],
    });
    const oc = (extra: object = {}): Rule => ({ type: 'event', event: 'Order Completed', ...extra }) as Rule;
    await expectMembers(data, [
      [oc(), ['a', 'b', 'e']],
      [{ type: 'event', event: 'order completed' }, []],
      [oc({ count: { op: 'at_least', value: 3 } }), ['a']],
      [oc({ count: { op: 'at_least', value: 4 } }), []],
      [oc({ count: { op: 'at_least', value: 0 } }), ['a', 'b', 'c', 'd', 'e']],
      [oc({ count: { op: 'at_most', value: 1 } }), ['b', 'c', 'd']],
      [oc({ count: { op: 'exactly', value: 0 } }), ['c', 'd']],
      [oc({ count: { op: 'exactly', value: 3 } }), ['a']],
      [oc({ count: { op: 'exactly', value: 2 } }), ['e']],
      [oc({ window: { lastDays: 30 } }), ['a', 'b']],
      [oc({ window: { lastDays: 30 }, count: { op: 'at_least', value: 2 } }), ['a']],
      [oc({ window: { lastDays: 9 } }), ['a']],
      [oc({ window: { lastDays: 10 } }), ['a', 'b']],
      [oc({ window: { from: new Date(NOW - 10 * DAY).toISOString(), to: new Date(NOW - 2 * DAY).toISOString() } }), ['b']],
      [oc({ window: { from: new Date(NOW - 10 * DAY + 1).toISOString(), to: new Date(NOW - 2 * DAY + 1).toISOString() } }), ['a']],
      [oc({ where: [{ property: 'amount', op: 'gte', value: 100 }] }), ['a']],
      [oc({ where: [{ property: 'amount', op: 'gt', value: 200 }], count: { op: 'at_least', value: 2 } }), []],
      [oc({ where: [{ property: 'amount', op: 'eq', value: '300' }] }), ['a']],
      [oc({ where: [{ property: 'channel', op: 'eq', value: '小程序' }] }), ['b']],
      [oc({ where: [{ property: 'channel', op: 'neq', value: 'app' }], count: { op: 'at_least', value: 2 } }), ['a', 'e']],
      [oc({ where: [{ property: 'tags', op: 'contains', value: 'gift' }] }), ['a']],
      [oc({ where: [{ property: "'; drop table events; --", op: 'exists' }] }), ['b']],
      [
        oc({
          where: [
            { property: 'amount', op: 'exists' },
            { property: 'channel', op: 'not_exists' },
          ],
        }),
        ['a', 'e'],
      ],
      [{ type: 'event', event: 'Viewed', where: [{ property: '0', op: 'exists' }] }, []],
      [{ type: 'last_performed', event: 'Order Completed', moreThanDays: 5 }, ['b']],
      [{ type: 'last_performed', event: 'Order Completed', moreThanDays: 0 }, ['a', 'b']],
      [{ type: 'last_performed', event: 'Order Completed', moreThanDays: 30, where: [{ property: 'amount', op: 'eq', value: '300' }] }, ['a']],
      [{ type: 'never_performed', event: 'Order Completed' }, ['c', 'd']],
      [{ type: 'never_performed', event: 'Order Completed', where: [{ property: 'amount', op: 'lt', value: 60 }] }, ['a', 'c', 'd']],
      [{ type: 'never_performed', event: 'Viewed' }, ['a', 'd', 'e']],
    ]);
  });

  it('model outputs, consent, segment membership and buckets', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    const data = dataset({
      profiles: [
        ...ids.map((id) => profile(id)),
        profile('a', { consent: { marketing_sms: { granted: true, at: 1 }, 'k"\\': { granted: false, at: 1 } } }),
        profile('b', { consent: { marketing_sms: { granted: false, at: 1 } } }),
        profile('c', { consent: { marketing_sms: 'granted', email: { granted: 'true' } } }),
      ],
      scores: [
        { profileId: 'a', rfmCell: 'important_value', lifecycleStage: 'active', communityRole: 'koc' },
        { profileId: 'b', rfmCell: 'general_winback', lifecycleStage: null, communityRole: 'lurker' },
        { profileId: 'c', rfmCell: null, lifecycleStage: 'churned', communityRole: null },
      ],
      segmentMembers: [
        { segmentId: 'seg_1', profileId: 'a' },
        { segmentId: 'seg_1', profileId: 'c' },
        { segmentId: 'seg_2', profileId: 'b' },
      ],
    });
    const bucketed = (from: number, to: number, salt?: string) =>
      [...ids, 'a', 'b', 'c'].filter((id) => bucketOf(salt ?? '', id) >= from && bucketOf(salt ?? '', id) < to);
    const halves = bucketed(0, 50, 'h');
    expect(halves.length).toBeGreaterThan(5);
    expect(halves.length).toBeLessThan(38);
    await expectMembers(data, [
      [{ type: 'rfm', cells: ['important_value', 'general_winback'] }, ['a', 'b']],
      [{ type: 'rfm', cells: ['general_value'] }, []],
      [{ type: 'lifecycle', stages: ['churned', 'new'] }, ['c']],
      [{ type: 'community_role', roles: ['koc', 'active'] }, ['a']],
      [{ type: 'not', rule: { type: 'community_role', roles: ['koc'] } }, [...ids, 'b', 'c']],
      [{ type: 'consent', key: 'marketing_sms', state: 'granted' }, ['a']],
      [{ type: 'consent', key: 'marketing_sms', state: 'denied' }, ['b']],
      [{ type: 'consent', key: 'marketing_sms', state: 'unknown' }, [...ids, 'c']],
      [{ type: 'consent', key: 'email', state: 'unknown' }, [...ids, 'a', 'b', 'c']],
      [{ type: 'consent', key: 'k"\\', state: 'denied' }, ['a']],
      [{ type: 'segment', segmentId: 'seg_1' }, ['a', 'c']],
      [{ type: 'segment', segmentId: 'seg_9' }, []],
      [{ type: 'bucket', from: 0, to: 50, salt: 'h' }, halves],
      [{ type: 'bucket', from: 50, to: 100, salt: 'h' }, [...ids, 'a', 'b', 'c'].filter((id) => !halves.includes(id))],
      [{ type: 'bucket', from: 0, to: 100 }, [...ids, 'a', 'b', 'c']],
      [{ type: 'bucket', from: 10, to: 30, salt: `'; drop table profiles; --😀` }, bucketed(10, 30, `'; drop table profiles; --😀`)],
    ]);
  });

  it("computes every profile's bucket as bucketOf does, in SQL", async () => {
    const ids = Array.from({ length: 60 }, () => newId('prof'));
    const ws = await seed(database, dataset({ profiles: ids.map((id) => profile(id)) }));
    for (const salt of ['', 'holdout', '会员"\\']) {
      const seen = new Map<string, number>();
      for (let b = 0; b < 100; b += 10) {
        for (const id of await select(database, ws, { type: 'bucket', from: b, to: b + 10, salt }, SHANGHAI)) seen.set(id, b);
      }
      expect(seen.size).toBe(ids.length);
      for (const id of ids) expect(seen.get(id)).toBe(Math.floor(bucketOf(salt, id) / 10) * 10);
    }
  });

  it('binds every value and identifier: hostile strings never reach the SQL text', async () => {
    const hostile = `'; drop table profiles; --`;
    const rule: Rule = {
      type: 'or',
      rules: [
        { type: 'trait', key: hostile, op: 'eq', value: hostile },
        { type: 'trait', key: `"]')`, op: 'contains', value: '%' },
        { type: 'trait', key: hostile, op: 'in', value: [hostile, 1] },
        { type: 'trait', key: hostile, op: 'birthday_in_days', days: 3 },
        { type: 'tag', tags: [{ id: hostile }, { group: hostile, name: hostile }], match: 'any' },
        { type: 'event', event: hostile, count: { op: 'at_least', value: 2 }, where: [{ property: hostile, op: 'gt', value: hostile }] },
        { type: 'consent', key: hostile, state: 'unknown' },
        { type: 'segment', segmentId: hostile },
        { type: 'bucket', from: 1, to: 2, salt: hostile },
      ],
    };
    const compiled = compileRule(rule, { workspaceId: 'ws', ...SHANGHAI }, database.dialect).compile(database.db);
    expect(compiled.sql).not.toContain('drop table');
    expect(compiled.sql).not.toContain(`"]')`);
    expect(compiled.parameters.filter((p) => typeof p === 'string' && p.includes(hostile)).length).toBeGreaterThanOrEqual(10);
    const ws = await seed(database, dataset({ profiles: [profile('a', { traits: { [hostile]: hostile } })] }));
    expect(await select(database, ws, rule, SHANGHAI)).toEqual(['a']);
    expect(await database.db.selectFrom('profiles').select('id').where('workspace_id', '=', ws).execute()).toHaveLength(1);
  });

  it('binds no more SQL parameters than the rule cost says, in every form (the estimate the limits are checked on)', () => {
    const forms = [{}, { range: { after: 'a', upTo: 'z' } }, { range: { after: 'a' } }, { wholeWorkspace: true }];
    const check = (rule: Rule) => {
      // Each node alone, and under OR and NOT (PostgreSQL compiles sets differently there).
      for (const r of [rule, { type: 'or', rules: [rule, { type: 'bucket', from: 0, to: 1 }] } as Rule, { type: 'not', rule } as Rule])
        for (const form of forms) {
          const compiled = compileRule(r, { workspaceId: 'w', ...SHANGHAI, ...form }, database.dialect).compile(database.db);
          expect(compiled.parameters.length, `${JSON.stringify(r)} ${JSON.stringify(form)}`).toBeLessThanOrEqual(ruleCost(r).parameters);
        }
    };
    // The costliest shape of every node type.
    const scalars = ['a', 1, true, false];
    const filters = [
      { property: 'p', op: 'in', value: scalars },
      { property: 'q', op: 'contains', value: 'x' },
    ] as const;
    const worst: Rule[] = [
      ...(['eq', 'neq', 'in', 'not_in', 'contains', 'lt', 'exists', 'not_exists'] as const).map((op): Rule => ({
        type: 'trait',
        key: 'k',
        op,
        value: op === 'in' || op === 'not_in' ? scalars : op.endsWith('exists') ? undefined : 'x',
      })),
      ...(['before', 'after', 'within_last_days', 'within_next_days', 'more_than_days_ago', 'birthday_in_days'] as const).map((op): Rule => ({
        type: 'trait',
        key: 'k',
        op,
        ...(op === 'before' || op === 'after' ? { value: '2026-01-01' } : { days: 30 }),
      })),
      { type: 'profile', field: 'order_count', op: 'not_in', value: [1, 2, 3] },
      { type: 'profile', field: 'last_seen_at', op: 'within_next_days', days: 3 },
      { type: 'tag', tags: [{ name: 'a' }, { group: 'g', name: 'b' }, { id: 't' }], match: 'any' },
      { type: 'tag', tags: [{ name: 'a' }, { group: 'g', name: 'b' }, { id: 't' }], match: 'all' },
      ...(['at_least', 'at_most', 'exactly'] as const).map((op): Rule => ({
        type: 'event',
        event: 'e',
        count: { op, value: 3 },
        window: { lastDays: 7 },
        where: [...filters],
      })),
      {
        type: 'event',
        event: 'e',
        count: { op: 'exactly', value: 0 },
        window: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
        where: [...filters],
      },
      { type: 'last_performed', event: 'e', moreThanDays: 3, where: [...filters] },
      { type: 'never_performed', event: 'e', where: [...filters] },
      { type: 'rfm', cells: [...RFM_CELLS] },
      { type: 'lifecycle', stages: [...LIFECYCLE_STAGES] },
      { type: 'community_role', roles: [...COMMUNITY_ROLES] },
      ...(['granted', 'denied', 'unknown'] as const).map((state): Rule => ({ type: 'consent', key: 'sms', state })),
      { type: 'segment', segmentId: 's' },
      { type: 'bucket', from: 1, to: 5, salt: 'x' },
    ];
    for (const rule of worst) {
      expect(validateRule(rule).ok, JSON.stringify(rule)).toBe(true);
      check(rule);
    }
    // And random trees.
    fc.assert(
      fc.property(arbScenario, ({ rules }) => {
        for (const rule of rules) check(rule);
      }),
      { numRuns: 100 },
    );
  });

  it('matches the reference evaluator on random data and rules, at every node of the tree', async () => {
    // Per node type: how often the node split the profiles (some in, some out). The test asserts
    // these, so that it cannot quietly degrade into comparing empty sets.
    const split = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(arbScenario, async ({ data, rules, ctx }) => {
        const ws = await seed(database, data);
        // The reference sees what storage gives back: JSON as parsed from its text.
        const stored = JSON.parse(JSON.stringify(data)) as ReferenceData;
        const live = stored.profiles.filter((p) => !p.mergedInto).length;
        const nodes: Rule[] = [];
        for (const root of rules) {
          const checked = validateRule(root);
          expect(checked.ok, JSON.stringify(checked)).toBe(true);
          walkRule(root, (n) => nodes.push(n));
        }
        // One query evaluates every node: a 0/1 column per node.
        const columns = nodes.map(
          (n, i) => sql`case when (${compileRule(n, { ...ctx, workspaceId: ws }, database.dialect)}) then 1 else 0 end as ${sql.raw(`r${i}`)}`,
        );
        const res = await sql<
          Record<string, unknown>
        >`select p.id, ${sql.join(columns)} from profiles as p where p.workspace_id = ${ws} and p.merged_into is null`.execute(database.db);
        // The range form (full recomputes): the same nodes over a slice of the id order, with the
        // tag, score and segment conditions read once for the range.
        const ids = sorted(res.rows.map((r) => r.id as string));
        const range = { after: ids[Math.floor(ids.length / 3)] ?? '', upTo: ids.length % 2 ? undefined : ids[Math.floor((2 * ids.length) / 3)] };
        const inRange = (id: string) => id > range.after && (range.upTo === undefined || id <= range.upTo);
        const rangeColumns = nodes.map(
          (n, i) => sql`case when (${compileRule(n, { ...ctx, workspaceId: ws, range }, database.dialect)}) then 1 else 0 end as ${sql.raw(`r${i}`)}`,
        );
        const upTo = range.upTo === undefined ? sql`` : sql` and p.id <= ${range.upTo}`;
        const ranged = await sql<Record<string, unknown>>`select p.id, ${sql.join(rangeColumns)} from profiles as p
          where p.workspace_id = ${ws} and p.merged_into is null and p.id > ${range.after}${upTo}`.execute(database.db);
        // The whole-workspace form (a recompute's scan): every subquery read once.
        const wholeColumns = nodes.map(
          (n, i) =>
            sql`case when (${compileRule(n, { ...ctx, workspaceId: ws, wholeWorkspace: true }, database.dialect)}) then 1 else 0 end as ${sql.raw(`r${i}`)}`,
        );
        const whole = await sql<
          Record<string, unknown>
        >`select p.id, ${sql.join(wholeColumns)} from profiles as p where p.workspace_id = ${ws} and p.merged_into is null`.execute(database.db);
        nodes.forEach((rule, i) => {
          const actual = sorted(res.rows.filter((r) => Number(r[`r${i}`]) === 1).map((r) => r.id as string));
          expect(
            sorted(whole.rows.filter((r) => Number(r[`r${i}`]) === 1).map((r) => r.id as string)),
            `whole-workspace form: ${JSON.stringify(rule)}`,
          ).toEqual(actual);
          const expected = sorted(evaluateReference(rule, stored, { ...ctx, workspaceId: ws }));
          expect(actual, JSON.stringify(rule)).toEqual(expected);
          const actualRanged = sorted(ranged.rows.filter((r) => Number(r[`r${i}`]) === 1).map((r) => r.id as string));
          expect(actualRanged, `range form: ${JSON.stringify(rule)}`).toEqual(expected.filter(inRange));
          if (expected.length > 0 && expected.length < live) split.set(rule.type, (split.get(rule.type) ?? 0) + 1);
        });
      }),
      { numRuns: 200 },
    );
    for (const type of RULE_TYPES) expect(split.get(type) ?? 0, `${type}: ${JSON.stringify([...split])}`).toBeGreaterThanOrEqual(5);
  });

  if (engine === 'postgres') {
    it('uses id sets only where it joins them: under NOT an anti-join, under OR no set at all (query plan)', async () => {
      // PostgreSQL joins an id set only at the top of the WHERE clause; `not (p.id in (<set>))`
      // is a subplan that, once the set outgrows work_mem, scans it again for every profile (at 1M
      // profiles it ran for more than ten minutes). NOT EXISTS at the top is an anti-join.
      const negated: Rule[] = [
        { type: 'never_performed', event: 'Order Completed' },
        { type: 'last_performed', event: 'Added to Cart', moreThanDays: 30 },
        { type: 'event', event: 'x', count: { op: 'at_most', value: 2 }, window: { lastDays: 30 } },
        { type: 'event', event: 'x', count: { op: 'exactly', value: 0 } },
        { type: 'not', rule: { type: 'tag', tags: [{ name: 'a' }], match: 'any' } },
        { type: 'not', rule: { type: 'rfm', cells: ['general_value'] } },
        { type: 'not', rule: { type: 'segment', segmentId: 's' } },
      ];
      const explain = async (where: ReturnType<typeof compileRule>) =>
        (
          await sql<{
            'QUERY PLAN': string;
          }>`explain select p.id from profiles as p where p.workspace_id = ${'w'} and p.merged_into is null and (${where})`.execute(database.db)
        ).rows
          .map((r) => r['QUERY PLAN'])
          .join('\n');
      for (const rule of negated) {
        const text = await explain(compileRule(rule, { workspaceId: 'w', ...SHANGHAI, wholeWorkspace: true }, database.dialect));
        expect(text, `${JSON.stringify(rule)}\n${text}`).toMatch(/Anti Join/);
        expect(text, `${JSON.stringify(rule)}\n${text}`).not.toMatch(/SubPlan/);
      }
      // Deeper under NOT or OR the per-profile EXISTS forms stand (the planner picks a hashed set
      // when it fits in memory, index probes otherwise), never `p.id in (<set>)`.
      const nested: Rule[] = [
        { type: 'not', rule: { type: 'tag', tags: [{ name: 'a' }, { name: 'b' }], match: 'any' } },
        {
          type: 'or',
          rules: [
            { type: 'event', event: 'x', count: { op: 'at_least', value: 2 } },
            { type: 'segment', segmentId: 's' },
          ],
        },
        {
          type: 'not',
          rule: {
            type: 'and',
            rules: [
              { type: 'lifecycle', stages: ['new'] },
              { type: 'event', event: 'x', window: { lastDays: 3 } },
            ],
          },
        },
      ];
      for (const rule of nested) {
        for (const form of [{ wholeWorkspace: true }, { range: { after: 'a', upTo: 'z' } }]) {
          const where = compileRule(rule, { workspaceId: 'w', ...SHANGHAI, ...form }, database.dialect);
          expect(where.compile(database.db).sql, JSON.stringify(rule)).not.toMatch(/p\.id in \(/);
          expect(await explain(where)).not.toMatch(/^\s*->\s+Materialize/m);
        }
      }
      // At the top, sets are joined as before.
      const top = compileRule(
        {
          type: 'and',
          rules: [
            { type: 'tag', tags: [{ name: 'a' }, { name: 'b' }], match: 'any' },
            { type: 'rfm', cells: ['general_value'] },
          ],
        },
        { workspaceId: 'w', ...SHANGHAI, wholeWorkspace: true },
        database.dialect,
      );
      expect(top.compile(database.db).sql).toMatch(/p\.id in \(/);
    });
  }

  if (engine === 'sqlite') {
    it('correlates every subquery on the indexes (query plan)', async () => {
      const rule: Rule = {
        type: 'and',
        rules: [
          { type: 'event', event: 'x', count: { op: 'at_least', value: 2 }, window: { lastDays: 3 } },
          { type: 'last_performed', event: 'x', moreThanDays: 3 },
          { type: 'tag', tags: [{ id: 't' }, { name: 'n' }], match: 'all' },
          { type: 'segment', segmentId: 's' },
          { type: 'rfm', cells: ['general_value'] },
        ],
      };
      const where = compileRule(rule, { workspaceId: 'w', ...SHANGHAI }, database.dialect);
      const plan = await sql<{
        detail: string;
      }>`explain query plan select p.id from profiles as p where p.workspace_id = ${'w'} and p.merged_into is null and (${where})`.execute(database.db);
      const details = plan.rows.map((r) => r.detail);
      const scans = details.filter((d) => /^SCAN (e|pt|t|g|m|s)\b/.test(d));
      expect(scans, details.join('\n')).toEqual([]);
      expect(details.some((d) => d.includes('events_profile_time'))).toBe(true);
    });
  }
});

describe('local dates', () => {
  it('startOfLocalDate is the first instant of the local date, in any zone', () => {
    const zones = [
      'Asia/Shanghai',
      'UTC',
      'America/New_York',
      'America/Santiago',
      'Australia/Lord_Howe',
      'Pacific/Kiritimati',
      'Pacific/Apia',
      'Asia/Kathmandu',
      'America/St_Johns',
      'Europe/London',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: Date.parse('1995-01-01'), max: Date.parse('2040-01-01') }), (zone, ms) => {
        const date = localDate(ms, zone);
        const start = startOfLocalDate(date, zone);
        expect(localDate(start, zone)).toBe(date);
        expect(localDate(start - 1, zone) < date).toBe(true);
        expect(start <= ms).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(startOfLocalDate('2026-03-10', 'Asia/Shanghai')).toBe(Date.parse('2026-03-09T16:00:00Z'));
    expect(startOfLocalDate('2026-03-09', 'America/New_York')).toBe(Date.parse('2026-03-09T04:00:00Z'));
    expect(startOfLocalDate('0001-01-01', 'UTC')).toBe(Date.parse('0001-01-01T00:00:00Z'));
  });

  it('addDays and birthday month-days', () => {
    expect(addDays('2026-12-30', 3)).toBe('2027-01-02');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('0001-01-02', -1)).toBe('0001-01-01');
    expect(birthdayMonthDays('2027-02-27', 2)).toEqual(['02-27', '02-28', '02-29', '03-01']);
    expect(birthdayMonthDays('2028-02-27', 2)).toEqual(['02-27', '02-28', '02-29']);
    expect(birthdayMonthDays('2026-03-10', 366)).toHaveLength(366);
  });

  it('bucketOf: md5 of salt:id, first 8 hex digits, mod 100', () => {
    // md5("s:p") = b130b2d9..., 0xb130b2d9 = 2972758745 (above 2^31: read unsigned).
    expect(bucketOf('s', 'p')).toBe(45);
    // md5(":x") = d610b2f0..., 0xd610b2f0 = 3591418608.
    expect(bucketOf('', 'x')).toBe(8);
  });
});

// ---------------------------------------------------------------------------------------------
// Generators for the property test: small datasets full of awkward strings and mixed JSON types,
// and valid rule trees (depth ≤ 4). Each scenario first draws a small palette of values; data
// and rules take most of their values from it, so that equality, `in` and `contains` match often.

const HOSTILE = [
  `'; drop table profiles; --`,
  '"',
  "'",
  '\\',
  '%',
  '_',
  'a%b_c',
  '😀',
  '！',
  '中文',
  '上海',
  'é',
  'e\u0301',
  'A',
  'a',
  '',
  ' ',
  'null',
  'true',
  '1',
  '$.a',
  '[0]',
  '__proto__',
  'constructor',
  'a\nb',
];
const CHARS = ['a', 'b', 'A', '%', '_', '"', "'", '\\', '😀', '中', '！', 'é', '-', '0', '9', ' ', '\u0301', '\uffff', '\u{10ffff}'];
const arbRawString = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.array(fc.constantFrom(...CHARS), { maxLength: 4 }).map((cs) => cs.join('')),
);
const arbRawNumber = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 5 }) },
  { weight: 1, arbitrary: fc.constantFrom(-2.5, 0.1, 0.30000000000000004, 1e21, 1e-7, 1.5) },
);
const KEYS = ['plan', 'age', 'tags', 'birthday', `'; drop table profiles; --`, 'a"b\\.[0]', '😀', '__proto__'];
const arbKey = fc.constantFrom(...KEYS);
// Property names that a naive JSON path would mangle (dots, brackets, quotes) or a naive object would inherit.
const arbProperty = fc.constantFrom('amount', 'channel', `%_'"`, 'a.b', '"[0]"', '中文', 'constructor');

const BASE = Date.parse('2026-06-01T00:00:00Z');
const ZONES = ['Asia/Shanghai', 'UTC', 'America/New_York', 'Pacific/Kiritimati', 'America/St_Johns', 'Australia/Lord_Howe'];
const EVENTS = ['Order Completed', 'Viewed', `'; drop table events; --`, '下单'];
const arbEventName = fc.oneof({ weight: 3, arbitrary: fc.constant(EVENTS[0]!) }, { weight: 2, arbitrary: fc.constantFrom(...EVENTS) });
const SEGMENTS = ['seg_a', 'seg_b', 'seg_c'];
const TAGS = [
  { id: 'tag_1', group: 'default', name: 'VIP' },
  { id: 'tag_2', group: 'default', name: '%' },
  { id: 'tag_3', group: `会员"'%`, name: 'VIP' },
  { id: 'tag_4', group: `会员"'%`, name: '金卡😀' },
];

/** An object built with Object.fromEntries, so "__proto__" becomes an own key as JSON.parse would make it. */
const arbObject = (key: fc.Arbitrary<string>, value: fc.Arbitrary<unknown>, maxLength = 5) =>
  fc.array(fc.tuple(key, value), { maxLength }).map((e) => Object.fromEntries(e) as Record<string, unknown>);

type Ctx = { now: number; timeZone: string };
type Palette = { scalars: (string | number | boolean)[]; dates: string[] };

/**
 * Values near the edges that matter: dates a few days from today, instants at and next to local
 * midnights and to `now - k days`, so that off-by-one errors in bounds show up.
 */
function edges(ctx: Ctx) {
  const today = localDate(ctx.now, ctx.timeZone);
  const arbDateString = fc.oneof(
    fc.tuple(fc.integer({ min: -4, max: 4 }), fc.constantFrom('', '', 'T23:30:00Z', 'T00:00:00+08:00', 'x'), fc.boolean()).map(([d, suffix, oldYear]) => {
      const date = addDays(today, d);
      return (oldYear ? '1990' + date.slice(4) : date) + suffix;
    }),
    fc.integer({ min: -450, max: 450 }).map((d) => addDays('2026-06-01', d)),
  );
  const arbTime = fc.oneof(
    fc.integer({ min: BASE - 400 * DAY, max: BASE + 400 * DAY }),
    fc.tuple(fc.integer({ min: -4, max: 4 }), fc.constantFrom(-1, 0, 1, 3_600_000)).map(([k, d]) => startOfLocalDate(addDays(today, k), ctx.timeZone) + d),
  );
  const arbEventTime = fc.oneof(
    fc.integer({ min: BASE - 60 * DAY, max: BASE + 5 * DAY }),
    fc.tuple(fc.integer({ min: -2, max: 40 }), fc.constantFrom(-1, 0, 1)).map(([k, d]) => ctx.now - k * DAY + d),
    fc.tuple(fc.integer({ min: -70, max: 50 }), fc.constantFrom(-1, 0, 1)).map(([k, d]) => BASE + k * DAY + d),
  );
  const arbDays = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 366 }) });
  return { arbDateString, arbTime, arbEventTime, arbDays };
}

function scenario(ctx: Ctx, palette: Palette) {
  const { arbDateString, arbTime, arbEventTime, arbDays } = edges(ctx);
  const arbMaybeTime = fc.option(arbTime, { nil: null });
  const strings = palette.scalars.filter((v): v is string => typeof v === 'string');
  const numbers = palette.scalars.filter((v): v is number => typeof v === 'number');
  const arbString = strings.length ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...strings) }, { weight: 1, arbitrary: arbRawString }) : arbRawString;
  const arbNumber = numbers.length ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...numbers) }, { weight: 1, arbitrary: arbRawNumber }) : arbRawNumber;
  const arbDate = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...palette.dates) },
    { weight: 1, arbitrary: arbDateString },
    { weight: 1, arbitrary: fc.constantFrom('2000-02-29', '1996-02-29T08:00:00Z') },
  );
  const arbScalar = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...palette.scalars) },
    { weight: 1, arbitrary: fc.oneof(arbRawString, arbRawNumber, fc.boolean()) },
  );
  const arbJson: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 6, arbitrary: arbScalar },
    { weight: 2, arbitrary: arbDate },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.array(fc.oneof(arbScalar, fc.constant(null), fc.constant([1])), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constant({ nested: 'x' }) },
  );

  const data: fc.Arbitrary<ReferenceData> = fc
    .record({
      profiles: fc.array(
        fc.record({
          // Each key present or not; Object.fromEntries makes "__proto__" an own key, as JSON.parse does.
          traits: fc
            .subarray(KEYS)
            .chain((keys) =>
              fc.tuple(...keys.map(() => arbJson)).map((values) => Object.fromEntries(keys.map((k, i) => [k, values[i]])) as Record<string, unknown>),
            ),
          consent: arbObject(
            fc.constantFrom('marketing_sms', 'email', 'a"b', '__proto__'),
            fc.oneof(
              fc.record({ granted: fc.boolean(), at: fc.constant(1) }),
              fc.constant('granted'),
              fc.record({ granted: fc.constantFrom('true', 1, null) }),
            ),
          ),
          orderCount: fc.integer({ min: 0, max: 5 }),
          totalSpentFen: fc.integer({ min: 0, max: 1000 }),
          firstPurchaseAt: arbMaybeTime,
          lastPurchaseAt: arbMaybeTime,
          firstSeenAt: arbMaybeTime,
          lastSeenAt: arbMaybeTime,
          merged: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
          tags: fc.subarray(TAGS.map((t) => t.id)),
          segments: fc.subarray(SEGMENTS.slice(0, 2)),
          score: fc.option(
            fc.record({
              rfmCell: fc.option(fc.constantFrom(...RFM_CELLS), { nil: null }),
              lifecycleStage: fc.option(fc.constantFrom(...LIFECYCLE_STAGES), { nil: null }),
              communityRole: fc.option(fc.constantFrom(...COMMUNITY_ROLES), { nil: null }),
            }),
            { nil: undefined },
          ),
          events: fc.array(
            fc.record({
              type: fc.constantFrom('track', 'track', 'track', 'page'),
              event: arbEventName,
              timestamp: arbEventTime,
              properties: fc.oneof(
                { weight: 5, arbitrary: arbObject(arbProperty, arbJson) },
                { weight: 1, arbitrary: fc.constantFrom(undefined, 'odd', [1, 'a']) },
              ),
            }),
            { maxLength: 6 },
          ),
        }),
        { minLength: 3, maxLength: 8 },
      ),
      // Random ids (deterministic per seed, so a failure replays): buckets depend on them.
      salt: fc.integer({ min: 0, max: 2 ** 31 }),
    })
    .map(({ profiles, salt }) => {
      const ids = profiles.map((_, i) => `prof_${salt.toString(36)}_${i}`);
      return dataset({
        profiles: profiles.map((p, i) => ({
          id: ids[i]!,
          mergedInto: p.merged && i > 0 ? ids[0]! : null,
          traits: p.traits,
          consent: p.consent,
          orderCount: p.orderCount,
          totalSpentFen: p.totalSpentFen,
          firstPurchaseAt: p.firstPurchaseAt,
          lastPurchaseAt: p.lastPurchaseAt,
          firstSeenAt: p.firstSeenAt,
          lastSeenAt: p.lastSeenAt,
        })),
        events: profiles.flatMap((p, i) => p.events.map((e) => ({ ...e, profileId: ids[i]! }))),
        tags: TAGS,
        profileTags: profiles.flatMap((p, i) => p.tags.map((tagId) => ({ profileId: ids[i]!, tagId }))),
        segmentMembers: profiles.flatMap((p, i) => p.segments.map((segmentId) => ({ segmentId, profileId: ids[i]! }))),
        scores: profiles.flatMap((p, i) => (p.score ? [{ profileId: ids[i]!, ...p.score }] : [])),
      });
    });

  const arbCompare = fc.oneof(
    fc.record({ op: fc.constantFrom('eq', 'neq'), value: arbScalar }),
    fc.record({ op: fc.constantFrom('lt', 'lte', 'gt', 'gte'), value: fc.oneof(arbString, arbNumber, arbDate) }),
    fc.record({ op: fc.constantFrom('in', 'not_in'), value: fc.array(arbScalar, { minLength: 1, maxLength: 4 }) }),
    fc.record({
      op: fc.constant('contains'),
      value: fc.oneof(
        arbString.filter((s) => s !== ''),
        arbNumber,
        fc.boolean(),
      ),
    }),
    fc.record({ op: fc.constantFrom('exists', 'not_exists') }),
  );
  const arbDateValue = fc.oneof(
    arbDate.map((d) => d.slice(0, 10)).filter((d) => validateRule({ type: 'trait', key: 'k', op: 'before', value: d }).ok),
    fc.constant('2026-06-01'),
  );
  const arbDateOp = (birthday: boolean) =>
    fc.oneof(
      fc.record({ op: fc.constantFrom('before', 'after'), value: arbDateValue }),
      fc.record({ op: fc.constantFrom('within_last_days', 'within_next_days', 'more_than_days_ago'), days: arbDays }),
      ...(birthday ? [fc.record({ op: fc.constant('birthday_in_days'), days: arbDays })] : []),
    );
  const arbFilters = fc.oneof(
    { weight: 2, arbitrary: fc.constant([]) },
    {
      weight: 3,
      arbitrary: fc.array(
        fc.tuple(arbProperty, arbCompare).map(([property, c]) => ({ property, ...c })),
        { minLength: 1, maxLength: 2 },
      ),
    },
  );

  const leaf: fc.Arbitrary<Rule> = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(arbKey, arbCompare).map(([key, c]) => ({ type: 'trait', key, ...c }) as Rule) },
    { weight: 3, arbitrary: fc.tuple(arbKey, arbDateOp(true)).map(([key, c]) => ({ type: 'trait', key, ...c }) as Rule) },
    {
      weight: 4,
      arbitrary: fc.oneof(
        fc
          .tuple(
            fc.constantFrom('order_count', 'total_spent_fen'),
            fc.constantFrom('eq', 'neq', 'lt', 'lte', 'gt', 'gte'),
            fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(2.5, 500, 999.5)),
          )
          .map(([field, op, value]) => ({ type: 'profile', field, op, value }) as Rule),
        fc
          .tuple(
            fc.constantFrom('order_count', 'total_spent_fen'),
            fc.constantFrom('in', 'not_in'),
            fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 3 }),
          )
          .map(([field, op, value]) => ({ type: 'profile', field, op, value }) as Rule),
        {
          weight: 3,
          arbitrary: fc
            .tuple(
              fc.constantFrom('first_purchase_at', 'last_purchase_at', 'first_seen_at', 'last_seen_at'),
              fc.oneof({ weight: 4, arbitrary: arbDateOp(false) }, { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('exists', 'not_exists') }) }),
            )
            .map(([field, c]) => ({ type: 'profile', field, ...c }) as Rule),
        },
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.array(
            fc.oneof(
              fc.constantFrom(...TAGS.map((t) => ({ id: t.id }))),
              fc.constant({ id: 'tag_nope' }),
              fc.constantFrom(...TAGS.map((t) => (t.group === 'default' ? { name: t.name } : { group: t.group, name: t.name }))),
            ),
            {
              minLength: 1,
              maxLength: 3,
            },
          ),
          fc.constantFrom('all', 'any'),
        )
        .map(([tags, match]) => ({ type: 'tag', tags, match }) as Rule),
    },
    {
      weight: 3,
      arbitrary: fc
        .record(
          {
            event: arbEventName,
            count: fc.record({ op: fc.constantFrom('at_least', 'at_most', 'exactly'), value: fc.integer({ min: 0, max: 3 }) }),
            window: fc.oneof(
              fc.record({ lastDays: fc.integer({ min: 1, max: 40 }) }),
              fc
                .tuple(fc.integer({ min: -70, max: 10 }), fc.integer({ min: 1, max: 40 }))
                .map(([from, len]) => ({ from: new Date(BASE + from * DAY).toISOString(), to: new Date(BASE + (from + len) * DAY).toISOString() })),
            ),
            where: arbFilters,
          },
          { requiredKeys: ['event'] },
        )
        .map((r) => ({ type: 'event', ...r }) as Rule),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({ event: arbEventName, moreThanDays: fc.integer({ min: 0, max: 40 }), where: arbFilters }, { requiredKeys: ['event', 'moreThanDays'] })
        .map((r) => ({ type: 'last_performed', ...r }) as Rule),
    },
    {
      weight: 1,
      arbitrary: fc.record({ event: arbEventName, where: arbFilters }, { requiredKeys: ['event'] }).map((r) => ({ type: 'never_performed', ...r }) as Rule),
    },
    { weight: 1, arbitrary: fc.subarray([...RFM_CELLS], { minLength: 1 }).map((cells) => ({ type: 'rfm', cells }) as Rule) },
    { weight: 1, arbitrary: fc.subarray([...LIFECYCLE_STAGES], { minLength: 1 }).map((stages) => ({ type: 'lifecycle', stages }) as Rule) },
    { weight: 1, arbitrary: fc.subarray([...COMMUNITY_ROLES], { minLength: 1 }).map((roles) => ({ type: 'community_role', roles }) as Rule) },
    {
      weight: 1,
      arbitrary: fc
        .record({ key: fc.constantFrom('marketing_sms', 'email', 'a"b', '__proto__'), state: fc.constantFrom('granted', 'denied', 'unknown') })
        .map((r) => ({ type: 'consent', ...r }) as Rule),
    },
    { weight: 1, arbitrary: fc.constantFrom(...SEGMENTS).map((segmentId) => ({ type: 'segment', segmentId }) as Rule) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 100 }), fc.option(arbRawString, { nil: undefined }))
        .map(([a, b, salt]) => ({ type: 'bucket', from: Math.min(a, b - 1), to: Math.max(b, a + 1), ...(salt === undefined ? {} : { salt }) }) as Rule),
    },
  );

  // Buckets whose bounds sit exactly on the profiles' own bucket values.
  const bucketAt = (d: ReferenceData) =>
    fc
      .tuple(fc.option(arbRawString, { nil: undefined }), fc.constantFrom(...d.profiles.map((p) => p.id)), fc.constantFrom(0, 1), fc.boolean())
      .map(([salt, id, plus, isFrom]) => {
        const b = Math.min(99, bucketOf(salt ?? '', id) + plus);
        const [from, to] = isFrom ? [b, 100] : [0, Math.max(1, b)];
        return { type: 'bucket', from, to, ...(salt === undefined ? {} : { salt }) } as Rule;
      });

  const rules = (d: ReferenceData) =>
    fc.letrec<{ rule: Rule }>((tie) => ({
      rule: fc.oneof(
        { maxDepth: 3, depthIdentifier: 'rule' },
        { weight: 3, arbitrary: fc.oneof({ weight: 20, arbitrary: leaf }, { weight: 1, arbitrary: bucketAt(d) }) },
        fc.array(tie('rule'), { minLength: 1, maxLength: 3 }).map((rs) => ({ type: 'and', rules: rs }) as Rule),
        fc.array(tie('rule'), { minLength: 1, maxLength: 3 }).map((rs) => ({ type: 'or', rules: rs }) as Rule),
        tie('rule').map((r) => ({ type: 'not', rule: r }) as Rule),
      ),
    })).rule;

  // A few trees, and many single leaves (cheap to generate, and where the edge cases live).
  return data.chain((d) =>
    fc.record({
      data: fc.constant(d),
      rules: fc
        .tuple(fc.array(rules(d), { minLength: 1, maxLength: 3 }), fc.array(leaf, { minLength: 5, maxLength: 20 }))
        .map(([trees, leaves]) => [...trees, ...leaves]),
      ctx: fc.constant(ctx),
    }),
  );
}

const arbScenario = fc
  .record({
    // Mostly around BASE; sometimes near the end of February, for 29 February birthdays.
    now: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: BASE - 30 * DAY, max: BASE + 30 * DAY }) },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.constantFrom('2027-02-27', '2028-02-27'), fc.integer({ min: -2 * DAY, max: 2 * DAY })).map(([d, ms]) => Date.parse(d) + ms),
      },
    ),
    timeZone: fc.constantFrom(...ZONES),
  })
  .chain((ctx) =>
    fc
      .record({
        // Always one astral and one high-BMP string (UTF-16 and code point order disagree on them),
        // and a number or boolean with its string look-alike (1 and "1", true and "true").
        scalars: fc
          .tuple(
            fc.constantFrom('😀', '\u{10ffff}', '😀a'),
            fc.constantFrom('！', '\uffff', '\ue000'),
            fc.oneof(arbRawNumber, fc.boolean()),
            fc.array(fc.oneof(arbRawString, arbRawString, arbRawNumber, fc.boolean()), { maxLength: 2 }),
          )
          .map(([astral, high, scalar, rest]) => [astral, high, scalar, String(scalar), ...rest]),
        dates: fc.array(edges(ctx).arbDateString, { minLength: 2, maxLength: 3 }),
      })
      .chain((palette) => scenario(ctx, palette)),
  );
