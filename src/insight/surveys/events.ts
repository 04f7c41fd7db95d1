/**
 * What an answer does outside insight: `Survey Answered` (and, for an unhappy answer, `Survey
 * Detractor`) on the profile's timeline through cdp's `recordSystemEvents`, so segment rules and
 * journey triggers read them like any event; the latest scores as traits through cdp's trait
 * writer; and, for an unhappy answer, a follow-up task for the customer's owning WeCom staff
 * member through the scrm port. All in the answer's transaction: an answer without them is never
 * committed, and the events' ids derive from the answer's, so nothing happens twice.
 */
import type { Kysely } from 'kysely';
import { loadProfileState, mergedIdsOf, recordSystemEvents, type SystemEvent, writeTraits } from '../../cdp/index.js';
import type { Dialect } from '../../platform/db/database.js';
import type { SurveyPorts } from './deps.js';
import type { CheckedAnswer } from './answers.validate.js';
import { detractorReason, npsCategory, type TouchpointKind } from './surveys.types.js';

/** Event names insight records on timelines (journeys trigger on them, segment rules count them). */
export const SURVEY_EVENTS = { answered: 'Survey Answered', detractor: 'Survey Detractor' } as const;

/** The kind of the scrm follow-up tasks a detractor's answer makes. */
export const FOLLOW_UP_KIND = 'survey_follow_up';

/** A stored answer, as the effects need it. */
export interface AnswerFacts {
  workspaceId: string;
  answerId: string;
  surveyId: string;
  surveyName: string;
  version: number;
  profileId: string;
  touchpoint: { kind: TouchpointKind; id: string };
  locale: string;
  tags: string[];
  checked: CheckedAnswer;
  at: number;
  timeZone: string;
}

/** The traits an answer sets: the latest score of each kind it has, its NPS category, the time. */
export function answerTraits(a: AnswerFacts): Record<string, unknown> {
  const c = a.checked;
  const at = new Date(a.at).toISOString();
  return {
    ...(c.nps !== null ? { nps_last_score: c.nps, nps_category: npsCategory(c.nps), nps_last_at: at } : {}),
    ...(c.csat !== null ? { csat_last_score: c.csat, csat_last_at: at } : {}),
    ...(c.ces !== null ? { ces_last_score: c.ces, ces_last_at: at } : {}),
    survey_last_answered_at: at,
  };
}

function eventProperties(a: AnswerFacts): Record<string, unknown> {
  const c = a.checked;
  const score = c.nps ?? c.csat ?? c.ces;
  return {
    survey_id: a.surveyId,
    survey_name: a.surveyName,
    survey_version: a.version,
    answer_id: a.answerId,
    question_kinds: c.kinds,
    ...(score !== null ? { score } : {}),
    ...(c.nps !== null ? { nps: c.nps, nps_category: npsCategory(c.nps) } : {}),
    ...(c.csat !== null ? { csat: c.csat } : {}),
    ...(c.ces !== null ? { ces: c.ces } : {}),
    touchpoint_kind: a.touchpoint.kind,
    touchpoint_id: a.touchpoint.id,
    tags: a.tags,
    locale: a.locale,
  };
}

function taskTitle(a: AnswerFacts, reason: 'nps' | 'csat' | 'ces'): string {
  const score = a.checked[reason];
  const text = a.checked.verbatim ? `：「${a.checked.verbatim.slice(0, 60)}」` : '';
  return `${reason.toUpperCase()} ${score} 分，请回访（${a.surveyName}）${text}`;
}

/**
 * Records the answer's events and traits on its profile (live, and locked by the caller: see
 * lockProfileFollowingMerges) and, when it is unhappy, makes the staff task; returns the task, if
 * one was made.
 */
export async function applyAnswerEffects(
  trx: Kysely<any>,
  dialect: Dialect,
  ports: Pick<SurveyPorts, 'followUpTask'>,
  a: AnswerFacts,
): Promise<{ taskId?: string; staffUserid?: string }> {
  const live = a.profileId;
  const state = await loadProfileState(trx, a.workspaceId, live);
  if (!state) throw new Error(`profile ${live} was locked but cannot be read`);
  for (const [k, v] of Object.entries(answerTraits(a))) {
    // Last write by time wins, as on the ingest path.
    if ((state.traitTimes[k] ?? -Infinity) > a.at) continue;
    state.traits[k] = v;
    state.traitTimes[k] = a.at;
  }
  await writeTraits(trx, a.workspaceId, live, state.traits, state.traitTimes, a.at);
  const properties = eventProperties(a);
  const reason = detractorReason(a.checked);
  const events: SystemEvent[] = [
    { workspaceId: a.workspaceId, profileId: live, event: SURVEY_EVENTS.answered, properties, at: a.at, eventId: `${a.answerId}:answered` },
  ];
  if (reason) events.push({ ...events[0]!, event: SURVEY_EVENTS.detractor, properties: { ...properties, reason }, eventId: `${a.answerId}:detractor` });
  await recordSystemEvents(trx, dialect, events);
  if (!reason) return {};
  const task = await ports.followUpTask(trx, a.workspaceId, {
    profileIds: [live, ...(await mergedIdsOf(trx, a.workspaceId, live))],
    ...(a.touchpoint.kind === 'staff' && a.touchpoint.id ? { preferStaff: a.touchpoint.id } : {}),
    sourceKey: `survey:${a.answerId}`,
    kind: FOLLOW_UP_KIND,
    title: taskTitle(a, reason),
    now: a.at,
    timeZone: a.timeZone,
  });
  return task ? { taskId: task.id, staffUserid: task.staffUserid } : {};
}
