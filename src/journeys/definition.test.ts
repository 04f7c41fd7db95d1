import { describe, expect, it } from 'vitest';
import { validateDefinition } from './definition.js';
import { RECIPES } from './recipes.js';
import { isAnniversary, monthAgeOn, nextLocalTime } from './timing.js';

const errorsOf = (def: unknown) => {
  const r = validateDefinition(def);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
};

describe('journey definition validation', () => {
  it('refuses text PostgreSQL cannot store (NUL, lone surrogates) in any string or key, naming where', () => {
    const manual = { type: 'manual' };
    expect(errorsOf({ trigger: { type: 'event', event: 'x\ud800' }, steps: [{ id: 'a', type: 'exit' }] })).toEqual([
      { path: 'definition.trigger.event', message: expect.stringMatching(/^contains a lone UTF-16 surrogate/) },
    ]);
    expect(errorsOf({ trigger: manual, steps: [{ id: 'a', type: 'update_trait', set: { note: 'a\u0000b' } }] })).toEqual([
      { path: 'definition.steps[0].set.note', message: expect.stringMatching(/^contains U\+0000/) },
    ]);
    expect(errorsOf({ trigger: manual, steps: [{ id: 'a', type: 'webhook', body: { ['k\udc00']: 1 } }] })).toEqual([
      { path: 'definition.steps[0].body.k\udc00', message: expect.stringMatching(/^the key contains a lone UTF-16 surrogate/) },
    ]);
    // A pair is text like any other.
    expect(validateDefinition({ trigger: { type: 'event', event: '🙂' }, steps: [{ id: 'a', type: 'exit' }] }).ok).toBe(true);
  });

  it('accepts a definition with every step type and returns a clean copy', () => {
    const r = validateDefinition({
      trigger: { type: 'event', event: 'Product Added', where: [{ property: 'price', op: 'gt', value: 10 }] },
      entry: { reentry: 'always', maxEntries: 3 },
      goal: { event: 'Order Completed', withinDays: 7 },
      steps: [
        { id: 'w', type: 'wait', duration: { hours: 1 }, next: 'b' },
        { id: 'b', type: 'branch', branches: [{ rule: { type: 'trait', key: 'vip', op: 'eq', value: true }, next: 's' }], defaultNext: 'split' },
        {
          id: 'split',
          type: 'split',
          holdoutPercent: 10,
          variants: [
            { key: 'a', weight: 1, next: 's' },
            { key: 'b', weight: 1, next: 'e' },
          ],
        },
        { id: 's', type: 'send', channel: 'sms', content: { templateCode: 'T1' }, next: 'we' },
        { id: 'we', type: 'wait_for_event', event: 'Order Completed', timeout: { days: 1 }, next: 'tag', timeoutNext: 'trait' },
        { id: 'tag', type: 'tag', add: [{ name: 'buyer' }], next: 'award' },
        { id: 'trait', type: 'update_trait', set: { nudged: true }, next: 'award' },
        { id: 'award', type: 'award', points: 100, next: 'hook' },
        { id: 'hook', type: 'webhook', body: { hello: 'world' }, next: 'g' },
        { id: 'g', type: 'goal', event: 'Order Completed', withinDays: 3, next: 'e' },
        { id: 'e', type: 'exit' },
      ],
    });
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it('names the path of every bad node', () => {
    const errors = errorsOf({
      trigger: { type: 'event', where: [{ property: 'x', op: 'bogus' }] },
      steps: [
        { id: 'a', type: 'wait', duration: { hours: -1 }, next: 'nowhere' },
        { id: 'b', type: 'branch', branches: [{ rule: { type: 'trait', key: 'k', op: 'eq' } }] },
        { id: 'c', type: 'send', channel: 'fax', content: {} },
        { id: 'a', type: 'teleport' },
      ],
    });
    const paths = errors.map((e) => e.path);
    expect(paths).toContain('definition.trigger.event');
    expect(paths).toContain('definition.trigger.where[0].op');
    expect(paths).toContain('definition.steps[0].duration.hours');
    expect(paths).toContain('definition.steps[1].branches[0].rule.value');
    expect(paths).toContain('definition.steps[2].channel');
    expect(paths).toContain('definition.steps[3].type');
    expect(errors.find((e) => e.path === 'definition.steps[3].type')!.message).toMatch(/one of wait, wait_for_event/);
  });

  it('checks the graph: unknown targets, unreachable steps, loops without a wait, duplicate ids', () => {
    expect(
      errorsOf({
        trigger: { type: 'manual' },
        steps: [
          { id: 'a', type: 'exit' },
          { id: 'a', type: 'exit' },
        ],
      })[0],
    ).toEqual({ path: 'definition.steps[1].id', message: 'repeats step id "a" (first at steps[0])' });
    expect(errorsOf({ trigger: { type: 'manual' }, steps: [{ id: 'a', type: 'wait', duration: { minutes: 1 }, next: 'zz' }] })[0]!.path).toBe(
      'definition.steps[0].next',
    );
    expect(
      errorsOf({
        trigger: { type: 'manual' },
        steps: [
          { id: 'a', type: 'exit' },
          { id: 'b', type: 'exit' },
        ],
      })[0]!.message,
    ).toMatch(/cannot be reached/);
    const loop = errorsOf({
      trigger: { type: 'manual' },
      steps: [
        { id: 'a', type: 'tag', add: [{ name: 'x' }], next: 'b' },
        { id: 'b', type: 'update_trait', set: { k: 1 }, next: 'a' },
      ],
    });
    expect(loop[0]!.message).toMatch(/loop with no wait/);
    // A loop through a wait is fine (a weekly reminder until an order).
    expect(
      validateDefinition({
        trigger: { type: 'manual' },
        steps: [
          { id: 'a', type: 'send', channel: 'sms', content: { templateCode: 'T' }, next: 'b' },
          { id: 'b', type: 'wait_for_event', event: 'Order Completed', timeout: { days: 7 }, timeoutNext: 'a' },
        ],
      }).ok,
    ).toBe(true);
  });

  it('restricts group journeys to group-safe steps', () => {
    const errors = errorsOf({
      trigger: { type: 'schedule', every: 'day', at: '08:00', audience: { wecomGroups: { chatIds: ['wrA'] } } },
      steps: [
        { id: 's', type: 'send', channel: 'sms', content: { templateCode: 'T' }, next: 't' },
        { id: 't', type: 'tag', add: [{ name: 'x' }] },
      ],
    });
    expect(errors.map((e) => e.path)).toEqual(['definition.steps[0].channel', 'definition.steps[1].type']);
  });

  it('validates every recipe with its defaults', () => {
    for (const r of RECIPES) {
      const params = r.name === 'win_back' ? { segmentId: 'seg_1' } : r.name === 'store_group_daily_coupon' ? { chatIds: ['wrA'] } : {};
      const res = validateDefinition(r.build(params));
      expect(res.ok ? [] : res.errors, r.name).toEqual([]);
    }
  });
});

describe('journey timing', () => {
  it('finds the next local time of day', () => {
    const noonShanghai = Date.parse('2026-11-03T04:00:00Z');
    expect(new Date(nextLocalTime(noonShanghai, '09:00', 'Asia/Shanghai')).toISOString()).toBe('2026-11-04T01:00:00.000Z');
    expect(new Date(nextLocalTime(noonShanghai, '20:30', 'Asia/Shanghai')).toISOString()).toBe('2026-11-03T12:30:00.000Z');
    expect(new Date(nextLocalTime(noonShanghai, '09:00', 'America/New_York')).toISOString()).toBe('2026-11-03T14:00:00.000Z');
  });

  it('computes anniversaries and month ages (month ends and leap days)', () => {
    expect(isAnniversary('1990-11-03', '2026-11-03')).toBe(true);
    expect(isAnniversary('2026-11-03', '2026-11-03')).toBe(false); // the date itself is not an anniversary
    expect(isAnniversary('2000-02-29', '2027-02-28')).toBe(true);
    expect(isAnniversary('2000-02-29', '2028-02-28')).toBe(false);
    expect(monthAgeOn('2026-01-15', '2026-04-15')).toBe(3);
    expect(monthAgeOn('2026-01-15', '2026-04-16')).toBeUndefined();
    expect(monthAgeOn('2026-01-31', '2026-02-28')).toBe(1);
    expect(monthAgeOn('2026-01-31', '2026-04-30')).toBe(3);
    expect(monthAgeOn('2026-01-30', '2026-04-30')).toBe(3);
    expect(monthAgeOn('2026-03-15', '2026-03-15')).toBeUndefined();
  });
});
