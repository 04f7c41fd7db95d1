/**
 * The demo brand's WeCom corp, planned from the generated customers (pure: seed, customers and
 * anchor time in, the same plan out): store staff (a manager and two guides per store) and the
 * toy line's community staff at head office; which customers are WeCom contacts, of whom, since
 * when, through which live code; the store groups and the toy fan groups with their members; and
 * the customers who scan a live code while the demo loads. The customers' unionids are the
 * generated profiles', so a sync links each contact to its profile (One ID).
 */
import { GIVEN, STORES, SURNAMES, type DemoStore } from './brand.js';
import type { DemoData } from './generate.js';
import { childSeed, createPrng } from './prng.js';
import type { DemoCorp, DemoCorpGroup, DemoCorpRelation, DemoCorpStaff } from './sandboxes.js';

const DAY_S = 86_400;
/** A stream of draws of its own: the customers and orders stay what they were without WeCom. */
const SALT = 0x7ec0_0001;
/** Customers of each store who scan its live code while the demo loads (each one a WeCom callback). */
export const SCANS_PER_STORE = 1;
/** WeCom's cap on a group's members (500); the plan keeps room for the day's joins. */
const GROUP_CAP = 480;

/** A live code the demo creates: one per store, and the toy line's recruiting poster. */
export interface PlannedCode {
  /** The store id, or `toys`. */
  key: string;
  name: string;
  channel: 'store' | 'poster';
  staff: string[];
  welcome: string;
  tag: { group: string; name: string };
}

/** The WeCom plan: the corp, what came through each live code over the year, and today's scans. */
export interface WeComPlan {
  corp: DemoCorp;
  codes: PlannedCode[];
  /** Relations through a live code (its `state` is the code's, known once the code exists). */
  history: Array<DemoCorpRelation & { code: string }>;
  /** Customers (corp indexes) who scan a code while the demo loads. */
  scans: Array<{ code: string; customer: number }>;
}

const TAG_GROUPS = [
  { name: '客户等级', tags: ['新客', '常客', 'VIP'] },
  { name: '兴趣偏好', tags: ['咖啡', '潮玩'] },
  { name: '来源渠道', tags: ['门店扫码', '潮玩海报', '社群', '朋友推荐'] },
];

const storeKey = (s: DemoStore) => s.id.replace('store_', 's');
const shortName = (s: DemoStore) => s.name.replace('思屿咖啡·', '');

/** The members: per store a manager (店长) and two guides (导购); two community staff (社群运营) at head office. */
function planStaff(seed: number): DemoCorpStaff[] {
  const rng = createPrng(childSeed(seed ^ SALT, 1_000_000));
  const name = () => rng.pick(SURNAMES) + rng.pick(GIVEN);
  const gender = () => (rng.chance(0.6) ? '2' : '1') as '1' | '2';
  const staff: DemoCorpStaff[] = [
    { userid: 'hq.community1', name: name(), department: [1], position: '社群运营', gender: gender() },
    { userid: 'hq.community2', name: name(), department: [1], position: '社群运营', gender: gender() },
  ];
  for (const s of STORES) {
    const k = storeKey(s);
    staff.push({ userid: `${k}.manager`, name: name(), department: [4], position: `${shortName(s)} 店长`, gender: gender() });
    staff.push({ userid: `${k}.guide1`, name: name(), department: [4], position: `${shortName(s)} 导购`, gender: gender() });
    staff.push({ userid: `${k}.guide2`, name: name(), department: [4], position: `${shortName(s)} 导购`, gender: gender() });
  }
  return staff;
}

/** The live codes: one per store (its guides), and the toy line's poster (the community staff). */
function planCodes(): PlannedCode[] {
  const codes: PlannedCode[] = STORES.map((s) => ({
    key: s.id,
    name: `${shortName(s)} 门店活码`,
    channel: 'store',
    staff: [`${storeKey(s)}.guide1`, `${storeKey(s)}.guide2`],
    welcome: `{name}您好，欢迎来到${s.name}！到店出示这条消息，咖啡立减 5 元。`,
    tag: { group: '渠道', name: '门店活码' },
  }));
  codes.push({
    key: 'toys',
    name: '潮玩粉丝招募海报',
    channel: 'poster',
    staff: ['hq.community1', 'hq.community2'],
    welcome: '{name}你好，欢迎加入思屿潮玩！回复「入群」拉你进粉丝群，第一时间收到限定发售消息。',
    tag: { group: '渠道', name: '潮玩海报' },
  });
  return codes;
}

