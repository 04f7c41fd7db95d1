import { ScrmError } from '../errors.js';
import { addDays, localDate, startOfLocalDate } from '../../platform/time.js';

/** The longest range a statistics request may span. */
const MAX_DAYS = 366;
const DEFAULT_DAYS = 30;

/** A range of local days, inclusive, with its bounds in epoch ms. */
export interface DayRange {
  from: string;
  to: string;
  timeZone: string;
  startMs: number;
  endMs: number;
  days: string[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function checkDate(value: string, field: string): string {
  if (!DATE.test(value) || localDate(Date.parse(`${value}T12:00:00Z`), 'UTC') !== value) {
    throw new ScrmError('VALIDATION_FAILED', `${field} must be a date YYYY-MM-DD (a local day in the workspace time zone); got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The local days from `from` to `to` (inclusive) in the workspace zone; by default the last 30
 * days up to today. At most 366 days.
 */
export function dayRange(q: { from?: string; to?: string }, now: number, timeZone: string): DayRange {
  const to = q.to ? checkDate(q.to, 'to') : localDate(now, timeZone);
  const from = q.from ? checkDate(q.from, 'from') : addDays(to, -(DEFAULT_DAYS - 1));
  if (from > to) throw new ScrmError('VALIDATION_FAILED', `from (${from}) is after to (${to})`);
  const days: string[] = [];
  for (let d = from; d <= to && days.length <= MAX_DAYS; d = addDays(d, 1)) days.push(d);
  if (days.length > MAX_DAYS) throw new ScrmError('VALIDATION_FAILED', `from ${from} to ${to} spans more than ${MAX_DAYS} days`);
  return { from, to, timeZone, startMs: startOfLocalDate(from, timeZone), endMs: startOfLocalDate(addDays(to, 1), timeZone), days };
}

/** Counts of ins and outs per local day, every day of the range present (zeros included). */
export function byDay(range: DayRange, ins: number[], outs: number[]): Array<{ date: string; in: number; out: number }> {
  const rows = new Map(range.days.map((d) => [d, { date: d, in: 0, out: 0 }]));
  for (const t of ins) {
    const r = rows.get(localDate(t, range.timeZone));
    if (r) r.in++;
  }
  for (const t of outs) {
    const r = rows.get(localDate(t, range.timeZone));
    if (r) r.out++;
  }
  return [...rows.values()];
}
