import { sql } from 'kysely';
import { type Identifier, type RuleBook, sortByPriority } from '../../src/cdp/identifiers.js';
import type { TrackedEvent } from '../../src/cdp/tracking.js';
import type { Database } from '../../src/platform/db/database.js';
import { createRandom, type Random } from './random.js';

/**
 * The segments benchmark's population, written straight into Siyu's tables (not through
 * ingestion: the benchmark measures segmentation). Everything derives from the seed and the
 * fixed `NOW`, so two runs with the same options hold the same rows, ids included.
 *
 * Per profile: traits `city` (30 values, Chinese names first, Zipf-weighted), `plan` (free 60%,
 * basic 20%, pro 12%, vip 8%), `age` (95%), `gender` (95%), `birthday` (70%); a `user_id`
 * identity; `eventsPerProfile` track events on average (between 1 and 2n-1, paired so the total
 * is exact) spread over an activity span that ends 0-365 days before NOW. 45% of profiles are
 * buyers: a fifth of their events are `Order Completed` (properties.total in yuan, order_id),
 * stored also as `orders` rows and summed into the profile's order aggregates; buyers get a
 * `profile_scores` row (RFM cell and lifecycle stage from fixed thresholds). 20% of profiles
 * carry one or two tags.
 */

/** The benchmark's "now": 2026-11-01 12:00 in Asia/Shanghai. */
export const NOW = Date.UTC(2026, 10, 1, 4, 0, 0);
export const DAY = 86_400_000;
/**
 * Generated event times sit 30 s past a whole minute before NOW, so a window bound computed from
 * a clock that moved by less than 30 s (the incremental phase) never falls on an event.
 */
const MINUTE = 60_000;
const OFFSET = 30_000;

export const CITIES = [
  '上海',
  '北京',
  '广州',
  '深圳',
  '杭州',
  '成都',
  '重庆',
  '武汉',
  '南京',
  '苏州',
  '西安',
  '天津',
  '长沙',
  '郑州',
  '青岛',
  '东莞',
  '宁波',
  '佛山',
  '合肥',
  '昆明',
  '厦门',
  '福州',
  '济南',
  '沈阳',
  '大连',
  'Hong Kong',
  'Singapore',
  'Taipei',
  'Kuala Lumpur',
  'Tokyo',
] as const;
export const PLANS = ['free', 'basic', 'pro', 'vip'] as const;
/** Tag catalogue: [group, name]. */
export const TAGS = [
  ['default', 'VIP'],
  ['default', '高潜客户'],
  ['interest', '美妆'],
  ['interest', '母婴'],
  ['interest', '数码'],
  ['interest', '运动'],
  ['channel', '小红书'],
  ['channel', '抖音'],
] as const;
const CATEGORIES = ['美妆', '母婴', '数码', '运动', '食品', '家居', '服饰'] as const;
export const EVENT_NAMES = ['Page Viewed', 'Product Viewed', 'Added to Cart', 'Order Completed'] as const;
/** Deterministic ids of the generated rows (Siyu's own look like `prf_` + a 26-character ULID). */
export const profileId = (i: number) => `prf_0B${String(i).padStart(24, '0')}`;
export const userId = (i: number) => `u${String(i).padStart(8, '0')}`;
export const tagId = (k: number) => `tag_0B${String(k).padStart(24, '0')}`;
const tagGroupId = (g: string) => `tgg_0B_${g}`;

