/**
 * Wall-clock times in a workspace's time zone: SOP steps say "day 3 at 10:00" and "every Monday
 * at 08:00" in local time, stored instants are UTC epoch milliseconds.
 */

const DAY_MS = 86_400_000;
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

/** The zone's offset from UTC at instant `t`, in ms (Asia/Shanghai: +8 h). */
function offsetAt(t: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(t / 1000) * 1000;
}

/** The local day number (days since 1970-01-01 in the zone) of instant `t`. */
export function localDay(t: number, timeZone: string): number {
  return Math.floor((t + offsetAt(t, timeZone)) / DAY_MS);
}

/** A local day number as YYYY-MM-DD. */
export function dayString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** YYYY-MM-DD to a day number, or undefined when it is not a real date. */
export function parseDay(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const ms = Date.parse(text + 'T00:00:00Z');
  return Number.isFinite(ms) && dayString(ms / DAY_MS) === text ? ms / DAY_MS : undefined;
}

/** ISO weekday (1 Monday … 7 Sunday) of a local day number. */
export function weekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday
}

/** The instant of local `HH:MM` on local day `day` (two passes settle the offset across DST changes). */
export function localTimeToUtc(day: number, hhmm: string, timeZone: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  const wall = day * DAY_MS + (h! * 60 + m!) * 60_000;
  const first = wall - offsetAt(wall, timeZone);
  return wall - offsetAt(first, timeZone);
}

/** The [start, end) instants of local day `day`. */
export function dayRange(day: number, timeZone: string): [number, number] {
  return [localTimeToUtc(day, '00:00', timeZone), localTimeToUtc(day + 1, '00:00', timeZone)];
}

/** True for `HH:MM` on a 24-hour clock. */
export function isHhmm(text: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(text);
}
