/**
 * The answer deadline of a data-subject request: 15 working days after the day it was received,
 * counted in the workspace's time zone. Working days are Monday to Friday; public holidays are
 * not counted as such unless the workspace lists them (`settings.holidays`, YYYY-MM-DD dates),
 * which then are skipped too. The day of receipt is not counted (a request received on a Monday
 * has its first working day on Tuesday).
 */
import { addDays, localDate, startOfLocalDate } from '../platform/time.js';

/** Working days a request may take (issue #19). */
export const WORKING_DAYS = 15;

/** Day of the week of a YYYY-MM-DD date: 0 Sunday … 6 Saturday (the date itself, no zone involved). */
function weekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return t.getUTCDay();
}

/** The deadline of a request received at `receivedAt`: its last local date and the first instant after it. */
export function privacyDeadline(receivedAt: number, timeZone: string, holidays: readonly string[] = []): { dueDate: string; deadlineAt: number } {
  const skip = new Set(holidays);
  let date = localDate(receivedAt, timeZone);
  let counted = 0;
  while (counted < WORKING_DAYS) {
    date = addDays(date, 1);
    const wd = weekday(date);
    if (wd !== 0 && wd !== 6 && !skip.has(date)) counted += 1;
  }
  return { dueDate: date, deadlineAt: startOfLocalDate(addDays(date, 1), timeZone) };
}