/** Orders per customer index (order ids are `DO<index + 1, 8 digits>-<n>`). */
function orderCounts(data: DemoData): Map<number, number> {
  const counts = new Map<number, number>();
  for (const o of data.orders) {
    const i = Number(o.order_id.slice(2, 10)) - 1;
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return counts;
}

interface Contact {
  customer: number;
  store: DemoStore;
  tags: string[];
  since: number;
  viaCode: boolean;
}

/** Plans the corp from the generated customers; `now` is the anchor time (ms). */
export function planWeCom(data: DemoData, seed: number, now: number): WeComPlan {
  const nowS = Math.floor(now / 1000);
  const staff = planStaff(seed);
  const codes = planCodes();
  const orders = orderCounts(data);
  const storeOf = new Map(STORES.map((s) => [s.id, s]));
  const corp: DemoCorp = { seed, staff, customers: [], relations: [], groups: [], tagGroups: TAG_GROUPS };
  const history: WeComPlan['history'] = [];
  const scans: WeComPlan['scans'] = [];
  const contacts: Contact[] = [];
  const scanned = new Map<string, number>();

  data.profiles.forEach((row, i) => {
    if (typeof row.unionid !== 'string') return;
    const rng = createPrng(childSeed(seed ^ SALT, i));
    const store = storeOf.get(row.home_store as string)!;
    const toys = row.tags.includes('品牌/潮玩');
    const coffee = row.tags.includes('品牌/咖啡');
    const add = () => corp.customers.push({ name: row.name as string, unionid: row.unionid as string, gender: row.gender === 'female' ? 2 : 1 }) - 1;
    if (!rng.chance(toys ? 0.3 : 0.08)) {
      // Not a contact yet: the first few of each store (and of the toy line) scan a code today.
      const code = coffee ? store.id : 'toys';
      if ((scanned.get(code) ?? 0) < SCANS_PER_STORE) {
        scanned.set(code, (scanned.get(code) ?? 0) + 1);
        scans.push({ code, customer: add() });
      }
      return;
    }
    const customer = add();
    const signedUp = Math.floor(Date.parse(row.timestamp) / 1000);
    const since = signedUp + Math.floor(rng.next() * Math.max(DAY_S, nowS - DAY_S - signedUp));
    const viaCode = rng.chance(0.75);
    const code = coffee ? store.id : 'toys';
    const userid = coffee ? `${storeKey(store)}.guide${rng.int(1, 2)}` : `hq.community${rng.int(1, 2)}`;
    const n = orders.get(i) ?? 0;
    const tags = [n >= 15 ? 'VIP' : n >= 4 ? '常客' : '新客', ...(coffee ? ['咖啡'] : []), ...(toys ? ['潮玩'] : [])];
    const addWay = viaCode ? 1 : rng.pick([2, 3, 4]);
    tags.push(viaCode ? (code === 'toys' ? '潮玩海报' : '门店扫码') : addWay === 4 ? '社群' : '朋友推荐');
    const rel: DemoCorpRelation = { customer, userid, createTime: since, addWay, tags };
    if (viaCode) history.push({ ...rel, code });
    else corp.relations.push(rel);
    // KOCs are in the community staff's contacts too (added from the fan groups).
    if (row.tags.includes('社群/KOC') && userid !== 'hq.community1')
      corp.relations.push({ customer, userid: 'hq.community1', createTime: Math.min(nowS - DAY_S, since + 7 * DAY_S), addWay: 4, tags: ['潮玩', '社群'] });
    contacts.push({ customer, store, tags: row.tags, since, viaCode });
  });
  corp.groups = planGroups(contacts, nowS);
  return { corp, codes, history, scans };
}

/** The store groups (owned by the manager, name contains 思屿咖啡), the toy fan groups, and the KOC group. */
function planGroups(contacts: Contact[], nowS: number): DemoCorpGroup[] {
  const created = nowS - 360 * DAY_S;
  const member = (c: Contact) => ({
    customer: c.customer,
    joinTime: Math.min(nowS - 3600, c.since + 3600 * (1 + (c.customer % 48))),
    joinScene: (c.viaCode ? 3 : 1) as 1 | 3,
  });
  const groups: DemoCorpGroup[] = [];
  for (const s of STORES) {
    const k = storeKey(s);
    const members = contacts.filter((c) => c.store === s && c.tags.includes('社群/门店福利群')).slice(0, GROUP_CAP);
    groups.push({
      name: `${s.name} 福利群`,
      owner: `${k}.manager`,
      createTime: created,
      notice: '每天 8:00 发早安券，群内专享。',
      members: [{ userid: `${k}.guide1`, joinTime: created + 60 }, { userid: `${k}.guide2`, joinTime: created + 120 }, ...members.map(member)],
    });
  }
  STORES.filter((s) => s.toys).forEach((s, n) => {
    const members = contacts.filter((c) => c.store === s && c.tags.includes('社群/潮玩粉丝群')).slice(0, GROUP_CAP);
    groups.push({
      name: `潮玩粉丝群·${shortName(s)}`,
      owner: `hq.community${(n % 2) + 1}`,
      createTime: created,
      notice: '限定发售、隐藏款交流，禁止广告。',
      members: members.map(member),
    });
  });
  const kocs = contacts.filter((c) => c.tags.includes('社群/KOC')).slice(0, GROUP_CAP);
  groups.push({
    name: '潮玩 KOC 核心群',
    owner: 'hq.community1',
    createTime: created,
    members: [{ userid: 'hq.community2', joinTime: created + 60 }, ...kocs.map(member)],
  });
  return groups;
}
