import { localDate } from '../../platform/time.js';
import { durationMs, type StepOf } from '../definition.js';
import { anniversaryIn, localTimeOn, nextLocalTime, traitDate } from '../timing.js';
import { go, listenFor, park, type Work } from '../work.js';
import type { StepHandler } from './handler.js';

/** When a wait step ends, or undefined when its date trait is missing. */
export function waitEnd(w: Work, step: StepOf<'wait'>, now: number): number | undefined {
  if (step.duration) return now + durationMs(step.duration);
  if (step.untilTime) return nextLocalTime(now, step.untilTime, w.tz);
  const u = step.untilDate!;
  const date = traitDate(w.traits[u.trait]);
  if (!date) return undefined;
  const at = u.at ?? '00:00';
  const shift = (d: string) => {
    const t = new Date(`${d}T00:00:00Z`);
    t.setUTCDate(t.getUTCDate() + (u.offsetDays ?? 0));
    return t.toISOString().slice(0, 10);
  };
  if (!u.annual) return localTimeOn(shift(date), at, w.tz);
  // The next anniversary (± offset) at or after today.
  const today = localDate(now, w.tz);
  const year = Number(today.slice(0, 4));
  for (const y of [year - 1, year, year + 1]) {
    const t = localTimeOn(shift(anniversaryIn(date, y)), at, w.tz);
    if (t >= now - 60_000 && shift(anniversaryIn(date, y)) >= today) return t;
  }
  return localTimeOn(shift(anniversaryIn(date, year + 1)), at, w.tz);
}

/** Wait: sets its timer on the first visit (a missing date trait skips it), moves on when the timer has passed. */
export const waitStep: StepHandler<'wait'> = ({ writes, now }, w, step) => {
  const r = w.row;
  if (r.timer_at === null) {
    const until = waitEnd(w, step, now);
    if (until === undefined) return go(w, writes, step.next, 'skipped: no date', now);
    if (until > now) return park(w, until, listenFor(w, now));
    return go(w, writes, step.next, 'waited', now);
  }
  if (now >= r.timer_at) return go(w, writes, step.next, 'waited', now);
  return park(w, r.timer_at, listenFor(w, now));
};
