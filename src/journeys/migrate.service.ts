import { parseJson, withRetries } from '../platform/db/database.js';
import { journeysDb } from './db.js';
import type { Definition, DefinitionError } from './definition.js';
import type { JourneyDeps } from './deps.js';
import { JourneyError } from './errors.js';
import { journeyRow } from './journeys.service.js';

/** A request to move a version's running states: `{ oldStepId: newStepId | null }` (null: exit). */
export interface MigrateInput {
  fromVersion: number;
  toVersion?: number;
  mapping: Record<string, string | null>;
}

/** The problems of a mapping between two versions: unknown steps on either side, steps with active states left unmapped. */
async function mappingErrors(deps: JourneyDeps, ws: string, id: string, input: MigrateInput, to: number): Promise<DefinitionError[]> {
  const db = journeysDb(deps.database.db);
  const defs = await db
    .selectFrom('journey_versions')
    .select(['version', 'definition'])
    .where('workspace_id', '=', ws)
    .where('journey_id', '=', id)
    .where('version', 'in', [input.fromVersion, to])
    .execute();
  const from = defs.find((d) => d.version === input.fromVersion);
  const target = defs.find((d) => d.version === to);
  if (!from) throw new JourneyError('VALIDATION_FAILED', `fromVersion: journey ${id} has no version ${input.fromVersion}`);
  if (!target) throw new JourneyError('VALIDATION_FAILED', `toVersion: journey ${id} has no version ${to}`);
  const fromSteps = new Set(parseJson<Definition>(from.definition).steps.map((s) => s.id));
  const toSteps = new Set(parseJson<Definition>(target.definition).steps.map((s) => s.id));
  const errors: DefinitionError[] = [];
  for (const [k, v] of Object.entries(input.mapping)) {
    if (!fromSteps.has(k)) errors.push({ path: `mapping.${k}`, message: `version ${input.fromVersion} has no step "${k}"` });
    if (v !== null && !toSteps.has(v))
      errors.push({ path: `mapping.${k}`, message: `version ${to} has no step "${v}" (steps: ${[...toSteps].join(', ')}; null exits)` });
  }
  const waiting = await db
    .selectFrom('journey_states')
    .select(['step_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .where('journey_id', '=', id)
    .where('version', '=', input.fromVersion)
    .where('status', '=', 'active')
    .groupBy('step_id')
    .execute();
  for (const w of waiting) {
    if (w.step_id !== null && !Object.hasOwn(input.mapping, w.step_id))
      errors.push({ path: `mapping.${w.step_id}`, message: `is required: ${Number(w.n)} active state(s) are at step "${w.step_id}"` });
  }
  return errors;
}

/** Applies a checked mapping in one transaction. */
async function applyMapping(deps: JourneyDeps, ws: string, id: string, input: MigrateInput, to: number): Promise<{ moved: number; exited: number }> {
  const now = deps.now();
  return withRetries(deps.database, () =>
    journeysDb(deps.database.db)
      .transaction()
      .execute(async (trx) => {
        let moved = 0;
        let exited = 0;
        for (const [oldStep, newStep] of Object.entries(input.mapping)) {
          const base = trx
            .updateTable('journey_states')
            .where('workspace_id', '=', ws)
            .where('journey_id', '=', id)
            .where('version', '=', input.fromVersion)
            .where('status', '=', 'active')
            .where('step_id', '=', oldStep);
          if (newStep === null) {
            const res = await base
              .set({ status: 'exited', end_reason: 'migrated', ended_at: now, wake_at: null, timer_at: null, listen: null, updated_at: now })
              .executeTakeFirst();
            exited += Number(res.numUpdatedRows);
          } else {
            const res = await base.set({ version: to, step_id: newStep, wake_at: now, attempt: 0, updated_at: now }).executeTakeFirst();
            moved += Number(res.numUpdatedRows);
          }
        }
        return { moved, exited };
      }),
  );
}

/**
 * Moves the active states of `fromVersion` to `toVersion` (default: the current one) by an
 * operator's step mapping `{ oldStepId: newStepId | null }` (null: the state exits as
 * 'migrated'). Every step where states are waiting must be mapped. A moved state keeps its timer:
 * a wait continues to its original end.
 */
export async function migrateStates(
  deps: JourneyDeps,
  ws: string,
  id: string,
  input: MigrateInput,
): Promise<{ moved: number; exited: number; toVersion: number }> {
  const r = await journeyRow(deps.database.db, ws, id);
  const to = input.toVersion ?? r.current_version;
  if (to === null || to === undefined) throw new JourneyError('JOURNEY_INVALID_STATE', `journey ${id} has never been published`);
  if (to === input.fromVersion) throw new JourneyError('VALIDATION_FAILED', `fromVersion and toVersion are both ${to}`);
  const errors = await mappingErrors(deps, ws, id, input, to);
  if (errors.length) throw new JourneyError('VALIDATION_FAILED', `cannot migrate: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
  const { moved, exited } = await applyMapping(deps, ws, id, input, to);
  deps.hub.emit('journeys.entered', { workspaceId: ws });
  return { moved, exited, toVersion: to };
}
