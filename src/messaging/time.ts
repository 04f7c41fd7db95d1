/** Quiet hours: wall-clock windows in a zone (the zone arithmetic itself is platform/time.ts). */
import { localParts, zonedToUtc } from '../platform/time.js';

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
