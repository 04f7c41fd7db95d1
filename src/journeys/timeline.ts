import type { TimelineRow, TimelineSource } from '../cdp/index.js';
import { journeysDb } from './db.js';
import { stepResult } from './work.js';

/** The event name of a journey step on a profile's timeline. */
export const JOURNEY_STEP_EVENT = 'Journey Step';

/** States of one profile read for its timeline (its most recent entries). */
const MAX_STATES = 1000;

/**
 * The timeline source of journeys (cdp's `timelineSources` port, filled by the root): a "Journey
 * Step" item for every step a profile's journey states took, from the step log, with properties
 * `journey_id`, `journey_name`, `version`, `state_id`, `step_id`, `outcome` and `result`
 * (`passed`, `skipped` or `failed`: a step that could not do its job does not look done).
 */
export function journeyTimelineSource(): TimelineSource {
  return async (handle, ws, profileIds, opts) => {
    if ((opts.type !== undefined && opts.type !== 'track') || (opts.event !== undefined && opts.event !== JOURNEY_STEP_EVENT)) return [];
    const db = journeysDb(handle);
    const states = await db
      .selectFrom('journey_states')
      .select(['id', 'journey_id', 'version'])
      .where('workspace_id', '=', ws)
      .where('subject_id', 'in', profileIds)
      .where('subject_kind', '=', 'profile')
      .orderBy('entered_at', 'desc')
      .limit(MAX_STATES)
      .execute();
    if (!states.length) return [];
    const byState = new Map(states.map((s) => [s.id, s]));
    const stepLog = () =>
      db
        .selectFrom('journey_step_log')
        .select(['state_id', 'seq', 'step_id', 'outcome', 'at'])
        .where('workspace_id', '=', ws)
        .where('state_id', 'in', [...byState.keys()]);
    const log = (q: ReturnType<typeof stepLog>) => q.orderBy('at', 'desc').orderBy('seq', 'desc').execute();
    const before = opts.before;
    // Rows at the cursor's own time are all read (and cut by id below); earlier ones a page at a time.
    const rows = before
      ? [...(await log(stepLog().where('at', '=', before.timestamp))), ...(await log(stepLog().where('at', '<', before.timestamp).limit(opts.limit)))]
      : await log(stepLog().limit(opts.limit));
    const journeys = [...new Set(states.map((s) => s.journey_id))];
    const names = new Map(
      (await db.selectFrom('journeys').select(['id', 'name']).where('workspace_id', '=', ws).where('id', 'in', journeys).execute()).map((j) => [j.id, j.name]),
    );
    const out: TimelineRow[] = [];
    for (const r of rows) {
      const s = byState.get(r.state_id)!;
      const at = Number(r.at);
      // The sequence is padded so that steps taken at the same instant sort in order by id.
      const messageId = `jstep_${r.state_id}_${String(r.seq).padStart(6, '0')}`;
      if (before && at === before.timestamp && messageId >= before.messageId) continue;
      const properties = {
        journey_id: s.journey_id,
        journey_name: names.get(s.journey_id) ?? s.journey_id,
        version: s.version,
        state_id: r.state_id,
        step_id: r.step_id,
        outcome: r.outcome,
        result: stepResult(r.outcome),
      };
      const timestamp = new Date(at).toISOString();
      const payload = { type: 'track', event: JOURNEY_STEP_EVENT, messageId, timestamp, properties, context: { library: { name: 'siyu' } } };
      out.push({ messageId, type: 'track', event: JOURNEY_STEP_EVENT, timestamp: at, receivedAt: at, payload });
    }
    return out.sort((a, b) => b.timestamp - a.timestamp || (a.messageId < b.messageId ? 1 : a.messageId > b.messageId ? -1 : 0)).slice(0, opts.limit);
  };
}
