/**
 * Local days, weeks and months as SQL over UTC-millisecond columns, the same text on SQLite and
 * PostgreSQL: a zone's UTC offset is constant between its transitions, so over a date range the
 * local day of `t` is `(t + offset(t)) / 86400000` with offset(t) a CASE over the few transitions
 * in the range (none in Asia/Shanghai). Integer division truncates on both engines, and times are
 * positive. Months have no fixed length, so a month is the index of its start among the range's
 * month starts (a CASE over at most a few dozen boundaries). Constants are inlined with `sql.lit`
 * (numbers computed here, never input) so PostgreSQL sees the same expression in SELECT and GROUP BY.
 */
import { type Expression, type RawBuilder, sql } from 'kysely';
import { DAY_MS, dayString, localParts, zonedToUtc } from '../../platform/time.js';

/** The UTC offset (ms) of `tz` at the instant `ms`. */
export function offsetAt(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

const spanCache = new Map<string, [number, number][]>();

/**
 * Constant-offset spans covering [from, to): `[startMs, offsetMs]`, the first starting at `from`.
 * Offsets are sampled weekly (zones change offset at most a few times a year, months apart) and a
 * change is bisected to the minute; answers are memoised, as every query of a range asks again.
 */
export function offsetSpans(from: number, to: number, tz: string): [number, number][] {
  const key = `${tz}|${from}|${to}`;
  const hit = spanCache.get(key);
  if (hit) return hit;
  const spans: [number, number][] = [[from, offsetAt(from, tz)]];
  const step = 7 * DAY_MS;
  for (let t = from; t < to; t += step) {
    const next = Math.min(t + step, to);
    if (offsetAt(next, tz) === spans[spans.length - 1]![1]) continue;
    // Offsets change on a whole minute: bisect over whole minutes, so `hi` ends on the change itself.
    let lo = Math.floor(t / 60_000) * 60_000;
    let hi = Math.ceil(next / 60_000) * 60_000;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offsetAt(mid, tz) === spans[spans.length - 1]![1]) lo = mid;
      else hi = mid;
    }
    spans.push([hi, offsetAt(hi, tz)]);
  }
  if (spanCache.size >= 256) spanCache.delete(spanCache.keys().next().value!);
  spanCache.set(key, spans);
  return spans;
}

/** The local day number (days since 1970-01-01 in `tz`) of a millisecond column, valid for times in [from, to). */
export function localDaySql(col: Expression<unknown> | RawBuilder<unknown>, tz: string, from: number, to: number): RawBuilder<number> {
  const spans = offsetSpans(from, to, tz);
  if (spans.length === 1) return sql<number>`((${col} + ${sql.lit(spans[0]![1])}) / ${sql.lit(DAY_MS)})`;
  const cases = spans.slice(1).map(([start], i) => sql`when ${col} < ${sql.lit(start)} then ${sql.lit(spans[i]![1])}`);
  return sql<number>`((${col} + case ${sql.join(cases, sql` `)} else ${sql.lit(spans[spans.length - 1]![1])} end) / ${sql.lit(DAY_MS)})`;
}

/** The local week number (Monday-based weeks since the one holding 1970-01-01) of a day number expression. */
export function weekOfDaySql(day: RawBuilder<number>): RawBuilder<number> {
  // 1970-01-01 was a Thursday: day + 3 puts Monday at a multiple of 7.
  return sql<number>`((${day} + 3) / 7)`;
}

/** The date of a local day number. */
export function dayOfNumber(day: number): string {
  return dayString(day);
}

/** The Monday (YYYY-MM-DD) of a week number from {@link weekOfDaySql}. */
export function weekStartOfNumber(week: number): string {
  return dayString(week * 7 - 3);
}

/** Local month starts from the month holding `from` to the one holding `to` (inclusive), as `{ label, start }`. */
export function monthStarts(from: number, to: number, tz: string): { label: string; start: number }[] {
  const p = localParts(from, tz);
  const out: { label: string; start: number }[] = [];
  for (let y = p.year, m = p.month; ; m === 12 ? ((m = 1), y++) : m++) {
    const start = zonedToUtc(y, m, 1, 0, 0, tz);
    if (start > to) break;
    out.push({ label: `${y}-${String(m).padStart(2, '0')}`, start });
  }
  return out;
}

/** The index of the month holding a millisecond column among `starts` (0 before the second start). */
export function monthIndexSql(col: Expression<unknown> | RawBuilder<unknown>, starts: readonly { start: number }[]): RawBuilder<number> {
  if (starts.length <= 1) return sql<number>`0`;
  const cases = starts.slice(1).map(({ start }, i) => sql`when ${col} < ${sql.lit(start)} then ${sql.lit(i)}`);
  return sql<number>`(case ${sql.join(cases, sql` `)} else ${sql.lit(starts.length - 1)} end)`;
}
