import { parseJson } from '../platform/db/database.js';
import { MessagingError } from './errors.js';
import { CHANNELS, isChannel } from './content.js';
import { type DbScope, mdb, type MessagingDeps } from './deps.js';
import { parseClock } from './time.js';
import { isTimeZone } from '../platform/time.js';

/** A frequency cap: at most `perDay` per local calendar day and `perWeek` per local week (Monday start). */
export interface Cap {
  perDay?: number;
  perWeek?: number;
}

/** A workspace's guardrail settings; every field has a default (see DEFAULT_SETTINGS). */
export interface MessagingSettings {
  /** Local "HH:MM" window in which sends are held until `end`; equal start and end disable it. */
  quietHours: { start: string; end: string; appliesTo: 'marketing' | 'all' };
  /** Time zone for quiet hours and caps when the profile has no valid `timezone` trait; default: the workspace's. */
  timeZone?: string;
  /** Caps on marketing messages: over all channels, and per channel. */
  caps: { marketing: Cap; channels: Partial<Record<string, Cap>>; onLimit: 'suppress' | 'defer' };
  /** Marketing needs a recorded opt-in (PIPL); service messages go unless withdrawn. */
  consent: { marketingRequiresOptIn: boolean; serviceRequiresOptIn: boolean };
  /** Public base URL of this server for tracked links, open pixels and unsubscribe links; none: links are left as written. */
  linkBaseUrl?: string;
  /** Locale when the profile has no `locale` trait. */
  defaultLocale: string;
  /** Provider attempts before a retryable failure becomes final. */
  maxAttempts: number;
  /** An inbound SMS or WeCom message counts as a reply to the latest message sent to that person within this many hours. */
  replies: { windowHours: number };
}

/** The defaults: quiet 21:00-09:00 for marketing, 2 marketing messages a day and 5 a week, opt-in for marketing. */
export const DEFAULT_SETTINGS: MessagingSettings = Object.freeze({
  quietHours: { start: '21:00', end: '09:00', appliesTo: 'marketing' },
  caps: { marketing: { perDay: 2, perWeek: 5 }, channels: {}, onLimit: 'suppress' },
  consent: { marketingRequiresOptIn: true, serviceRequiresOptIn: false },
  defaultLocale: 'zh-CN',
  maxAttempts: 5,
  replies: { windowHours: 72 },
}) as MessagingSettings;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (where: string, msg: string): never => {
  throw new MessagingError('VALIDATION_FAILED', `settings.${where} ${msg}`);
};

function cap(v: unknown, where: string): Cap {
  if (!isObj(v)) bad(where, 'must be { perDay?, perWeek? }');
  const out: Cap = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    if (k !== 'perDay' && k !== 'perWeek') bad(`${where}.${k}`, 'is not a cap field; perDay and perWeek are');
    if (x === null) continue;
    if (!Number.isInteger(x) || (x as number) < 0 || (x as number) > 1000) bad(`${where}.${k}`, 'must be an integer 0..1000 or null (no cap)');
    out[k as keyof Cap] = x as number;
  }
  return out;
}

