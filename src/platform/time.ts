/**
 * Wall-clock arithmetic in IANA time zones, for every module: storage is UTC epoch milliseconds,
 * and "today", "day 3 at 10:00", quiet hours, daily caps and birthdays are computed here in the
 * workspace's (or profile's) zone. Built on Intl, so no time-zone database is bundled. Three ways
 * to name a day, each with its helpers: an instant (`ms`), a local date string (`YYYY-MM-DD`) and a
 * local day number (days since 1970-01-01 in the zone).
 */

/** The zone of workspaces that name none, unless SIYU_DEFAULT_TIMEZONE says otherwise (WeCom corps are in China). */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A cached formatter of every wall-clock field (and the weekday) in `tz`; throws RangeError for an unknown zone. */
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when `tz` is an IANA zone name this runtime knows. */
export function isTimeZone(tz: unknown): tz is string {
  if (typeof tz !== 'string' || tz === '') return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone's name as the IANA database spells it (`asia/shanghai` → `Asia/Shanghai`, the case
 * Intl accepts but other software may not), or undefined when this runtime knows no such zone.
 */
export function canonicalTimeZone(tz: string): string | undefined {
  if (!isTimeZone(tz)) return undefined;
  const lower = tz.toLowerCase();
  if (lower === 'utc') return 'UTC';
  return Intl.supportedValuesOf('timeZone').find((z) => z.toLowerCase() === lower) ?? tz;
}

/** Local calendar fields of an instant; weekday 1 = Monday ... 7 = Sunday. */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** The wall-clock fields of `ms` in `tz` (years before 1 CE as astronomical years: 0, -1, ...). */
export function localParts(ms: number, tz: string): LocalParts {
  const out: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) out[p.type] = p.value;
  const year = out.era === 'BC' || out.era === 'B' ? 1 - Number(out.year) : Number(out.year);
  return {
    year,
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour) % 24,
    minute: Number(out.minute),
    second: Number(out.second),
    weekday: WEEKDAYS[out.weekday!] ?? 1,
  };
}

/** The instant at which the wall clock in `tz` shows the given local time (days may overflow: day 32 is next month). */
export function zonedToUtc(year: number, month: number, day: number, hour: number, minute: number, tz: string): number {
  const naive = Date.UTC(year, month - 1, day, hour, minute);
  // Two passes converge for every real offset change (a gap hour resolves forward).
  let guess = naive;
  for (let i = 0; i < 2; i++) {
    const p = localParts(guess, tz);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    guess += naive - shown;
  }
  return guess;
}

// --- instants ---------------------------------------------------------------------------------

/** Start of the local calendar day holding `ms`. */
export function startOfLocalDay(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  return zonedToUtc(p.year, p.month, p.day, 0, 0, tz);
}

/** Start of the local week (Monday 00:00) holding `ms`. */
export function startOfLocalWeek(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  return zonedToUtc(p.year, p.month, p.day - (p.weekday - 1), 0, 0, tz);
}

/** Start of the next local day after the one holding `ms`. */
export function startOfNextLocalDay(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  return zonedToUtc(p.year, p.month, p.day + 1, 0, 0, tz);
}

/** Start of the next local week (next Monday 00:00). */
export function startOfNextLocalWeek(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  return zonedToUtc(p.year, p.month, p.day - (p.weekday - 1) + 7, 0, 0, tz);
}

// --- local date strings (YYYY-MM-DD) ------------------------------------------------------------

const dateFormatters = new Map<string, Intl.DateTimeFormat>();

/** The local date (YYYY-MM-DD) of an instant in `tz` (its own formatter of the date fields only: rules call it per row). */
export function localDate(ms: number, tz: string): string {
  let f = dateFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', era: 'short' });
    dateFormatters.set(tz, f);
  }
  const parts = Object.fromEntries(f.formatToParts(ms).map((p) => [p.type, p.value]));
  // Years before 1 CE do not occur in stored times; they sort first, which is all that matters.
  const year = parts.era === 'BC' || parts.era === 'B' ? -Number(parts.year) + 1 : Number(parts.year);
  return `${String(year).padStart(4, '0')}-${parts.month}-${parts.day}`;
}

/** The date `days` after a YYYY-MM-DD date (negative for before). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d + days);
  return `${String(t.getUTCFullYear()).padStart(4, '0')}-${String(t.getUTCMonth() + 1).padStart(2, '0')}-${String(t.getUTCDate()).padStart(2, '0')}`;
}

/**
 * The first instant (epoch ms) whose local date is `date` or later. Found by bisection over a
 * 72-hour span around UTC midnight, so odd zones (DST at midnight, 30/45-minute offsets,
 * historic second offsets) need no special cases: ~28 formatter calls, a few per rule.
 */
export function startOfLocalDate(date: string, tz: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  let lo = t.getTime() - 36 * 3_600_000; // local date is before `date` here in every zone (offsets are within ±14 h)
  let hi = t.getTime() + 36 * 3_600_000; // and on or after it here
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(mid, tz) >= date) hi = mid;
    else lo = mid;
  }
  return hi;
}

// --- local day numbers (days since 1970-01-01 in the zone) -------------------------------------

/** The zone's offset from UTC at instant `t`, in milliseconds (Asia/Shanghai: +8 h). */
function offsetAt(t: number, tz: string): number {
  const p = localParts(t, tz);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(t / 1000) * 1000;
}

/** The local date of instant `t`, as a day number. */
export function localDay(t: number, tz: string): number {
  return Math.floor((t + offsetAt(t, tz)) / DAY_MS);
}

/** The instant of local `HH:MM` on local day number `day` (two passes settle the offset across DST changes). */
export function localTimeOnDay(day: number, hhmm: string, tz: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  const wall = day * DAY_MS + (h! * 60 + m!) * 60_000;
  const first = wall - offsetAt(wall, tz);
  return wall - offsetAt(first, tz);
}

/** The first instant of local day number `day`. */
export function startOfDayNumber(day: number, tz: string): number {
  return localTimeOnDay(day, '00:00', tz);
}

/** A day number as YYYY-MM-DD. */
export function dayString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The first instant of the local date `days` days before the local date of `now`: an instant `t`
 * lies within the last `days` days exactly when `t >= daysAgoStart(now, days)`.
 */
export function daysAgoStart(now: number, days: number, tz: string): number {
  return startOfDayNumber(localDay(now, tz) - days, tz);
}

/** Whole calendar days from the local date of `t` to the local date of `now` (negative for the future). */
export function daysBetween(t: number, now: number, tz: string): number {
  return localDay(now, tz) - localDay(t, tz);
}
