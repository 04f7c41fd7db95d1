import fc from 'fast-check';
import { expect, it } from 'vitest';
import { chooseUsers, type Strategy } from './assignment.js';
import { renderWelcome, validateWelcome } from './welcome.js';

const input = fc
  .record({
    n: fc.integer({ min: 1, max: 6 }),
    strategy: fc.constantFrom<Strategy>('round_robin', 'least_load'),
    cap: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
    overflow: fc.option(fc.constant('overflow'), { nil: null }),
    counts: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 6, maxLength: 6 }),
    rrNext: fc.integer({ min: 0, max: 20 }),
  })
  .map(({ n, strategy, cap, overflow, counts, rrNext }) => {
    const staff = Array.from({ length: n }, (_, i) => `u${i}`);
    return { staff, strategy, dailyCap: cap, overflowUserid: overflow, addsToday: new Map(staff.map((u, i) => [u, counts[i]!])), rrNext };
  });

it('never leaves a contact way empty, and lists only members under the cap unless all are at it', () => {
  fc.assert(
    fc.property(input, (i) => {
      const a = chooseUsers(i);
      const adds = (u: string) => i.addsToday.get(u) ?? 0;
      const under = i.staff.filter((u) => i.dailyCap === null || adds(u) < i.dailyCap);
      expect(a.users.length).toBeGreaterThan(0);
      expect(a.allAtCap).toBe(under.length === 0);
      if (a.allAtCap) {
        expect(a.users).toEqual([i.overflowUserid ?? i.staff.find((u) => adds(u) === Math.min(...i.staff.map(adds)))!]);
        return;
      }
      for (const u of a.users) expect(under).toContain(u);
      if (i.strategy === 'round_robin') {
        expect(a.users).toHaveLength(1);
        // The first member under the cap at or after the turn.
        const start = i.rrNext % i.staff.length;
        const order = [...i.staff.slice(start), ...i.staff.slice(0, start)];
        expect(a.users[0]).toBe(order.find((u) => under.includes(u)));
      } else {
        const fewest = Math.min(...under.map(adds));
        expect(a.users).toEqual(under.filter((u) => adds(u) === fewest));
      }
    }),
  );
});

it('fills {name} and {{ name }} literally, with the fallback when the name is unknown', () => {
  const msg = validateWelcome({ text: 'Hi {name}! {{name}} {{ name }}', nameFallback: 'friend' })!;
  expect(renderWelcome(msg, 'code', '$& Wang').text!.content).toBe('Hi $& Wang! $& Wang $& Wang');
  expect(renderWelcome(msg, 'code', undefined).text!.content).toBe('Hi friend! friend friend');
  expect(() => validateWelcome({})).toThrow(/needs text or at least one attachment/);
  expect(() => validateWelcome({ text: 'x', extra: 1 })).toThrow(/unknown field "extra"/);
  expect(() => validateWelcome({ text: 'x'.repeat(4001) })).toThrow(/4001 bytes/);
  expect(() => validateWelcome({ attachments: [{ msgtype: 'miniprogram', miniprogram: { title: 't', appid: 'wx1', page: 'p' } }] })).toThrow(/pic_media_id/);
});
