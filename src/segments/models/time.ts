/**
 * Calendar days in a workspace's time zone. Every "N days" of the models counts local dates, like
 * the rule language's date operators: "within N days" is `date >= today - N` (a purchase exactly
 * N days ago is within) and "more than N days ago" is `date < today - N`. Comparisons are done
 * against instants computed here once per run, so the SQL and the per-row code compare plain
 * epoch milliseconds and need no time-zone support from the database.
 */

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at instant `t`, in milliseconds (Asia/Shanghai: +8 h). */
function offsetAt(t: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - Math.floor(t / 1000) * 1000;
}

/** The local date of instant `t`, as a day number (days since 1970-01-01). */
export function localDay(t: number, timeZone: string): number {
  return Math.floor((t + offsetAt(t, timeZone)) / DAY_MS);
}

/** The first instant of local day number `day` (two passes settle the offset across DST changes). */
export function startOfLocalDay(day: number, timeZone: string): number {
  const wall = day * DAY_MS;
  const first = wall - offsetAt(wall, timeZone);
  return wall - offsetAt(first, timeZone);
}

/**
 * The first instant of the local date `days` days before the local date of `now`: an instant `t`
 * lies within the last `days` days exactly when `t >= daysAgoStart(now, days)`.
 */
export function daysAgoStart(now: number, days: number, timeZone: string): number {
  return startOfLocalDay(localDay(now, timeZone) - days, timeZone);
}

/** Whole calendar days from the local date of `t` to the local date of `now` (negative for the future). */
export function daysBetween(t: number, now: number, timeZone: string): number {
  return localDay(now, timeZone) - localDay(t, timeZone);
}
