/**
 * The demo brand's customers and orders as import rows (docs/import.md shapes), generated from a
 * seed and an anchor time only: the same seed, scale and anchor give the same rows, byte for byte.
 */
import { COFFEE, DEMO_APP_ID, DROPS, type DemoProduct, type DemoStore, GIVEN, PHONE_PREFIXES, STORES, SURNAMES, TAG_GROUPS, TOYS } from './brand.js';
import { childSeed, createPrng, type Prng } from './prng.js';

const DAY = 86_400_000;
/** Asia/Shanghai has no daylight saving: local hours are UTC + 8. */
const SHANGHAI_OFFSET = 8 * 3_600_000;

/** What the generator is asked for. */
export interface GenerateOptions {
  seed: number;
  customers: number;
  /** The anchor time (UTC millis): orders fall in the year before it. */
  now: number;
}

/** A profile import row (NDJSON): identifier columns, traits, tags, the time it was true. */
export type ProfileRow = Record<string, unknown> & { tags: string[]; timestamp: string };
/** An order import row (NDJSON): order id, who, total, time, products, status and properties. */
export type OrderRow = Record<string, unknown> & { order_id: string; total: number; ordered_at: string };

/** The generated demo data. */
export interface DemoData {
  profiles: ProfileRow[];
  orders: OrderRow[];
}

type Persona = 'coffee' | 'toys' | 'both';

