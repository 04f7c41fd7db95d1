import { createRandom, type Random, uuidLike } from './random.js';

/**
 * A realistic stream of Segment events for the ingest benchmark, generated on the fly so that a
 * million events never sit in memory at once.
 *
 * Population: one person per ten events by default. Everyone has one browser or app install
 * (an anonymousId); a quarter have a second and some a third, and app installs also send
 * `context.device.id`. 70% of people have an account: on each install they "log in" at some point
 * with an identify call (userId plus traits, often phone and email), after which that install's
 * events carry the userId. A person logging in on a second install merges the two anonymous
 * profiles. Some anonymous visitors leave an email (newsletter), which later links to the account.
 * Mix: about 60% track (3% of them Order Completed), 28% page, 12% identify; 300-400 bytes each.
 * Only plain ASCII without quotes goes into values, so the JSON text is built directly.
 */
export interface SegmentStream {
  /** The next `n` events (fewer at the end), or undefined when all have been produced. */
  next(n: number): SegmentEvent[] | undefined;
  /** Events produced so far. */
  readonly produced: number;
  readonly people: number;
}

/** One generated event (as JSON text) and the person behind it (for the baseline's profile_id). */
export interface SegmentEvent {
  json: string;
  person: number;
  messageId: string;
  type: string;
  event: string | null;
  userId: string | null;
  anonymousId: string;
  timestamp: number;
}

interface Install {
  anonymousId: string;
  deviceId: string | null;
  loggedIn: boolean;
}

interface Person {
  userId: string | null;
  installs: Install[];
  phone: string | null;
  email: string | null;
  name: string;
  city: string;
}

const CITIES = ['Shanghai', 'Beijing', 'Shenzhen', 'Hangzhou', 'Chengdu', 'Guangzhou', 'Wuhan', 'Nanjing'];
const SURNAMES = ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Zhao', 'Huang', 'Zhou', 'Wu'];
const CATEGORIES = ['shoes', 'tops', 'bags', 'beauty', 'home', 'kids', 'sports'];
const TRACK_NAMES = ['Product Viewed', 'Product Viewed', 'Product Viewed', 'Product Added', 'Products Searched', 'Checkout Started', 'Coupon Applied'];
const PAGES = [
  ['Home', '/'],
  ['Product Detail', '/products/'],
  ['Category', '/c/'],
  ['Cart', '/cart'],
  ['Search', '/search'],
] as const;
const WEB_LIBRARY = '{"name":"analytics.js","version":"5.2.1"}';
const IOS_LIBRARY = '{"name":"analytics-ios","version":"4.1.8"}';

function makePerson(r: Random, i: number): Person {
  const installCount = r.chance(0.05) ? 3 : r.chance(0.25) ? 2 : 1;
  const installs: Install[] = [];
  for (let k = 0; k < installCount; k++) {
    installs.push({ anonymousId: uuidLike(r), deviceId: r.chance(0.4) ? r.hex(16).toUpperCase() : null, loggedIn: false });
  }
  const registered = r.chance(0.7);
  return {
    userId: registered ? `usr_${(10_000_000 + i).toString(36)}${r.hex(4)}` : null,
    installs,
    // Local mobile numbers (region CN): the server normalises them to E.164.
    phone: registered && r.chance(0.6) ? `13${String(800_000_000 + i).padStart(9, '0')}` : null,
    email: r.chance(registered ? 0.5 : 0.1) ? `${r.pick(SURNAMES).toLowerCase()}.${i}@example.com` : null,
    name: `${r.pick(SURNAMES)} ${r.hex(3)}`,
    city: r.pick(CITIES),
  };
}

