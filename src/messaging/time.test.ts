import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quietUntil } from './time.js';
import { localParts, startOfLocalDay, startOfLocalWeek, startOfNextLocalDay, zonedToUtc } from '../platform/time.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('local time arithmetic', () => {
  it('finds quiet-hour ends across midnight, in the zone asked', () => {
    const q = (at: string, tz = 'Asia/Shanghai') => iso(quietUntil(Date.parse(at), tz, 21 * 60, 9 * 60));
    expect(q('2026-11-03T13:00:00Z')).toBe('2026-11-04T01:00:00.000Z'); // 21:00 local: starts
    expect(q('2026-11-03T18:30:00Z')).toBe('2026-11-04T01:00:00.000Z'); // 02:30 local
    expect(q('2026-11-04T00:59:00Z')).toBe('2026-11-04T01:00:00.000Z');
    expect(q('2026-11-04T01:00:00Z')).toBeUndefined(); // 09:00 local: open
    expect(q('2026-11-03T12:59:00Z')).toBeUndefined();
    // A same-day window (13:00-14:00) and a disabled one.
    expect(iso(quietUntil(Date.parse('2026-11-03T05:30:00Z'), 'Asia/Shanghai', 13 * 60, 14 * 60))).toBe('2026-11-03T06:00:00.000Z');
    expect(quietUntil(Date.parse('2026-11-03T05:30:00Z'), 'Asia/Shanghai', 600, 600)).toBeUndefined();
  });

  it('handles daylight-saving days (Europe/London, 29 March 2026 has 23 hours)', () => {
    const day = Date.parse('2026-03-29T12:00:00Z');
    expect(iso(startOfLocalDay(day, 'Europe/London'))).toBe('2026-03-29T00:00:00.000Z');
    expect(iso(startOfNextLocalDay(day, 'Europe/London'))).toBe('2026-03-29T23:00:00.000Z');
    expect(iso(quietUntil(Date.parse('2026-03-29T00:30:00Z'), 'Europe/London', 21 * 60, 9 * 60))).toBe('2026-03-29T08:00:00.000Z');
    expect(iso(startOfLocalWeek(Date.parse('2026-11-08T15:00:00Z'), 'Asia/Shanghai'))).toBe('2026-11-01T16:00:00.000Z'); // Sunday 23:00 -> Monday 2 Nov 00:00
  });

  it('round-trips wall-clock times for any instant and zone', () => {
    const zones = ['Asia/Shanghai', 'Europe/London', 'America/New_York', 'Australia/Adelaide', 'UTC'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }), fc.constantFrom(...zones), (ms, tz) => {
        const p = localParts(ms, tz);
        const back = zonedToUtc(p.year, p.month, p.day, p.hour, p.minute, tz);
        // Equal to the minute, except inside a repeated autumn hour where either instant is right.
        const diff = Math.abs(back - (ms - (ms % 60_000)));
        expect(diff === 0 || diff === 3_600_000).toBe(true);
        const start = startOfLocalDay(ms, tz);
        expect(start).toBeLessThanOrEqual(ms);
        expect(startOfNextLocalDay(ms, tz)).toBeGreaterThan(ms);
      }),
      { numRuns: 300 },
    );
  });
});
