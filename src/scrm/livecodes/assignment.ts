/**
 * Which staff a live code's contact way lists right now. WeCom spreads the customers who scan a
 * contact way over the users set on it, by its own rule; it knows nothing of Siyu's strategies or
 * caps. So Siyu enforces them by rewriting the user list (update_contact_way) after every add and
 * at the first moment of each local day:
 *
 * - least_load: every staff member under the cap whose adds through this code today are the
 *   fewest (ties stay together and WeCom spreads among them);
 * - round_robin: exactly one staff member, the next one under the cap after whoever received
 *   the last add, in the order the code lists them;
 * - a member at the cap leaves the list until the next local day;
 * - when everyone is at the cap, WeCom cannot be given an empty list: the overflow member if the
 *   code names one, else the least-loaded member (the cap is then exceeded, and reported).
 */
import { STRATEGIES } from './live-codes.schemas.js';

/** The strategies a code may use (declared with the API's schemas). */
export { STRATEGIES };
/** The assignment rules of a code. */
export type Strategy = (typeof STRATEGIES)[number];

/** What {@link chooseUsers} decides. */
export interface Assignment {
  /** The users to set on the contact way, never empty. */
  users: string[];
  /** Every staff member has reached the daily cap. */
  allAtCap: boolean;
  /** Round-robin: where the next search starts (the index of the chosen member). */
  rrNext: number;
}

/** Chooses the contact way's users from today's adds per staff member (pure; see the file comment). */
export function chooseUsers(input: {
  staff: readonly string[];
  strategy: Strategy;
  dailyCap: number | null;
  overflowUserid: string | null;
  addsToday: ReadonlyMap<string, number>;
  rrNext: number;
}): Assignment {
  const { staff, strategy, dailyCap } = input;
  const n = staff.length;
  const adds = (u: string) => input.addsToday.get(u) ?? 0;
  const underCap = (u: string) => dailyCap === null || adds(u) < dailyCap;
  const start = ((input.rrNext % n) + n) % n;
  const eligible = staff.filter(underCap);
  if (eligible.length === 0) {
    if (input.overflowUserid) return { users: [input.overflowUserid], allAtCap: true, rrNext: start };
    const fewest = Math.min(...staff.map(adds));
    return { users: [staff.find((u) => adds(u) === fewest)!], allAtCap: true, rrNext: start };
  }
  if (strategy === 'round_robin') {
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      if (underCap(staff[i]!)) return { users: [staff[i]!], allAtCap: false, rrNext: i };
    }
  }
  const fewest = Math.min(...eligible.map(adds));
  return { users: eligible.filter((u) => adds(u) === fewest), allAtCap: false, rrNext: start };
}
