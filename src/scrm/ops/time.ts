/**
 * Wall-clock times in a workspace's time zone: SOP steps say "day 3 at 10:00" and "every Monday
 * at 08:00" in local time, stored instants are UTC epoch milliseconds.
 */

import { DAY_MS, dayString, localTimeOnDay } from '../../platform/time.js';

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

/** The [start, end) instants of local day `day`. */
export function dayRange(day: number, timeZone: string): [number, number] {
  return [localTimeOnDay(day, '00:00', timeZone), localTimeOnDay(day + 1, '00:00', timeZone)];
}

/** True for `HH:MM` on a 24-hour clock. */
export function isHhmm(text: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(text);
}