/** Creates the stream; the same seed and sizes always give the same events. */
export function createSegmentStream(opts: { events: number; people?: number; seed: number; runId: string }): SegmentStream {
  const r = createRandom(opts.seed);
  const peopleCount = opts.people ?? Math.max(100, Math.round(opts.events / 10));
  const people: Person[] = [];
  for (let i = 0; i < peopleCount; i++) people.push(makePerson(r, i));
  let produced = 0;
  const start = Date.now();

  // Events are written as JSON text directly: every value below is plain ASCII without quotes or
  // backslashes, and building objects for JSON.stringify cost ~8 µs an event, CPU that the load
  // generator would take from the server on a 2-core machine.
  const one = (): SegmentEvent => {
    const seq = produced++;
    const pi = r.int(peopleCount);
    const p = people[pi]!;
    const inst = p.installs[r.int(p.installs.length)]!;
    const messageId = `${opts.runId}-${seq.toString(36)}-${r.hex(8)}`;
    // Event time: spread over the run as if sent live, a little in the past (client-side queueing).
    const timestamp = start + seq - r.int(5000);
    const context = inst.deviceId
      ? `{"library":${IOS_LIBRARY},"device":{"id":"${inst.deviceId}","model":"iPhone15,2"},"os":{"name":"iOS","version":"17.4"},"locale":"zh-CN"}`
      : `{"library":${WEB_LIBRARY},"ip":"10.${pi & 255}.${(pi >> 8) & 255}.${r.int(255)}","locale":"zh-CN"}`;

    let type: string;
    let event: string | null = null;
    let body: string;
    const roll = r.next();
    if (p.userId && !inst.loggedIn && roll < 0.15) {
      // Login (or sign-up) on this install: identify with the account id and contact traits.
      inst.loggedIn = true;
      type = 'identify';
      body = `"traits":{"name":"${p.name}","city":"${p.city}"${p.phone ? `,"phone":"${p.phone}"` : ''}${p.email ? `,"email":"${p.email}"` : ''}}`;
    } else if (roll < 0.12) {
      type = 'identify';
      // An anonymous visitor leaving an email (newsletter): links later to the account holding it.
      const email = !inst.loggedIn && p.email && r.chance(0.3) ? `,"email":"${p.email}"` : '';
      body = `"traits":{"city":"${p.city}","preferred_category":"${r.pick(CATEGORIES)}"${email}}`;
    } else if (roll < 0.4) {
      type = 'page';
      const [name, path] = r.pick(PAGES);
      const full = path.endsWith('/') && path.length > 1 ? `${path}sku-${r.int(50_000)}` : path;
      event = name;
      body = `"name":"${name}","properties":{"path":"${full}","url":"https://shop.example.com${full}"}`;
    } else if (roll < 0.418) {
      type = 'track';
      event = 'Order Completed';
      const qty = 1 + r.int(3);
      const price = 19 + r.int(500) + 0.9;
      const total = Math.round(qty * price * 100) / 100;
      body = `"event":"${event}","properties":{"order_id":"ord_${seq.toString(36)}${r.hex(6)}","total":${total},"currency":"CNY","products":[{"product_id":"sku-${r.int(50_000)}","price":${price},"quantity":${qty}}]}`;
    } else {
      type = 'track';
      event = r.pick(TRACK_NAMES);
      body = `"event":"${event}","properties":{"product_id":"sku-${r.int(50_000)}","category":"${r.pick(CATEGORIES)}","price":${19 + r.int(500) + 0.9},"currency":"CNY"}`;
    }
    const userId = inst.loggedIn ? p.userId : null;
    const json =
      `{"type":"${type}","messageId":"${messageId}","anonymousId":"${inst.anonymousId}"${userId ? `,"userId":"${userId}"` : ''},` +
      `"timestamp":"${new Date(timestamp).toISOString()}",${body},"context":${context}}`;
    return { json, person: pi, messageId, type, event, userId, anonymousId: inst.anonymousId, timestamp };
  };

  return {
    next(n) {
      if (produced >= opts.events) return undefined;
      const count = Math.min(n, opts.events - produced);
      const out: SegmentEvent[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = one();
      return out;
    },
    get produced() {
      return produced;
    },
    people: peopleCount,
  };
}