/** Weighted pick: `weights` need not sum to 1. */
function weighted<T>(r: Random, items: readonly T[], weights: readonly number[]): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = r.next() * total;
  for (let i = 0; i < items.length; i++) {
    x -= weights[i]!;
    if (x < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}
const CITY_WEIGHTS = CITIES.map((_, k) => 1 / (k + 2));

/** Traits of a profile, also used by the incremental phase to pick changed values. */
export function randomTraits(r: Random): Record<string, unknown> {
  const t: Record<string, unknown> = { city: weighted(r, CITIES, CITY_WEIGHTS), plan: weighted(r, PLANS, [60, 20, 12, 8]) };
  const age = 18 + r.int(48);
  if (r.chance(0.95)) t.age = age;
  if (r.chance(0.95)) t.gender = r.chance(0.58) ? 'female' : 'male';
  if (r.chance(0.7)) {
    const year = 2026 - age;
    const month = 1 + r.int(12);
    const day = 1 + r.int(28);
    t.birthday = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  }
  return t;
}

/** Order total in yuan (two decimals), log-uniform between 19.9 and ~2,000. */
export function orderTotal(r: Random): number {
  return Math.round(19.9 * Math.exp(r.next() * Math.log(100)) * 100) / 100;
}

/** RFM scores 1-5 from fixed thresholds (the model's speed is not measured here), and the cell. */
function rfm(now: number, lastPurchase: number, orders: number, spentFen: number): { r: number; f: number; m: number; cell: string } {
  const days = (now - lastPurchase) / DAY;
  const r = days <= 30 ? 5 : days <= 90 ? 4 : days <= 180 ? 3 : days <= 270 ? 2 : 1;
  const f = orders >= 6 ? 5 : orders >= 4 ? 4 : orders;
  const m = spentFen >= 200_000 ? 5 : spentFen >= 100_000 ? 4 : spentFen >= 50_000 ? 3 : spentFen >= 20_000 ? 2 : 1;
  const hi = (s: number) => s >= 3;
  const cell = `${hi(m) ? 'important' : 'general'}_${hi(r) ? (hi(f) ? 'value' : 'develop') : hi(f) ? 'retain' : 'winback'}`;
  return { r, f, m, cell };
}

function lifecycle(now: number, first: number, last: number, orders: number, spentFen: number): string {
  if (now - last > 180 * DAY) return 'churned';
  if (now - last > 90 * DAY) return 'silent';
  if (now - first <= 30 * DAY) return 'new';
  if (orders >= 3 || spentFen >= 100_000) return 'loyal';
  return 'active';
}

export interface PopulationStats {
  profiles: number;
  events: number;
  orders: number;
  buyers: number;
  tagged: number;
  profileTags: number;
  /** Time inserting rows (transactions included), ms. */
  insertMs: number;
  /** Time rebuilding the events indexes after the load, ms. */
  indexMs: number;
  /** Time of ANALYZE (PostgreSQL only, as Siyu's writer runs it), ms. */
  analyzeMs: number;
}

/** Secondary indexes of a table as (name, CREATE statement), read from the engine's catalogue. */
async function secondaryIndexes(database: Database, table: string): Promise<{ name: string; ddl: string }[]> {
  if (database.dialect.engine === 'sqlite') {
    const rows = await sql<{
      name: string;
      sql: string;
    }>`select name, sql from sqlite_master where type = 'index' and tbl_name = ${table} and sql is not null`.execute(database.db);
    return rows.rows.map((r) => ({ name: r.name, ddl: r.sql }));
  }
  const rows = await sql<{ name: string; ddl: string }>`select i.relname as name, pg_get_indexdef(i.oid) as ddl from pg_index x
    join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
    where t.relname = ${table} and t.relnamespace = current_schema()::regnamespace and not x.indisprimary`.execute(database.db);
  return rows.rows;
}

/**
 * Writes the population of `ws` in transactions of `chunk` profiles (memory stays flat). The
 * secondary indexes of `events` are dropped during the load and rebuilt from their own
 * definitions afterwards (a sorted build instead of ten million random inserts); the rows end up
 * the same as with the indexes kept. Returns counts and timings.
 */
export async function generatePopulation(
  database: Database,
  ws: string,
  opts: { profiles: number; eventsPerProfile: number; seed: number; chunk?: number; onProgress?: (profiles: number, events: number) => void },
): Promise<PopulationStats> {
  const { db, dialect } = database;
  const r = createRandom(opts.seed);
  const chunk = opts.chunk ?? 1000;
  const epp = opts.eventsPerProfile;
  const stats: PopulationStats = { profiles: 0, events: 0, orders: 0, buyers: 0, tagged: 0, profileTags: 0, insertMs: 0, indexMs: 0, analyzeMs: 0 };

  const created = NOW - 730 * DAY;
  await db.transaction().execute(async (trx) => {
    const groups = [...new Set(TAGS.map(([g]) => g))];
    await dialect.insertMany(
      trx,
      'tag_groups',
      groups.map((g) => ({ workspace_id: ws, id: tagGroupId(g), name: g, created_at: created })),
    );
    await dialect.insertMany(
      trx,
      'tags',
      TAGS.map(([g, name], k) => ({ workspace_id: ws, id: tagId(k), group_id: tagGroupId(g), name, created_at: created })),
    );
  });

  const indexes = await secondaryIndexes(database, 'events');
  for (const ix of indexes) await sql`drop index ${sql.ref(ix.name)}`.execute(db);

  let seq = 0;
  let orderSeq = 0;
  let pairCount = 0;
  for (let from = 0; from < opts.profiles; from += chunk) {
    const profiles: Record<string, unknown>[] = [];
    const identities: Record<string, unknown>[] = [];
    const events: Record<string, unknown>[] = [];
    const orders: Record<string, unknown>[] = [];
    const tags: Record<string, unknown>[] = [];
    const scores: Record<string, unknown>[] = [];
    for (let i = from; i < Math.min(from + chunk, opts.profiles); i++) {
      const id = profileId(i);
      const uid = userId(i);
      const createdAt = created + Math.floor((i * 365 * DAY) / opts.profiles);
      const traits = randomTraits(r);
      // Paired counts: profile 2k draws c in [1, 2n-1], profile 2k+1 gets 2n-c, so the total is exact.
      let count = epp;
      if (i % 2 === 0 && i + 1 < opts.profiles) count = pairCount = 1 + r.int(2 * epp - 1);
      else if (i % 2 === 1) count = 2 * epp - pairCount;
      const buyer = r.chance(0.45);
      // Activity span ending 0-365 days before NOW (more recent ends more likely), up to 180 days long.
      const endMin = Math.floor(r.next() * r.next() * 365 * 1440);
      const spanMin = Math.floor(r.next() * 180 * 1440);
      let first = Infinity;
      let last = -Infinity;
      let orderCount = 0;
      let spent = 0;
      let firstBuy = Infinity;
      let lastBuy = -Infinity;
      for (let k = 0; k < count; k++) {
        const minutesAgo = Math.min(365 * 1440 - 1, endMin + r.int(spanMin + 1));
        const ts = NOW - OFFSET - minutesAgo * MINUTE;
        first = Math.min(first, ts);
        last = Math.max(last, ts);
        const name = buyer ? weighted(r, EVENT_NAMES, [35, 30, 15, 20]) : weighted(r, EVENT_NAMES, [50, 35, 15, 0]);
        let props: string;
        if (name === 'Order Completed') {
          const orderId = `o${String(orderSeq++).padStart(9, '0')}`;
          const total = orderTotal(r);
          const fen = Math.round(total * 100);
          props = `{"order_id":"${orderId}","total":${total},"currency":"CNY","products":${1 + r.int(4)}}`;
          orderCount++;
          spent += fen;
          firstBuy = Math.min(firstBuy, ts);
          lastBuy = Math.max(lastBuy, ts);
          orders.push({ workspace_id: ws, order_id: orderId, profile_id: id, message_id: messageId(seq), total_fen: fen, currency: 'CNY', ordered_at: ts });
        } else if (name === 'Page Viewed') {
          props = `{"path":"/c/${r.int(200)}","referrer":"${r.chance(0.5) ? 'weixin' : ''}"}`;
        } else {
          const cat = r.pick(CATEGORIES);
          props = `{"product_id":"sku-${r.int(50_000)}","category":"${cat}","price":${19 + r.int(500) + 0.9}${name === 'Added to Cart' ? `,"quantity":${1 + r.int(3)}` : ''}}`;
        }
        const mid = messageId(seq++);
        const iso = new Date(ts).toISOString();
        events.push({
          workspace_id: ws,
          message_id: mid,
          profile_id: id,
          type: 'track',
          event: name,
          user_id: uid,
          anonymous_id: null,
          timestamp: ts,
          received_at: ts,
          payload: `{"type":"track","event":"${name}","properties":${props},"messageId":"${mid}","userId":"${uid}","timestamp":"${iso}","context":{"library":{"name":"analytics.js","version":"4.1.0"}},"receivedAt":"${iso}"}`,
        });
      }
      const traitTimes = Object.fromEntries(Object.keys(traits).map((k) => [k, createdAt]));
      profiles.push({
        workspace_id: ws,
        id,
        merged_into: null,
        traits: JSON.stringify(traits),
        trait_times: JSON.stringify(traitTimes),
        consent: '{}',
        first_seen_at: first,
        last_seen_at: last,
        order_count: orderCount,
        total_spent_fen: spent,
        first_purchase_at: orderCount ? firstBuy : null,
        last_purchase_at: orderCount ? lastBuy : null,
        created_at: createdAt,
        updated_at: Math.max(createdAt, last),
      });
      identities.push({
        workspace_id: ws,
        id_type: 'user_id',
        id_key: uid,
        profile_id: id,
        value_enc: null,
        first_seen_at: createdAt,
        source_message_id: null,
      });
      if (orderCount) {
        stats.buyers++;
        const s = rfm(NOW, lastBuy, orderCount, spent);
        const at = NOW - 3_600_000;
        scores.push({
          workspace_id: ws,
          profile_id: id,
          r: s.r,
          f: s.f,
          m: s.m,
          rfm_cell: s.cell,
          rfm_at: at,
          lifecycle_stage: lifecycle(NOW, firstBuy, lastBuy, orderCount, spent),
          lifecycle_at: at,
          community_role: null,
          community_score: null,
          community_at: null,
        });
      }
      if (r.chance(0.2)) {
        stats.tagged++;
        const a = r.int(TAGS.length);
        const picked = r.chance(0.3) ? [a, (a + 1 + r.int(TAGS.length - 1)) % TAGS.length] : [a];
        for (const k of picked) tags.push({ workspace_id: ws, profile_id: id, tag_id: tagId(k), source: 'import', created_at: createdAt });
      }
      stats.events += count;
    }
    const t = performance.now();
    await db.transaction().execute(async (trx) => {
      await dialect.insertMany(trx, 'profiles', profiles);
      await dialect.insertMany(trx, 'identities', identities);
      await dialect.insertMany(trx, 'events', events);
      await dialect.insertMany(trx, 'orders', orders);
      await dialect.insertMany(trx, 'profile_tags', tags);
      await dialect.insertMany(trx, 'profile_scores', scores);
    });
    stats.insertMs += performance.now() - t;
    // Kysely's SQLite calls resolve as microtasks only: let Node handle signals (Ctrl-C) between chunks.
    await new Promise<void>((resolve) => setImmediate(resolve));
    stats.profiles += profiles.length;
    stats.orders += orders.length;
    stats.profileTags += tags.length;
    opts.onProgress?.(stats.profiles, stats.events);
  }

  let t = performance.now();
  for (const ix of indexes) await sql.raw(ix.ddl).execute(db);
  stats.indexMs = performance.now() - t;
  if (dialect.engine === 'postgres') {
    // Siyu's writer runs ANALYZE on the ingest tables as they grow; a bulk load must do the same.
    t = performance.now();
    await sql`analyze`.execute(db);
    stats.analyzeMs = performance.now() - t;
  }
  return stats;
}

/** Deterministic message ids of generated events, in insertion order. */
function messageId(seq: number): string {
  return `gen_${String(seq).padStart(12, '0')}`;
}

/** What the incremental stream produced, by kind. */
export interface IncrementalMix {
  sessions: number;
  existingProfiles: number;
  newProfiles: number;
  logins: number;
  traitChanges: number;
  orders: number;
}

/**
 * New events for the incremental phase, in sessions: 70% an existing profile (1-5 track events,
 * an Order Completed in 12% of events; 20% of sessions also change the plan or the city, a few
 * grant SMS consent), 25% a new user (an identify with traits, then 1-4 events), 5% an anonymous
 * visitor who browses and then logs in as an existing user (a merge). `next(n, now)` returns the
 * next `n` events stamped `now` (sessions may straddle batches, as they do in production).
 */
export function incrementalStream(opts: { profiles: number; seed: number; rules: RuleBook }) {
  const r = createRandom(opts.seed ^ 0x5eed);
  const mix: IncrementalMix = { sessions: 0, existingProfiles: 0, newProfiles: 0, logins: 0, traitChanges: 0, orders: 0 };
  const pending: Omit<TrackedEvent, 'timestamp' | 'receivedAt' | 'payload'>[] = [];
  let seq = 0;
  let newUsers = 0;
  let anons = 0;

  const ids = (user: string | null, anon: string | null): Identifier[] =>
    sortByPriority([...(user ? [{ type: 'user_id', value: user }] : []), ...(anon ? [{ type: 'anonymous_id', value: anon }] : [])], opts.rules);
  const track = (user: string | null, anon: string | null, name: string) => {
    const e: (typeof pending)[number] = {
      messageId: `inc_${String(seq++).padStart(10, '0')}`,
      type: 'track',
      event: name,
      userId: user,
      anonymousId: anon,
      identifiers: ids(user, anon),
    };
    if (name === 'Order Completed') {
      mix.orders++;
      e.order = { orderId: `x${String(seq).padStart(10, '0')}`, totalFen: Math.round(orderTotal(r) * 100), currency: 'CNY' };
    }
    pending.push(e);
  };
  const identify = (user: string, anon: string | null, traits: Record<string, unknown>, consent?: Record<string, boolean>) => {
    pending.push({
      messageId: `inc_${String(seq++).padStart(10, '0')}`,
      type: 'identify',
      event: null,
      userId: user,
      anonymousId: anon,
      identifiers: ids(user, anon),
      traits,
      ...(consent && { consent }),
    });
  };
  const browse = (user: string | null, anon: string | null, n: number) => {
    for (let k = 0; k < n; k++) track(user, anon, r.chance(0.12) ? 'Order Completed' : weighted(r, EVENT_NAMES.slice(0, 3), [45, 35, 20]));
  };

  const session = () => {
    mix.sessions++;
    const kind = r.next();
    if (kind < 0.7) {
      mix.existingProfiles++;
      const user = userId(r.int(opts.profiles));
      if (r.chance(0.2)) {
        mix.traitChanges++;
        const change = r.chance(0.5) ? { plan: weighted(r, PLANS, [30, 30, 25, 15]) } : { city: weighted(r, CITIES, CITY_WEIGHTS) };
        identify(user, null, change, r.chance(0.25) ? { marketing_sms: true } : undefined);
      }
      browse(user, null, 1 + r.int(5));
    } else if (kind < 0.95) {
      mix.newProfiles++;
      const user = `n${String(newUsers++).padStart(8, '0')}`;
      identify(user, null, randomTraits(r), r.chance(0.3) ? { marketing_sms: true } : undefined);
      browse(user, null, 1 + r.int(4));
    } else {
      mix.logins++;
      const anon = `anon-${String(anons++).padStart(8, '0')}`;
      browse(null, anon, 1 + r.int(3));
      identify(userId(r.int(opts.profiles)), anon, {});
    }
  };

  return {
    mix,
    next(n: number, now: number): TrackedEvent[] {
      while (pending.length < n) session();
      return pending.splice(0, n).map((e) => {
        const body =
          e.type === 'identify'
            ? `"traits":${JSON.stringify(e.traits ?? {})}`
            : `"event":"${e.event}","properties":${e.order ? `{"order_id":"${e.order.orderId}","total":${e.order.totalFen / 100},"currency":"CNY"}` : '{}'}`;
        const iso = new Date(now).toISOString();
        const payload = `{"type":"${e.type}","messageId":"${e.messageId}"${e.userId ? `,"userId":"${e.userId}"` : ''}${e.anonymousId ? `,"anonymousId":"${e.anonymousId}"` : ''},${body},"timestamp":"${iso}","receivedAt":"${iso}"}`;
        return { ...e, timestamp: now, receivedAt: now, payload };
      });
    },
  };
}
