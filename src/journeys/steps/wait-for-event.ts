import { durationMs, type StepOf } from '../definition.js';
import { converted, DAY, finish, go, listenFor, logStep, park, type StepRun, type Work } from '../work.js';

/**
 * Wait for event and goal steps: listen for the event until the timer; the event moves on (a goal
 * step ends the journey as converted), the timeout takes the timeout exit (a goal step's `next`).
 */
export function waitForEventStep({ writes, now }: StepRun, w: Work, step: StepOf<'wait_for_event' | 'goal'>): void {
  const r = w.row;
  const window = step.type === 'goal' ? step.withinDays * DAY : durationMs(step.timeout);
  if (r.timer_at === null) return park(w, now + window, listenFor(w, now, step.event));
  if (converted(w, step.event, step.where, r.step_at, r.timer_at)) {
    if (step.type === 'goal') {
      logStep(w, writes, 'converted', now);
      return finish(w, 'converted', 'goal', now);
    }
    return go(w, writes, step.next, 'event', now);
  }
  if (now >= r.timer_at) return go(w, writes, step.type === 'goal' ? step.next : step.timeoutNext, 'timeout', now);
  return park(w, r.timer_at, listenFor(w, now, step.event));
}
