import { describe, expect, it } from 'vitest';
import type { Definition, Step } from '../definition.js';
import type { JourneyDeps } from '../deps.js';
import type { StateRow, StepRun, Work } from '../work.js';
import { runStep } from './index.js';
import { splitVariant } from './split.js';

/** The step handlers on their own: in-memory states, no database (the handlers below touch none). */
const T0 = Date.parse('2026-11-03T04:00:00Z');

function work(step: Step, row: Partial<StateRow> = {}, goal?: Definition['goal']): Work {
  const def: Definition = { trigger: { type: 'manual' }, entry: { reentry: 'always' }, ...(goal && { goal }), steps: [step, { id: 'end', type: 'exit' }] };
  return {
    row: {
      workspace_id: 'ws',
      id: 'jst_1',
      journey_id: 'jny_1',
      version: 1,
      subject_kind: 'profile',
      subject_id: 'prf_1',
      entry_key: 'k',
      entry_no: 1,
      step_id: step.id,
      status: 'active',
      wake_at: T0,
      timer_at: null,
      step_at: T0,
      listen: null,
      attempt: 0,
      steps_taken: 0,
      context: '{}',
      end_reason: null,
      entered_at: T0,
      ended_at: null,
      updated_at: T0,
      ...row,
    },
    def,
    traits: {},
    tz: 'Asia/Shanghai',
    settled: false,
    events: [],
  };
}

const run = (now: number): StepRun => ({
  trx: undefined as never,
  deps: {} as JourneyDeps,
  now,
  writes: { log: [], assignments: [], exposures: [], sends: 0, sentIn: new Set() },
});

describe('step handlers', () => {
  it('wait: parks until its end (listening for the goal), then moves on and logs', async () => {
    const step: Step = { id: 'w', type: 'wait', duration: { hours: 1 }, next: 'end' };
    const w = work(step, {}, { event: 'Order Completed', withinDays: 7 });
    await runStep(run(T0), w, step);
    expect([w.settled, w.row.timer_at, w.row.wake_at, w.row.listen]).toEqual([true, T0 + 3_600_000, T0 + 3_600_000, '|Order Completed|']);
    const r = run(T0 + 3_600_000);
    w.settled = false;
    await runStep(r, w, step);
    expect([w.row.step_id, w.row.wake_at, w.row.timer_at, r.writes.log.map((l) => l.outcome)]).toEqual(['end', T0 + 3_600_000, null, ['waited']]);
  });

  it('wait for event: the event takes next, the timeout takes timeoutNext', async () => {
    const step: Step = { id: 'e', type: 'wait_for_event', event: 'Paid', timeout: { days: 1 }, next: 'end', timeoutNext: 'late' };
    const hit = work(step, { timer_at: T0 + 86_400_000 });
    hit.events = [{ event: 'Paid', timestamp: T0 + 1000, properties: {} }];
    await runStep(run(T0 + 2000), hit, step);
    expect(hit.row.step_id).toBe('end');
    const late = work(step, { timer_at: T0 + 86_400_000 });
    const r = run(T0 + 86_400_000);
    await runStep(r, late, step);
    expect([late.row.step_id, r.writes.log[0]!.outcome]).toEqual(['late', 'timeout']);
  });

  it('split: a stable variant per subject, the holdout exits and every state is assigned', async () => {
    const step: Step = { id: 's', type: 'split', holdoutPercent: 50, variants: [{ key: 'a', weight: 1, next: 'end' }] };
    const keys = Array.from({ length: 200 }, (_, i) => splitVariant(step as Extract<Step, { type: 'split' }>, 'jny_1', `prf_${i}`).key);
    expect(keys).toEqual(Array.from({ length: 200 }, (_, i) => splitVariant(step as Extract<Step, { type: 'split' }>, 'jny_1', `prf_${i}`).key));
    expect(new Set(keys)).toEqual(new Set(['a', 'holdout']));
    const w = work(step, { subject_id: `prf_${keys.indexOf('holdout')}` });
    const r = run(T0);
    await runStep(r, w, step);
    expect([w.row.status, w.row.end_reason, r.writes.assignments.length]).toEqual(['exited', 'holdout', 1]);
  });

  it('split: spreads subjects by holdout percent and weight (fixed ids: deterministic)', () => {
    const step = {
      id: 'ab',
      type: 'split',
      holdoutPercent: 20,
      variants: [
        { key: 'a', weight: 1 },
        { key: 'b', weight: 3 },
      ],
    } as Extract<Step, { type: 'split' }>;
    const counts: Record<string, number> = { a: 0, b: 0, holdout: 0 };
    for (let i = 0; i < 10_000; i++) counts[splitVariant(step, 'jny_spread', `prf_${i}`).key]! += 1;
    // 20% holdout, then 1:3 of the rest: 2,000 / 2,000 / 6,000 within 5%.
    expect(Math.abs(counts.holdout! - 2000)).toBeLessThan(100);
    expect(Math.abs(counts.a! - 2000)).toBeLessThan(100);
    expect(Math.abs(counts.b! - 6000)).toBeLessThan(300);
  });

  it('exit: ends the state as exited and logs it', async () => {
    const step: Step = { id: 'x', type: 'exit' };
    const w = work(step);
    const r = run(T0);
    await runStep(r, w, step);
    expect([w.row.status, w.row.end_reason, w.settled, r.writes.log[0]!.outcome]).toEqual(['exited', 'exit_step', true, 'exit']);
  });
});
