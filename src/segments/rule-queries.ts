/** The small questions other code asks of a valid rule: its nodes, whether time alone can change it, the segments it names. */
import type { Rule } from './rule.types.js';

/** Calls `fn` on every rule node, parents before children. */
export function walkRule(rule: Rule, fn: (r: Rule) => void): void {
  fn(rule);
  if (rule.type === 'and' || rule.type === 'or') for (const r of rule.rules) walkRule(r, fn);
  else if (rule.type === 'not') walkRule(rule.rule, fn);
}

const RELATIVE_DATE_OPS: readonly string[] = ['within_last_days', 'within_next_days', 'more_than_days_ago', 'birthday_in_days'];

/**
 * True when the rule's result can change with time passing alone: relative event windows,
 * relative date ops, last_performed, and the model outputs (rfm, lifecycle, community_role),
 * which are recomputed on a schedule. A `segment` node is not counted here: the caller combines
 * this with the referenced segments' own flags (see `referencedSegments`).
 */
export function isTimeDependent(rule: Rule): boolean {
  let dependent = false;
  walkRule(rule, (r) => {
    switch (r.type) {
      case 'trait':
      case 'profile':
        dependent ||= RELATIVE_DATE_OPS.includes(r.op);
        break;
      case 'event':
        dependent ||= r.window !== undefined && 'lastDays' in r.window;
        break;
      case 'last_performed':
      case 'rfm':
      case 'lifecycle':
      case 'community_role':
        dependent = true;
        break;
      default:
        break;
    }
  });
  return dependent;
}

/** Ids of the segments a rule refers to, each once, in order of first appearance. */
export function referencedSegments(rule: Rule): string[] {
  const ids = new Set<string>();
  walkRule(rule, (r) => {
    if (r.type === 'segment') ids.add(r.segmentId);
  });
  return [...ids];
}