/** Merges a patch into settings, validating every field (VALIDATION_FAILED names the field). */
export function mergeSettings(base: MessagingSettings, patch: unknown): MessagingSettings {
  if (!isObj(patch)) bad('', 'must be an object');
  const p = patch as Obj;
  const out: MessagingSettings = structuredClone(base);
  for (const k of Object.keys(p))
    if (!['quietHours', 'timeZone', 'caps', 'consent', 'linkBaseUrl', 'defaultLocale', 'maxAttempts', 'replies'].includes(k)) bad(k, 'is not a setting');
  if (p.quietHours !== undefined) {
    const q = p.quietHours;
    if (!isObj(q)) bad('quietHours', 'must be { start: "HH:MM", end: "HH:MM", appliesTo?: "marketing" | "all" }');
    const qq = q as Obj;
    if (parseClock(qq.start) === undefined) bad('quietHours.start', 'must be "HH:MM" (24-hour)');
    if (parseClock(qq.end) === undefined) bad('quietHours.end', 'must be "HH:MM" (24-hour)');
    const appliesTo = qq.appliesTo ?? out.quietHours.appliesTo;
    if (appliesTo !== 'marketing' && appliesTo !== 'all') bad('quietHours.appliesTo', 'must be "marketing" or "all"');
    out.quietHours = { start: qq.start as string, end: qq.end as string, appliesTo: appliesTo as 'marketing' | 'all' };
  }
  if (p.timeZone !== undefined) {
    if (p.timeZone === null) delete out.timeZone;
    else if (!isTimeZone(p.timeZone)) bad('timeZone', 'must be an IANA time zone such as Asia/Shanghai');
    else out.timeZone = p.timeZone;
  }
  if (p.caps !== undefined) {
    if (!isObj(p.caps)) bad('caps', 'must be { marketing?, channels?, onLimit? }');
    const c = p.caps as Obj;
    if (c.marketing !== undefined) out.caps.marketing = cap(c.marketing, 'caps.marketing');
    if (c.channels !== undefined) {
      if (!isObj(c.channels)) bad('caps.channels', 'must be an object channel -> cap');
      out.caps.channels = {};
      for (const [ch, v] of Object.entries(c.channels as Obj)) {
        if (!isChannel(ch)) bad(`caps.channels.${ch}`, `is not a channel; channels: ${CHANNELS.join(', ')}`);
        out.caps.channels[ch] = cap(v, `caps.channels.${ch}`);
      }
    }
    if (c.onLimit !== undefined) {
      if (c.onLimit !== 'suppress' && c.onLimit !== 'defer') bad('caps.onLimit', 'must be "suppress" (drop) or "defer" (hold until the next day or week)');
      out.caps.onLimit = c.onLimit as 'suppress' | 'defer';
    }
  }
  if (p.consent !== undefined) {
    if (!isObj(p.consent)) bad('consent', 'must be { marketingRequiresOptIn?, serviceRequiresOptIn? }');
    for (const [k, v] of Object.entries(p.consent as Obj)) {
      if (k !== 'marketingRequiresOptIn' && k !== 'serviceRequiresOptIn') bad(`consent.${k}`, 'is not a consent setting');
      if (typeof v !== 'boolean') bad(`consent.${k}`, 'must be true or false');
      out.consent[k as 'marketingRequiresOptIn'] = v as boolean;
    }
  }
  if (p.linkBaseUrl !== undefined) {
    if (p.linkBaseUrl === null) delete out.linkBaseUrl;
    else if (typeof p.linkBaseUrl !== 'string' || !/^https?:\/\/[^\s/]+/.test(p.linkBaseUrl))
      bad('linkBaseUrl', 'must be an http(s) URL such as https://siyu.example.com');
    else out.linkBaseUrl = p.linkBaseUrl.replace(/\/+$/, '');
  }
  if (p.defaultLocale !== undefined) {
    if (typeof p.defaultLocale !== 'string' || !/^[a-z]{2}(-[A-Z]{2})?$/.test(p.defaultLocale))
      bad('defaultLocale', 'must be a locale tag such as zh-CN or en');
    out.defaultLocale = p.defaultLocale as string;
  }
  if (p.maxAttempts !== undefined) {
    if (!Number.isInteger(p.maxAttempts) || (p.maxAttempts as number) < 1 || (p.maxAttempts as number) > 20) bad('maxAttempts', 'must be an integer 1..20');
    out.maxAttempts = p.maxAttempts as number;
  }
  if (p.replies !== undefined) {
    if (!isObj(p.replies)) bad('replies', 'must be { windowHours }');
    for (const [k, v] of Object.entries(p.replies as Obj)) {
      if (k !== 'windowHours') bad(`replies.${k}`, 'is not a replies setting; windowHours is');
      if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 720) bad('replies.windowHours', 'must be an integer 1..720 (hours)');
      out.replies.windowHours = v as number;
    }
  }
  return out;
}

/** A workspace's settings (defaults where nothing is stored). */
export async function loadSettings(deps: DbScope, ws: string): Promise<MessagingSettings> {
  const row = await mdb(deps.database.db).selectFrom('messaging_settings').select('settings').where('workspace_id', '=', ws).executeTakeFirst();
  return row ? mergeSettings(DEFAULT_SETTINGS, parseJson(row.settings)) : structuredClone(DEFAULT_SETTINGS);
}

/** Applies a partial update to a workspace's settings and stores the result. */
export async function updateSettings(deps: Pick<MessagingDeps, 'database' | 'now'>, ws: string, patch: unknown): Promise<MessagingSettings> {
  const next = mergeSettings(await loadSettings(deps, ws), patch);
  await mdb(deps.database.db)
    .insertInto('messaging_settings')
    .values({ workspace_id: ws, settings: JSON.stringify(next), updated_at: deps.now() })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ settings: JSON.stringify(next), updated_at: deps.now() }))
    .execute();
  return next;
}
