/**
 * Wall-clock arithmetic in an IANA time zone (quiet hours, daily and weekly caps), on epoch
 * milliseconds; storage stays UTC. Built on Intl so no time-zone database is bundled.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
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

/** True when `tz` is a time zone name this runtime knows. */
export function isValidTimeZone(tz: unknown): tz is string {
  if (typeof tz !== 'string' || !tz) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
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

/** The wall-clock fields of `ms` in `tz`. */
export function localParts(ms: number, tz: string): LocalParts {
  const out: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) out[p.type] = p.value;
  return {
    year: Number(out.year),
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

/** Parses "HH:MM" into minutes after midnight; undefined when malformed. */
export function parseClock(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/**
 * If `ms` falls in the quiet window [start, end) of local time (the window may wrap midnight,
 * e.g. 21:00-09:00), the instant the window ends; otherwise undefined.
 */
export function quietUntil(ms: number, tz: string, startMin: number, endMin: number): number | undefined {
  if (startMin === endMin) return undefined;
  const p = localParts(ms, tz);
  const now = p.hour * 60 + p.minute;
  const wraps = startMin > endMin;
  const inside = wraps ? now >= startMin || now < endMin : now >= startMin && now < endMin;
  if (!inside) return undefined;
  // The end is today if it is still ahead on the clock, else tomorrow.
  const dayOffset = now < endMin ? 0 : 1;
  return zonedToUtc(p.year, p.month, p.day + dayOffset, Math.floor(endMin / 60), endMin % 60, tz);
}
