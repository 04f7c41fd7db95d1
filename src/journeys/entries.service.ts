import { liveProfileIds } from '../cdp/index.js';
import { parseJson, withRetries } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { journeysDb } from './db.js';
import { type Definition, isGroupJourney } from './definition.js';
import type { JourneyDeps } from './deps.js';
import { enterSubjects, lockTriggers } from './enter.js';
import { JourneyError } from './errors.js';
import { journeyRow } from './journeys.service.js';

/** What entering by API asks: profiles, an optional key (a retried call enters nobody twice) and context for the templates. */
export interface EnterInput {
  profileIds: string[];
  key?: string;
  context?: Record<string, unknown>;
}

/** The current version of an active profile journey, or JOURNEY_INVALID_STATE. */
async function enterableVersion(deps: JourneyDeps, ws: string, id: string): Promise<{ version: number; def: Definition }> {
  const r = await journeyRow(deps.database.db, ws, id);
  if (r.status !== 'active' || r.current_version === null)
    throw new JourneyError(
      'JOURNEY_INVALID_STATE',
      `journey ${id} is ${r.status === 'draft' ? 'not published' : r.status}; only an active journey takes entries`,
    );
  const v = await journeysDb(deps.database.db)
    .selectFrom('journey_versions')
    .select('definition')
    .where('workspace_id', '=', ws)
    .where('journey_id', '=', id)
    .where('version', '=', r.current_version)
    .executeTakeFirstOrThrow();
  const def = parseJson<Definition>(v.definition);
  if (isGroupJourney(def)) throw new JourneyError('JOURNEY_INVALID_STATE', `journey ${id} runs over WeCom groups on its schedule; profiles cannot be entered`);
  return { version: r.current_version, def };
}

/** Enters profiles by API (`POST /v1/journeys/:id/enter`); `key` makes a retried call enter nobody twice. */
export async function enterByApi(
  deps: JourneyDeps,
  ws: string,
  id: string,
  input: EnterInput,
): Promise<{ entered: number; skipped: { profileId: string; reason: string }[] }> {
  const { version, def } = await enterableVersion(deps, ws, id);
  const now = deps.now();
  const key = input.key ?? newId('manual', now);
  const result = await withRetries(deps.database, () =>
    deps.database.db.transaction().execute(async (trx) => {
      await lockTriggers(trx, deps.database.dialect, ws, now);
      const live = await liveProfileIds(trx, ws, [...new Set(input.profileIds)]);
      const skipped: { profileId: string; reason: string }[] = input.profileIds
        .filter((p) => !live.has(p))
        .map((p) => ({ profileId: p, reason: 'no_profile' }));
      const res = await enterSubjects(
        trx,
        deps.database.dialect,
        { workspaceId: ws, journeyId: id, version, definition: def },
        [...new Set(live.values())].map((p) => ({
          subjectId: p,
          kind: 'profile' as const,
          entryKey: `manual:${key}`,
          context: { manual: { key, ...input.context } },
        })),
        now,
      );
      return { entered: res.entered, skipped: [...skipped, ...res.skipped.map((s) => ({ profileId: s.subjectId, reason: s.reason }))] };
    }),
  );
  if (result.entered) deps.hub.emit('journeys.entered', { workspaceId: ws });
  return result;
}
