import type { Selectable } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { truncateText, unstorableText } from '../platform/text.js';
import { type Conn, journeysDb } from './db.js';
import { type Definition, type DefinitionError, validateDefinition } from './definition.js';
import type { JourneyDeps } from './deps.js';
import { JourneyError } from './errors.js';
import type { PublishWarning } from './publish.warnings.js';
import type { JourneysTable } from './schema.js';

/**
 * Journeys as the API manages them: create, list, read, edit the draft, pause, resume, archive.
 * Publishing (publish.service.ts), migrating states (migrate.service.ts), entering by API
 * (entries.service.ts) and statistics (stats.service.ts) are beside this file.
 */

/** A journey as the API shows it. */
export interface JourneyView {
  id: string;
  name: string;
  description: string;
  status: string;
  currentVersion: number | null;
  definition: unknown;
  createdAt: string;
  updatedAt: string;
  /** The warnings of the last publish (steps that could not run as written then); empty before the first. */
  publishWarnings: PublishWarning[];
}

/** An epoch-millisecond time as the API shows it. */
export const iso = (ms: number) => new Date(ms).toISOString();

/** A journey row as the API shows it. */
export function view(r: Selectable<JourneysTable>): JourneyView {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    status: r.status,
    currentVersion: r.current_version,
    definition: parseJson(r.draft),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    publishWarnings: r.publish_warnings === null ? [] : parseJson<PublishWarning[]>(r.publish_warnings),
  };
}

/** Validates a definition from a request: JOURNEY_INVALID listing every problem with its path. */
export function checkDefinition(input: unknown): Definition {
  const res = validateDefinition(input);
  if (!res.ok) throw invalid(res.errors);
  return res.definition;
}

/** JOURNEY_INVALID listing every problem with its path. */
export function invalid(errors: DefinitionError[]): AppError {
  const list = errors.map((e) => `${e.path}: ${e.message}`);
  return new JourneyError('JOURNEY_INVALID', `${list.length} problem(s) in the journey definition: ${list.slice(0, 10).join('; ')}`, { errors });
}

function checkName(name: unknown): string {
  const n = typeof name === 'string' ? name.trim() : '';
  if (n.length < 1 || n.length > 128) throw new JourneyError('VALIDATION_FAILED', 'name must be 1 to 128 characters');
  const bad = unstorableText(n);
  if (bad) throw new JourneyError('VALIDATION_FAILED', `name ${bad}`);
  return n;
}

/** The description as stored: at most 2,000 characters of storable text. */
function checkDescription(d: unknown): string {
  const text = typeof d === 'string' ? truncateText(d, 2000) : '';
  const bad = unstorableText(text);
  if (bad) throw new JourneyError('VALIDATION_FAILED', `description ${bad}`);
  return text;
}

/** The journey row, or JOURNEY_NOT_FOUND. */
export async function journeyRow(db: Conn, ws: string, id: string): Promise<Selectable<JourneysTable>> {
  const r = await journeysDb(db).selectFrom('journeys').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!r) throw new JourneyError('JOURNEY_NOT_FOUND', `no journey "${id}" in this workspace`);
  return r;
}

