import { existingTemplateIds } from '../messaging/index.js';
import { parseJson, withRetries } from '../platform/db/database.js';
import { activeSegmentIds, isSegmentListened, markSegmentListened, referencedSegments } from '../segments/index.js';
import { type Conn, journeysDb } from './db.js';
import type { Definition, DefinitionError } from './definition.js';
import type { JourneyDeps } from './deps.js';
import { JourneyError } from './errors.js';
import { checkDefinition, invalid, journeyRow, type JourneyView, view } from './journeys.service.js';
import { type PublishWarning, publishWarnings } from './publish.warnings.js';

/**
 * Every segment, template and listed WeCom group a definition names must exist in the workspace
 * (checked when publishing). Listed chat ids are entered as they are (trigger-runners.ts), so one of
 * another workspace would be entered and messaged (the isolation suite, issue #19, found it).
 */
async function checkReferences(db: Conn, deps: JourneyDeps, ws: string, def: Definition): Promise<void> {
  const errors: DefinitionError[] = [];
  const tr0 = def.trigger;
  const chatIds = tr0.type === 'schedule' && 'wecomGroups' in tr0.audience ? tr0.audience.wecomGroups.chatIds : undefined;
  if (chatIds?.length && deps.activeGroupChatIds) {
    const found = new Set(await deps.activeGroupChatIds(db, ws, { chatIds }));
    chatIds.forEach((id, i) => {
      if (!found.has(id))
        errors.push({
          path: `definition.trigger.audience.wecomGroups.chatIds[${i}]`,
          message: `names WeCom group "${id}", which is not an active group of this workspace`,
        });
    });
  }
  const segments = new Map<string, string>();
  const tr = def.trigger;
  if (tr.type === 'segment_entered' || tr.type === 'segment_exited') segments.set(tr.segmentId, 'definition.trigger.segmentId');
  if (tr.type === 'schedule' && 'segmentId' in tr.audience) segments.set(tr.audience.segmentId, 'definition.trigger.audience.segmentId');
  const templates = new Map<string, string>();
  def.steps.forEach((s, i) => {
    if (s.type === 'branch')
      s.branches.forEach((b, j) => referencedSegments(b.rule).forEach((id) => segments.set(id, `definition.steps[${i}].branches[${j}].rule`)));
    if (s.type === 'send' && s.templateId) templates.set(s.templateId, `definition.steps[${i}].templateId`);
  });
  if (segments.size) {
    const found = await activeSegmentIds(db, ws, [...segments.keys()]);
    for (const [id, path] of segments)
      if (!found.has(id)) errors.push({ path, message: `names segment "${id}", which does not exist (or is archived) in this workspace` });
  }
  if (templates.size) {
    const found = await existingTemplateIds(db, ws, [...templates.keys()]);
    for (const [id, path] of templates) if (!found.has(id)) errors.push({ path, message: `names template "${id}", which does not exist in this workspace` });
  }
  if (errors.length) throw invalid(errors);
}

/**
 * A segment-entered trigger reads the segment's new members through the entry-time index, which
 * holds only the rows of segments marked as listened (segments' migration, formerly journeys'
 * 0016). The mark is set here, committed before the version is published: a membership write
 * reads it under the segment's lock (lockSegments), so one that read it unset committed before the
 * mark, hence before the version's publish time, where the trigger's reading starts. Never unset
 * (an unused mark costs only index upkeep).
 */
async function listenToTriggerSegment(deps: JourneyDeps, ws: string, id: string): Promise<void> {
  const r = await journeysDb(deps.database.db).selectFrom('journeys').select('draft').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  const trigger = r?.draft ? parseJson<{ trigger?: { type?: unknown; segmentId?: unknown } }>(r.draft)?.trigger : undefined;
  if (trigger?.type !== 'segment_entered' || typeof trigger.segmentId !== 'string') return;
  await markSegmentListened(deps.database.db, ws, trigger.segmentId);
}

/**
 * In one transaction: checks the draft and its references, inserts it as the next version and
 * keeps its warnings; undefined when the trigger segment is not marked yet.
 */
function publishDraft(deps: JourneyDeps, ws: string, id: string): Promise<{ version: number; warnings: PublishWarning[] } | undefined> {
  return withRetries(deps.database, () =>
    deps.database.db.transaction().execute(async (trx) => {
      const db = journeysDb(trx);
      const r = await deps.database.dialect
        .forUpdate(db.selectFrom('journeys').selectAll().where('workspace_id', '=', ws).where('id', '=', id))
        .executeTakeFirst();
      if (!r) throw new JourneyError('JOURNEY_NOT_FOUND', `no journey "${id}" in this workspace`);
      if (r.status === 'archived') throw new JourneyError('JOURNEY_INVALID_STATE', `journey ${id} is archived; create a new one`);
      const def = checkDefinition(parseJson(r.draft));
      await checkReferences(trx, deps, ws, def);
      if (def.trigger.type === 'segment_entered' && !(await isSegmentListened(trx, ws, def.trigger.segmentId))) return undefined;
      const warnings = await publishWarnings(trx, deps, ws, def);
      const now = deps.now();
      const v = (r.current_version ?? 0) + 1;
      await db
        .insertInto('journey_versions')
        .values({ workspace_id: ws, journey_id: id, version: v, definition: JSON.stringify(def), created_at: now })
        .execute();
      await db
        .updateTable('journeys')
        .set({ current_version: v, status: 'active', publish_warnings: JSON.stringify(warnings), updated_at: now })
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .execute();
      return { version: v, warnings };
    }),
  );
}

/**
 * Publishes the draft as a new version: new entries use it; states already running stay on their
 * version unless migrated (`migrateStates`). The journey becomes active. `warnings` lists the steps
 * that cannot run as written (publish.warnings.ts); they do not stop the publish.
 */
export async function publishJourney(deps: JourneyDeps, ws: string, id: string): Promise<JourneyView & { version: number; warnings: PublishWarning[] }> {
  // The draft may change between marking its trigger segment and the publish transaction; the
  // transaction then finds the new segment unmarked and the whole step runs again.
  for (let attempt = 1; ; attempt++) {
    await listenToTriggerSegment(deps, ws, id);
    const published = await publishDraft(deps, ws, id);
    if (published === undefined) {
      if (attempt < 5) continue;
      throw new JourneyError('CONFLICT', `the draft of journey ${id} kept changing while it was being published; publish it again`);
    }
    deps.hub.emit('journeys.entered', { workspaceId: ws });
    return { ...view(await journeyRow(deps.database.db, ws, id)), ...published };
  }
}
