import { filterProfileIds } from '../../cdp/index.js';
import { workspaceTimeZone } from '../../platform/workspaces.js';
import { compileRule } from '../../segments/index.js';
import { type StepOf, stepById } from '../definition.js';
import { go, type StepRun, type Work } from '../work.js';

/**
 * Evaluates one branch step for every state at it (same journey version and step): one query per
 * rule over the remaining subjects, first matching branch wins, the rest take the default exit.
 */
export async function branchGroup(run: StepRun, group: Work[]): Promise<void> {
  const { trx, deps, writes, now } = run;
  const first = group[0]!;
  const ws = first.row.workspace_id;
  const step = stepById(first.def, first.row.step_id!) as StepOf<'branch'>;
  const timeZone = await workspaceTimeZone(trx, ws, deps.defaultTimeZone);
  let remaining = group;
  for (let i = 0; i < step.branches.length && remaining.length; i++) {
    const b = step.branches[i]!;
    const ids = remaining.map((w) => w.row.subject_id);
    // The rule compiled by segments over cdp's `profiles as p`, filtered by cdp.
    const cond = compileRule(b.rule, { workspaceId: ws, now, timeZone }, deps.database.dialect);
    const hit = new Set(await filterProfileIds(trx, ws, ids, cond));
    const rest: Work[] = [];
    for (const w of remaining) {
      if (hit.has(w.row.subject_id)) go(w, writes, b.next, `branch:${b.name ?? i}`, now);
      else rest.push(w);
    }
    remaining = rest;
  }
  for (const w of remaining) go(w, writes, step.defaultNext, 'branch:default', now);
}
