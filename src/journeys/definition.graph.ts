import type { Checker } from './definition.checker.js';
import { type Definition, exitsOf } from './definition.types.js';

/** Steps that stop and wait for time or an event (a cycle must pass through one). */
const PAUSING = new Set(['wait', 'wait_for_event', 'goal']);

/** Checks the graph of a definition whose steps are valid: ids unique, references known, every step reachable, no loop without a wait. */
export function checkGraph(c: Checker, def: Definition): void {
  const index = new Map<string, number>();
  def.steps.forEach((s, i) => {
    if (index.has(s.id)) c.fail(`definition.steps[${i}].id`, `repeats step id "${s.id}" (first at steps[${index.get(s.id)}])`);
    else index.set(s.id, i);
  });
  if (def.start !== undefined && !index.has(def.start))
    c.fail('definition.start', `names no step (got "${def.start}"; steps: ${[...index.keys()].join(', ')})`);
  def.steps.forEach((s, i) => {
    for (const e of exitsOf(s)) {
      if (e.to !== undefined && !index.has(e.to)) c.fail(`definition.steps[${i}].${e.key}`, `names no step (got "${e.to}")`);
    }
  });
  if (c.errors.length) return;
  // Reachability and instant cycles (a loop with no wait would spin forever in one tick).
  const start = def.start ?? def.steps[0]!.id;
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const e of exitsOf(def.steps[index.get(id)!]!)) if (e.to) stack.push(e.to);
  }
  def.steps.forEach((s, i) => {
    if (!seen.has(s.id)) c.fail(`definition.steps[${i}]`, `step "${s.id}" cannot be reached from the start step "${start}"`);
  });
  const state = new Map<string, 1 | 2>();
  const visit = (id: string, trail: string[]): void => {
    const s = def.steps[index.get(id)!]!;
    if (PAUSING.has(s.type)) return;
    if (state.get(id) === 2) return;
    if (state.get(id) === 1) {
      c.fail(`definition.steps[${index.get(id)}]`, `steps ${[...trail.slice(trail.indexOf(id)), id].join(' -> ')} form a loop with no wait step`);
      return;
    }
    state.set(id, 1);
    for (const e of exitsOf(s)) if (e.to) visit(e.to, [...trail, id]);
    state.set(id, 2);
  };
  for (const s of def.steps) visit(s.id, []);
}

/** Group journeys (WeCom groups as subjects) can only wait, split, send to the group and exit. */
const GROUP_STEPS = new Set(['wait', 'split', 'send', 'exit']);

/** Checks what a journey's subjects allow: a group journey's steps, a profile journey's sends to a group. */
export function checkSubjects(c: Checker, def: Definition, group: boolean): void {
  if (group) {
    if (def.goal) c.fail('definition.goal', 'a journey over WeCom groups has no profile to convert; remove the goal');
    def.steps.forEach((s, i) => {
      if (!GROUP_STEPS.has(s.type))
        c.fail(`definition.steps[${i}].type`, `a journey over WeCom groups can only use ${[...GROUP_STEPS].join(', ')} steps (got ${s.type})`);
      else if (s.type === 'send' && s.channel !== 'wecom_group')
        c.fail(`definition.steps[${i}].channel`, `a journey over WeCom groups sends on wecom_group (got ${s.channel})`);
      else if (s.type === 'wait' && s.untilDate) c.fail(`definition.steps[${i}].untilDate`, 'a journey over WeCom groups has no profile traits to wait for');
    });
  } else {
    def.steps.forEach((s, i) => {
      if (s.type === 'send' && s.channel === 'wecom_group' && !s.recipient?.chatId)
        c.fail(`definition.steps[${i}].recipient.chatId`, 'is required to send to a WeCom group from a profile journey');
    });
  }
}
