import { describe, expect, it } from 'vitest';
import { localDay } from '../../platform/time.js';
import { offsetSpans } from './buckets.js';

describe('local-day offset spans', () => {
  it('finds both daylight-saving changes of a year to the minute, and none in Shanghai', () => {
    const from = Date.parse('2026-01-01T00:00:00Z');
    const to = Date.parse('2027-01-01T00:00:00Z');
    expect(offsetSpans(from, to, 'Asia/Shanghai')).toEqual([[from, 8 * 3_600_000]]);
    const ny = offsetSpans(from, to, 'America/New_York');
    // 8 March 2026 02:00 EST and 1 November 2026 02:00 EDT.
    expect(ny).toEqual([
      [from, -5 * 3_600_000],
      [Date.parse('2026-03-08T07:00:00Z'), -4 * 3_600_000],
      [Date.parse('2026-11-01T06:00:00Z'), -5 * 3_600_000],
    ]);
    // Every instant's day by the spans is the platform's local day.
    for (let t = from; t < to; t += 3_600_000 * 7) {
      const off = [...ny].reverse().find(([start]) => t >= start)![1];
      expect(Math.floor((t + off) / 86_400_000)).toBe(localDay(t, 'America/New_York'));
    }
  });
});