/** One customer's identity and habits, drawn first so orders can follow from them. */
interface Customer {
  index: number;
  persona: Persona;
  store: DemoStore;
  key: Record<string, string>;
  /** The window in which the customer buys (churned customers stop early). */
  from: number;
  to: number;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const fen = (f: number) => Math.round(f) / 100;

/** Generates every customer and their year of orders. */
export function generateDemo(opts: GenerateOptions): DemoData {
  const profiles: ProfileRow[] = [];
  const orders: OrderRow[] = [];
  for (let i = 0; i < opts.customers; i++) {
    const rng = createPrng(childSeed(opts.seed, i));
    const { customer, row } = drawCustomer(rng, i, opts);
    const own = drawOrders(rng, customer, opts.now);
    if (customer.persona !== 'coffee' && own.length >= 6) row.tags.push(`${TAG_GROUPS.community}/KOC`);
    const consent = drawConsent(opts.seed, i, row);
    if (consent) row.consent = consent;
    profiles.push(row);
    orders.push(...own);
  }
  return { profiles, orders };
}

/** Consent draws have a stream of their own, so the customers and orders are what they were before consent was added. */
const CONSENT_SALT = 0xc0_45e7;

/**
 * Marketing consent as the member sign-up recorded it (PIPL: marketing needs an opt-in): SMS for
 * most customers with a phone, WeCom for most with WeChat; a few said no; the rest were never asked.
 */
function drawConsent(seed: number, i: number, row: ProfileRow): Record<string, boolean> | undefined {
  const rng = createPrng(childSeed(seed ^ CONSENT_SALT, i));
  const consent: Record<string, boolean> = {};
  const draw = (key: string, has: boolean, yes: number, no: number) => {
    const r = rng.next();
    if (has && r < yes) consent[key] = true;
    else if (has && r < yes + no) consent[key] = false;
  };
  draw('marketing_sms', row.phone !== undefined, 0.82, 0.06);
  draw('marketing_wecom', row.unionid !== undefined, 0.75, 0.05);
  return Object.keys(consent).length ? consent : undefined;
}

/** Identifiers across WeChat, app and stores; traits; tags. */
function drawCustomer(rng: Prng, i: number, opts: GenerateOptions): { customer: Customer; row: ProfileRow } {
  const persona = rng.weighted<Persona>([
    ['coffee', 70],
    ['toys', 12],
    ['both', 18],
  ]);
  const store = persona === 'coffee' ? rng.pick(STORES) : rng.pick(STORES.filter((s) => s.toys));
  const key: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const hasPhone = rng.chance(0.9);
  if (hasPhone) ids.phone = `${rng.pick(PHONE_PREFIXES)}${pad((i * 7919 + opts.seed) % 100_000_000, 8)}`;
  if (rng.chance(0.85)) ids.member_id = `M${pad(i + 1, 8)}`;
  if (rng.chance(0.8)) ids.unionid = `oDemoU${pad(i + 1, 8)}${(opts.seed % 1000).toString(36)}`;
  if (rng.chance(0.7)) ids[`openid:${DEMO_APP_ID}`] = `oDemoO${pad(i + 1, 8)}`;
  if (rng.chance(0.4) || (!hasPhone && !ids.member_id)) ids.user_id = `app_${pad(i + 1, 8)}`;
  for (const k of ['member_id', 'user_id', 'phone'] as const) {
    if (ids[k] !== undefined) {
      key[k] = ids[k];
      break;
    }
  }
  const signedUp = opts.now - rng.int(20, 420) * DAY - rng.int(0, DAY - 1);
  const from = Math.max(signedUp, opts.now - 365 * DAY);
  const churned = rng.chance(0.3);
  const to = churned ? from + rng.next() * (opts.now - from) * 0.6 : opts.now;
  const tags = [`${TAG_GROUPS.store}/${store.name}`];
  if (persona !== 'toys') tags.push(`${TAG_GROUPS.brand}/咖啡`);
  if (persona !== 'coffee') tags.push(`${TAG_GROUPS.brand}/潮玩`);
  if (persona !== 'coffee' && rng.chance(0.6)) tags.push(`${TAG_GROUPS.community}/潮玩粉丝群`);
  if (persona !== 'toys' && rng.chance(0.4)) tags.push(`${TAG_GROUPS.community}/门店福利群`);
  const row: ProfileRow = {
    ...ids,
    name: rng.pick(SURNAMES) + rng.pick(GIVEN),
    gender: rng.chance(0.58) ? 'female' : 'male',
    city: store.city,
    home_store: store.id,
    home_store_name: store.name,
    birthday: `${rng.int(1970, 2006)}-${pad(rng.int(1, 12), 2)}-${pad(rng.int(1, 28), 2)}`,
    signup_channel: rng.weighted([
      ['wechat_mini_program', 50],
      ['store', 30],
      ['app', 20],
    ]),
    interest: persona === 'coffee' ? '咖啡' : persona === 'toys' ? '潮玩' : '咖啡,潮玩',
    tags,
    timestamp: new Date(signedUp).toISOString(),
  };
  return { customer: { index: i, persona, store, key, from, to }, row };
}

/** How many orders of each line a customer places in the year. */
function orderCounts(rng: Prng, persona: Persona): { coffee: number; toys: number } {
  const coffee =
    persona === 'toys'
      ? 0
      : rng.weighted<[number, number]>([
          [[1, 1], 35],
          [[2, 2], 22],
          [[3, 4], 20],
          [[5, 9], 16],
          [[12, 30], 7],
        ]);
  const toys =
    persona === 'coffee'
      ? 0
      : rng.weighted<[number, number]>([
          [[1, 1], 45],
          [[2, 3], 35],
          [[4, 8], 20],
        ]);
  return { coffee: coffee === 0 ? 0 : rng.int(coffee[0], coffee[1]), toys: toys === 0 ? 0 : rng.int(toys[0], toys[1]) };
}

/** A time in the customer's window at a local hour drawn from `hours` (weighted). */
function orderTime(rng: Prng, c: Customer, hours: readonly (readonly [number, number])[], now: number): number {
  const t = c.from + rng.next() * (c.to - c.from);
  const localDay = Math.floor((t + SHANGHAI_OFFSET) / DAY) * DAY - SHANGHAI_OFFSET;
  const at = localDay + rng.weighted(hours) * 3_600_000 + rng.int(0, 3_599_999);
  return at > now ? at - DAY : at;
}

const MORNING: readonly (readonly [number, number])[] = [
  [7, 14],
  [8, 22],
  [9, 16],
  [10, 8],
  [12, 10],
  [14, 10],
  [16, 8],
  [19, 5],
];
const AFTERNOON: readonly (readonly [number, number])[] = [
  [11, 6],
  [13, 12],
  [15, 12],
  [18, 14],
  [20, 16],
  [21, 10],
];

/** Line items: 1-3 coffee items, or 1-4 blind boxes with the odd set or big figure. */
function basket(rng: Prng, line: 'coffee' | 'toys'): { product: DemoProduct; quantity: number }[] {
  const list = line === 'coffee' ? COFFEE : TOYS;
  const n =
    line === 'coffee'
      ? rng.weighted([
          [1, 60],
          [2, 30],
          [3, 10],
        ] as const)
      : rng.weighted([
          [1, 55],
          [2, 25],
          [3, 12],
          [4, 8],
        ] as const);
  const items = new Map<string, { product: DemoProduct; quantity: number }>();
  for (let k = 0; k < n; k++) {
    const product = line === 'toys' && rng.chance(0.85) ? rng.pick(list.slice(0, 3)) : rng.pick(list);
    const cur = items.get(product.id);
    if (cur) cur.quantity++;
    else items.set(product.id, { product, quantity: 1 });
  }
  return [...items.values()];
}

/** The customer's orders in the year: coffee mornings, toy evenings, limited drops; ~3% refunded. */
function drawOrders(rng: Prng, c: Customer, now: number): OrderRow[] {
  const counts = orderCounts(rng, c.persona);
  const out: OrderRow[] = [];
  const add = (line: 'coffee' | 'toys', at: number, items: { product: DemoProduct; quantity: number }[], extra: Record<string, unknown> = {}) => {
    const totalFen = items.reduce((s, it) => s + it.product.priceFen * it.quantity, 0);
    const channel = rng.weighted([
      ['store', 55],
      ['mini_program', 35],
      ['app', 10],
    ]);
    const row: OrderRow = {
      order_id: `DO${pad(c.index + 1, 8)}-${pad(out.length + 1, 3)}`,
      ...c.key,
      total: fen(totalFen),
      ordered_at: new Date(at).toISOString(),
      products: items.map((it) => ({
        product_id: it.product.id,
        name: it.product.name,
        category: it.product.category,
        quantity: it.quantity,
        price: fen(it.product.priceFen),
      })),
      store_id: c.store.id,
      store_name: c.store.name,
      channel,
      brand: line,
      ...extra,
    };
    if (rng.chance(0.03)) {
      const full = rng.chance(0.5);
      row.status = full ? 'refunded' : 'partially_refunded';
      row.refunded = full ? row.total : fen(Math.floor(totalFen / 2));
    }
    out.push(row);
  };
  for (let k = 0; k < counts.coffee; k++) {
    const at = orderTime(rng, c, MORNING, now);
    const localHour = new Date(at + SHANGHAI_OFFSET).getUTCHours();
    add('coffee', at, basket(rng, 'coffee'), localHour < 10 && rng.chance(0.3) ? { coupon: 'morning_5_off' } : {});
  }
  for (let k = 0; k < counts.toys; k++) add('toys', orderTime(rng, c, AFTERNOON, now), basket(rng, 'toys'));
  if (c.persona !== 'coffee') {
    for (const drop of DROPS) {
      const day = now - drop.daysAgo * DAY;
      if (day < c.from || day > c.to || !rng.chance(0.4)) continue;
      const at = Math.floor((day + SHANGHAI_OFFSET) / DAY) * DAY - SHANGHAI_OFFSET + 10 * 3_600_000 + rng.int(0, 7_200_000);
      if (at <= now) add('toys', at, [{ product: drop.product, quantity: 1 }], { drop: drop.product.id });
    }
  }
  return out;
}
