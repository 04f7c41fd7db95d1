import { findUnstorableText } from '../platform/text.js';
import { Checker, got, has } from './definition.checker.js';
import { checkGraph, checkSubjects } from './definition.graph.js';
import { checkStep } from './definition.steps.js';
import { checkEntry, checkGoal, checkTrigger } from './definition.triggers.js';
import { type Definition, type DefinitionError, DEFINITION_LIMITS, isGroupJourney, type Step } from './definition.types.js';

export * from './definition.types.js';

/**
 * Validates an untrusted definition. On success returns a fresh copy holding only the known
 * fields; on failure every error found (up to 50), each with the JSON path of the bad node.
 */
export function validateDefinition(input: unknown): { ok: true; definition: Definition } | { ok: false; errors: DefinitionError[] } {
  const c = new Checker();
  const o = c.obj(input, 'definition');
  if (!o) return { ok: false, errors: c.errors };
  // Text PostgreSQL cannot store (it answered 500 there, SQLite stored it): refused on both.
  const bad = findUnstorableText(o, 'definition');
  if (bad) c.fail(bad.path, bad.message);
  c.only(o, 'definition', ['trigger', 'entry', 'goal', 'start', 'steps'], 'a journey definition');
  const trigger = c.need(o, 'trigger', 'definition') ? checkTrigger(c, o.trigger, 'definition.trigger') : undefined;
  const entry = has(o, 'entry') ? checkEntry(c, o.entry, 'definition.entry') : { reentry: 'after_exit' as const };
  const goal = has(o, 'goal') ? checkGoal(c, o.goal, 'definition.goal') : undefined;
  const start = has(o, 'start') ? c.str(o.start, 'definition.start', 64) : undefined;
  const steps: Step[] = [];
  if (c.need(o, 'steps', 'definition')) {
    if (!Array.isArray(o.steps) || o.steps.length < 1 || o.steps.length > DEFINITION_LIMITS.maxSteps) {
      c.fail('definition.steps', `must be an array of 1-${DEFINITION_LIMITS.maxSteps} steps (got ${got(o.steps)})`);
    } else {
      o.steps.forEach((s, i) => {
        const step = checkStep(c, s, `definition.steps[${i}]`);
        if (step) steps.push(step);
      });
    }
  }
  if (c.errors.length || !trigger || !entry) return { ok: false, errors: c.errors.length ? c.errors : [{ path: 'definition', message: 'is invalid' }] };
  const def: Definition = { trigger, entry, ...(goal && { goal }), ...(start !== undefined && { start }), steps };
  checkGraph(c, def);
  checkSubjects(c, def, isGroupJourney(def));
  return c.errors.length ? { ok: false, errors: c.errors } : { ok: true, definition: def };
}
