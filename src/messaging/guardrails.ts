import type { Kysely } from 'kysely';
import { consentAllows } from './consent.service.js';
import type { Purpose } from './content.js';
import { type CallerDb, mdb } from './deps.js';
import type { MessagingDB } from './schema.js';
import type { Cap, MessagingSettings } from './settings.js';
import { parseClock, quietUntil } from './time.js';
import { startOfLocalDay, startOfLocalWeek, startOfNextLocalDay, startOfNextLocalWeek } from '../platform/time.js';

/** What the guardrails decided for one send. */
export type Verdict = { action: 'send' } | { action: 'hold'; until: number; reason: string } | { action: 'suppress'; reason: string };

/** WeCom counts "one mass message per customer per day" on China's calendar. */
const WECOM_TZ = 'Asia/Shanghai';

/** Statuses in which a message counts as sent for caps (the provider call started). */
const COUNTED = ['sending', 'sent', 'delivered', 'unknown'];

/** The profile facts guardrails need. */
export interface GuardProfile {
  id: string;
  /** The live id and the ids merged into it (messages of merged profiles count). */
  ids: string[];
  consent: Record<string, { granted: boolean; at: number }>;
  timeZone: string;
}

async function countSince(
  db: Kysely<MessagingDB>,
  ws: string,
  ids: string[],
  since: number,
  filter: { purpose?: Purpose; channel?: string },
  exceptId: string,
): Promise<number> {
  let q = db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', ids)
    .where('sent_at', '>=', since)
    .where('status', 'in', COUNTED)
    .where('id', '!=', exceptId);
  if (filter.purpose) q = q.where('purpose', '=', filter.purpose);
  if (filter.channel) q = q.where('channel', '=', filter.channel);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}

async function checkCap(
  db: Kysely<MessagingDB>,
  ws: string,
  p: GuardProfile,
  cap: Cap,
  now: number,
  filter: { purpose?: Purpose; channel?: string },
  label: string,
  settings: MessagingSettings,
  id: string,
): Promise<Stop | undefined> {
  const over = (until: number, window: string): Stop =>
    settings.caps.onLimit === 'defer'
      ? { action: 'hold', until, reason: `frequency_cap:${label}:${window}` }
      : { action: 'suppress', reason: `frequency_cap:${label}:${window}` };
  if (cap.perDay !== undefined && (await countSince(db, ws, p.ids, startOfLocalDay(now, p.timeZone), filter, id)) >= cap.perDay)
    return over(startOfNextLocalDay(now, p.timeZone), 'day');
  if (cap.perWeek !== undefined && (await countSince(db, ws, p.ids, startOfLocalWeek(now, p.timeZone), filter, id)) >= cap.perWeek)
    return over(startOfNextLocalWeek(now, p.timeZone), 'week');
  return undefined;
}

/** One send's question to the guardrails. */
interface Ask {
  db: CallerDb;
  ws: string;
  msg: { id: string; channel: string; purpose: Purpose };
  p: GuardProfile;
  settings: MessagingSettings;
  now: number;
}

/** A guardrail that stops a send: a hold or a suppression. */
export type Stop = Exclude<Verdict, { action: 'send' }>;

/** The checks in the order they apply, one small handler each; undefined lets the send go on. */
const CHECKS: ((a: Ask) => Promise<Stop | undefined>)[] = [
  async function consent({ db, ws, msg, p, settings }) {
    const c = await consentAllows(db, ws, { id: p.id, consent: p.consent }, msg.purpose, msg.channel, settings);
    return c.allowed ? undefined : { action: 'suppress', reason: c.reason! };
  },
  async function quietHours({ msg, p, settings, now }) {
    if (settings.quietHours.appliesTo !== 'all' && msg.purpose !== 'marketing') return undefined;
    const until = quietUntil(now, p.timeZone, parseClock(settings.quietHours.start)!, parseClock(settings.quietHours.end)!);
    return until === undefined ? undefined : { action: 'hold', until, reason: 'quiet_hours' };
  },
  async function caps({ db, ws, msg, p, settings, now }) {
    if (msg.purpose !== 'marketing') return undefined;
    const global = await checkCap(mdb(db), ws, p, settings.caps.marketing, now, { purpose: 'marketing' }, 'marketing', settings, msg.id);
    if (global) return global;
    const perChannel = settings.caps.channels[msg.channel];
    if (!perChannel) return undefined;
    return checkCap(mdb(db), ws, p, perChannel, now, { purpose: 'marketing', channel: msg.channel }, `marketing:${msg.channel}`, settings, msg.id);
  },
  async function wecomDailyLimit({ db, ws, msg, p, now }) {
    if (msg.channel !== 'wecom' || (await countSince(mdb(db), ws, p.ids, startOfLocalDay(now, WECOM_TZ), { channel: 'wecom' }, msg.id)) < 1) return undefined;
    return { action: 'hold', until: startOfNextLocalDay(now, WECOM_TZ), reason: 'wecom_daily_limit' };
  },
];

/**
 * The send-time checks, in order: consent (suppress), quiet hours (hold until the window
 * ends), marketing frequency caps over all channels and per channel (suppress, or hold with
 * `onLimit: defer`), and WeCom's one mass message per customer per day (hold until tomorrow).
 * Runs inside the dispatcher's claim transaction, under a per-profile lock on PostgreSQL, so two
 * workers cannot both take the last slot of a cap.
 */
export async function checkGuardrails(
  db: CallerDb,
  ws: string,
  msg: { id: string; channel: string; purpose: Purpose },
  p: GuardProfile,
  settings: MessagingSettings,
  now: number,
): Promise<Verdict> {
  for (const check of CHECKS) {
    const stop = await check({ db, ws, msg, p, settings, now });
    if (stop) return stop;
  }
  return { action: 'send' };
}

/** Every guardrail that would stop this send now (not only the first): what a test send reports instead of applying. */
export async function guardrailReport(
  db: CallerDb,
  ws: string,
  msg: { id: string; channel: string; purpose: Purpose },
  p: GuardProfile,
  settings: MessagingSettings,
  now: number,
): Promise<Stop[]> {
  const stops: Stop[] = [];
  for (const check of CHECKS) {
    const stop = await check({ db, ws, msg, p, settings, now });
    if (stop) stops.push(stop);
  }
  return stops;
}