/** Creates a journey with a draft definition (validated); it takes entries once published. */
export async function createJourney(deps: JourneyDeps, ws: string, input: { name: unknown; description?: unknown; definition: unknown }): Promise<JourneyView> {
  const name = checkName(input.name);
  const description = checkDescription(input.description);
  const def = checkDefinition(input.definition);
  const db = journeysDb(deps.database.db);
  const now = deps.now();
  const id = newId('jny', now);
  const res = await db
    .insertInto('journeys')
    .values({ workspace_id: ws, id, name, description, status: 'draft', draft: JSON.stringify(def), current_version: null, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) throw new JourneyError('CONFLICT', `a journey named "${name}" already exists in this workspace`);
  return view(await journeyRow(deps.database.db, ws, id));
}

/** The workspace's journeys, newest first. */
export async function listJourneys(
  deps: JourneyDeps,
  ws: string,
  opts: { status?: string; limit?: number; cursor?: string } = {},
): Promise<{ data: JourneyView[]; nextCursor: string | null }> {
  const limit = opts.limit ?? 100;
  let q = journeysDb(deps.database.db).selectFrom('journeys').selectAll().where('workspace_id', '=', ws);
  if (opts.status) q = q.where('status', '=', opts.status);
  // Ids are time-ordered, so newest first is by id; the cursor is the last id of the page.
  if (opts.cursor) q = q.where('id', '<', opts.cursor);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  return { data: rows.slice(0, limit).map(view), nextCursor: rows.length > limit ? rows[limit - 1]!.id : null };
}

/** A journey with its published versions. */
export async function getJourney(
  deps: JourneyDeps,
  ws: string,
  id: string,
): Promise<JourneyView & { versions: { version: number; definition: unknown; createdAt: string }[] }> {
  const db = journeysDb(deps.database.db);
  const r = await journeyRow(deps.database.db, ws, id);
  const versions = await db.selectFrom('journey_versions').selectAll().where('workspace_id', '=', ws).where('journey_id', '=', id).orderBy('version').execute();
  return { ...view(r), versions: versions.map((v) => ({ version: v.version, definition: parseJson(v.definition), createdAt: iso(v.created_at) })) };
}

/** Changes the name, description or draft definition; running states are not affected until a publish. */
export async function updateJourney(
  deps: JourneyDeps,
  ws: string,
  id: string,
  input: { name?: unknown; description?: unknown; definition?: unknown },
): Promise<JourneyView> {
  const db = journeysDb(deps.database.db);
  const r = await journeyRow(deps.database.db, ws, id);
  if (r.status === 'archived') throw new JourneyError('JOURNEY_INVALID_STATE', `journey ${id} is archived; create a new one`);
  const set: Partial<Record<'name' | 'description' | 'draft', string>> = {};
  if (input.name !== undefined) set.name = checkName(input.name);
  if (input.description !== undefined) set.description = checkDescription(input.description);
  if (input.definition !== undefined) set.draft = JSON.stringify(checkDefinition(input.definition));
  try {
    await db
      .updateTable('journeys')
      .set({ ...set, updated_at: deps.now() })
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .execute();
  } catch (err) {
    if (set.name && /unique|constraint/i.test(String((err as Error).message)))
      throw new JourneyError('CONFLICT', `a journey named "${set.name}" already exists in this workspace`);
    throw err;
  }
  return view(await journeyRow(deps.database.db, ws, id));
}

/** Pauses (no new entries; running states continue), resumes, or archives (running states stop) a journey. */
export async function setJourneyStatus(deps: JourneyDeps, ws: string, id: string, action: 'pause' | 'resume' | 'archive'): Promise<JourneyView> {
  const db = journeysDb(deps.database.db);
  const r = await journeyRow(deps.database.db, ws, id);
  const now = deps.now();
  if (r.status === 'archived') throw new JourneyError('JOURNEY_INVALID_STATE', `journey ${id} is archived`);
  if (action !== 'archive' && r.current_version === null)
    throw new JourneyError('JOURNEY_INVALID_STATE', `journey ${id} has never been published; publish it first`);
  const status = action === 'pause' ? 'paused' : action === 'resume' ? 'active' : 'archived';
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('journeys').set({ status, updated_at: now }).where('workspace_id', '=', ws).where('id', '=', id).execute();
    if (status === 'archived') {
      await trx
        .updateTable('journey_states')
        .set({ status: 'exited', end_reason: 'archived', ended_at: now, wake_at: null, timer_at: null, listen: null, updated_at: now })
        .where('workspace_id', '=', ws)
        .where('journey_id', '=', id)
        .where('status', '=', 'active')
        .execute();
    }
  });
  return view(await journeyRow(deps.database.db, ws, id));
}
