import { addDays, isTimeZone, localDate, startOfLocalDate } from '../platform/time.js';

/**
 * Local-time arithmetic for waits and date triggers, and the in-memory check of an event's
 * properties against the segment rule language's property filters.
 */

/** A profile's time zone: its `timezone` (or `time_zone`) trait when valid, else the workspace's. */
export function profileTimeZone(traits: Record<string, unknown> | undefined, workspaceZone: string): string {
  const t = traits?.timezone ?? traits?.time_zone;
  return isTimeZone(t) ? t : workspaceZone;
}

/**
 * The instant of local `HH:MM` on a local date. Computed as the start of the local day plus the
 * clock time, so on a daylight-saving change day it is off by the shift (China has none).
 */
export function localTimeOn(date: string, time: string, tz: string): number {
  const [h, m] = time.split(':').map(Number) as [number, number];
  return startOfLocalDate(date, tz) + (h * 60 + m) * 60_000;
}

/** The next instant at or after `now` whose local time is `time`. */
export function nextLocalTime(now: number, time: string, tz: string): number {
  const today = localDate(now, tz);
  const t = localTimeOn(today, time, tz);
  return t >= now ? t : localTimeOn(addDays(today, 1), time, tz);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})/;

/** The YYYY-MM-DD a trait value starts with, when it is a valid calendar date; else undefined. */
export function traitDate(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = DATE_RE.exec(v);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(2000, mo - 1, d));
  t.setUTCFullYear(y);
  if (y < 1 || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  return m[0];
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** The date's anniversary in `year` (29 February falls on 28 February in other years). */
export function anniversaryIn(date: string, year: number): string {
  const md = date.slice(5);
  const useMd = md === '02-29' && !isLeap(year) ? '02-28' : md;
  return `${String(year).padStart(4, '0')}-${useMd}`;
}

/** True when `today` is an anniversary of `date` (a later year, same month-day, 02-29 on 02-28 in common years). */
export function isAnniversary(date: string, today: string): boolean {
  const year = Number(today.slice(0, 4));
  return year > Number(date.slice(0, 4)) && anniversaryIn(date, year) === today;
}

/**
 * The age in whole months `date` turns on `today`, or undefined when today is not such a day.
 * The day of the month matches, or today is the last day of a month shorter than the birth day
 * (born 31 January: 1 month on 28/29 February).
 */
export function monthAgeOn(date: string, today: string): number | undefined {
  const [by, bm, bd] = date.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  const months = (ty - by) * 12 + (tm - bm);
  if (months < 1) return undefined;
  if (td === bd) return months;
  if (td === daysIn(ty, tm) && bd > td) return months;
  return undefined;
}

/** Day-of-month strings a month-age trigger can match on `today` (for a SQL prefilter). */
export function monthAgeDays(today: string): string[] {
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  if (td !== daysIn(ty, tm)) return [today.slice(8)];
  const out: string[] = [];
  for (let d = td; d <= 31; d++) out.push(String(d).padStart(2, '0'));
  return out;
}

/** Month-day strings an anniversary trigger can match on `today` (for a SQL prefilter). */
export function anniversaryMonthDays(today: string): string[] {
  const md = today.slice(5);
  return md === '02-28' && !isLeap(Number(today.slice(0, 4))) ? ['02-28', '02-29'] : [md];
}

// Property filters in memory: the rule language's own evaluator (docs/segments-rules.md).
export { matchesPropertyFilters as matchesFilters } from '../segments/index.js';
