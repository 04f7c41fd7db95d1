/**
 * What a valid rule costs the database before any SQL is built: its list values (every element of
 * every list in the tree) and an upper bound of the SQL parameters its compiled condition binds in
 * any form (per profile, per id range, whole workspace) on either engine. The validator refuses a
 * rule over RULE_LIMITS.maxListValues or RULE_LIMITS.maxParameters; the feed packs segments into
 * one statement by the bound (evaluate.ts). Weights: docs/segments-rules.md, "Limits"; a test
 * compiles every node type in every form on both engines and holds the bound to it (compile.test.ts).
 */
import type { PropertyFilter, Rule } from './rule.types.js';
import { walkRule } from './rule-queries.js';

/**
 * Parameters each part of a rule binds at most. A comparison binds its trait key or property name
 * once per use and its value(s): at most 8 (`in` with strings, numbers and booleans; a date
 * range 6). A tag reference by name binds workspace, name, group and the two range bounds.
 */
export const PARAMETER_WEIGHTS = {
  /** A trait test, or one property filter of an event node. */
  comparison: 8,
  /** A built-in profile field test. */
  profileField: 2,
  /** One tag of a tag node. */
  tag: 5,
  /** An event or never_performed node itself (workspace, type, name, window, count); last_performed counts twice, filters included. */
  event: 6,
  /** An rfm, lifecycle or community_role node itself (workspace, range); each listed value adds 1. */
  score: 3,
  /** A consent, segment or bucket node. */
  other: 4,
} as const;

/** What a rule costs (see the file comment). */
export interface RuleCost {
  /** Elements of every list: tags, in/not_in values (property filters' too), RFM cells, stages, roles. */
  listValues: number;
  /** Upper bound of the SQL parameters the compiled rule binds in any form, on either engine. */
  parameters: number;
}

const W = PARAMETER_WEIGHTS;

const filterValues = (where: PropertyFilter[] | undefined) => (where ?? []).reduce((n, f) => n + (Array.isArray(f.value) ? f.value.length : 0), 0);
const eventParameters = (where: PropertyFilter[] | undefined) => W.event + (where?.length ?? 0) * W.comparison;

/** The cost of a valid rule. */
export function ruleCost(rule: Rule): RuleCost {
  let listValues = 0;
  let parameters = 0;
  walkRule(rule, (r) => {
    switch (r.type) {
      case 'trait':
        listValues += Array.isArray(r.value) ? r.value.length : 0;
        parameters += W.comparison;
        break;
      case 'profile':
        listValues += Array.isArray(r.value) ? r.value.length : 0;
        parameters += W.profileField;
        break;
      case 'tag':
        listValues += r.tags.length;
        parameters += r.tags.length * W.tag;
        break;
      case 'event':
      case 'never_performed':
        listValues += filterValues(r.where);
        parameters += eventParameters(r.where);
        break;
      case 'last_performed':
        listValues += filterValues(r.where);
        parameters += 2 * eventParameters(r.where);
        break;
      case 'rfm':
      case 'lifecycle':
      case 'community_role': {
        const n = r.type === 'rfm' ? r.cells.length : r.type === 'lifecycle' ? r.stages.length : r.roles.length;
        listValues += n;
        parameters += W.score + n;
        break;
      }
      case 'consent':
      case 'segment':
      case 'bucket':
        parameters += W.other;
        break;
      default:
        break; // and, or, not bind nothing of their own
    }
  });
  return { listValues, parameters };
}
