/**
 * Answering through a signed link: the link is checked (signature, then the survey's TTL), the
 * answer against the survey's current version, and the answer, its events, traits and follow-up
 * task are written in one transaction. One answer per profile per send: a resubmission (a double
 * tap, a retried POST) returns the first answer and changes nothing.
 */
import { lockProfileFollowingMerges } from '../../cdp/index.js';
import { newId } from '../../platform/ids.js';
import { localDay } from '../../platform/time.js';
import type { InsightDeps } from '../deps.js';
import { InsightError } from '../errors.js';
import { checkAnswers } from './answers.validate.js';
import { applyAnswerEffects } from './events.js';
import { linkExpiry, type SurveyLink } from './links.js';
import { findSurvey, markAnswered, type SurveysDb, surveysDb } from './surveys.repo.js';
import type { Survey, SurveyLocale } from './surveys.types.js';
import { tagsFor } from './verbatims.service.js';

type Deps = Pick<InsightDeps, 'database' | 'now' | 'timeZoneOf' | 'surveys'>;

/** A link that checked out, with its survey. */
export interface OpenLink {
  link: SurveyLink;
  survey: Survey;
  expiresAt: number;
}

const linkInvalid = (why: string) => new InsightError('SURVEY_LINK_INVALID', `this survey link ${why}; ask for a new link`);

/**
 * The link a token names and its survey; SURVEY_LINK_INVALID when the signature does not match,
 * the survey is gone or the link is past its time, SURVEY_NOT_FOUND when the survey is archived.
 * Reads one row: the hosted page's GET does nothing heavier.
 */
export async function openLink(deps: Pick<Deps, 'database' | 'now' | 'surveys'>, token: string): Promise<OpenLink> {
  const link = deps.surveys.signer.verify(token);
  if (!link) throw linkInvalid('is not valid (its signature does not match)');
  const survey = await findSurvey(deps.database.db, link.workspaceId, link.surveyId);
  if (!survey) throw linkInvalid('names a survey that does not exist');
  const expiresAt = linkExpiry(link.issuedAt, survey.linkTtlDays);
  if (deps.now() >= expiresAt) throw linkInvalid(`expired at ${new Date(expiresAt).toISOString()}`);
  if (survey.status === 'archived') throw new InsightError('SURVEY_NOT_FOUND', `survey ${survey.id} is closed (archived) and takes no more answers`);
  return { link, survey, expiresAt };
}

/** The answer a profile already gave to a send, if any. */
export async function existingAnswer(db: SurveysDb, l: SurveyLink, profileIds = [l.profileId]): Promise<{ id: string; answeredAt: number } | undefined> {
  const r = await db
    .selectFrom('insight_survey_answers')
    .select(['id', 'answered_at'])
    .where('workspace_id', '=', l.workspaceId)
    .where('survey_id', '=', l.surveyId)
    .where('profile_id', 'in', profileIds)
    .where('send_key', '=', l.sendKey)
    .executeTakeFirst();
  return r && { id: r.id, answeredAt: Number(r.answered_at) };
}

/** What submitting answers. */
export interface SubmitResult {
  answerId: string;
  /** True when this send was answered before: the first answer stands. */
  duplicate: boolean;
  survey: Survey;
  taskId?: string;
}

/** Submits answers through a link (token), in `locale`; see the file comment. */
export async function submitAnswer(deps: Deps, token: string, raw: Record<string, unknown>, locale: SurveyLocale): Promise<SubmitResult> {
  const { link, survey } = await openLink(deps, token);
  const ws = link.workspaceId;
  const before = await existingAnswer(deps.database.db, link);
  if (before) return { answerId: before.id, duplicate: true, survey };
  const checked = checkAnswers(survey, raw);
  const now = deps.now();
  const timeZone = await deps.timeZoneOf(ws);
  const tags = tagsFor(checked.verbatim, survey.keywords);
  return deps.database.db.transaction().execute(async (trx) => {
    const live = await lockProfileFollowingMerges(trx, ws, link.profileId, now);
    if (live === undefined) throw linkInvalid('was made for a profile that no longer exists');
    // A profile merged since the link was made: its send may have been answered under the live id.
    // (Under the same id, the unique index below settles a concurrent submission.)
    const first = live === link.profileId ? undefined : await existingAnswer(surveysDb(trx), link, [live]);
    if (first) return { answerId: first.id, duplicate: true, survey };
    const id = newId('sva', now);
    const inserted = await surveysDb(trx)
      .insertInto('insight_survey_answers')
      .values({
        workspace_id: ws,
        id,
        survey_id: survey.id,
        survey_version: survey.version,
        profile_id: live,
        send_key: link.sendKey,
        touchpoint_kind: link.touchpoint.kind,
        touchpoint_id: link.touchpoint.id,
        locale,
        answers: JSON.stringify(checked.answers),
        nps: checked.nps,
        csat: checked.csat,
        ces: checked.ces,
        verbatim: checked.verbatim,
        tags: JSON.stringify(tags),
        local_day: localDay(now, timeZone),
        answered_at: now,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'survey_id', 'profile_id', 'send_key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
      const again = await existingAnswer(surveysDb(trx), link, [live]);
      return { answerId: again!.id, duplicate: true, survey };
    }
    if (!survey.locked) await markAnswered(surveysDb(trx), ws, survey.id, survey.version);
    const effects = await applyAnswerEffects(trx, deps.database.dialect, deps.surveys, {
      workspaceId: ws,
      answerId: id,
      surveyId: survey.id,
      surveyName: survey.name,
      version: survey.version,
      profileId: live,
      touchpoint: link.touchpoint,
      locale,
      tags,
      checked,
      at: now,
      timeZone,
    });
    return { answerId: id, duplicate: false, survey, ...(effects.taskId ? { taskId: effects.taskId } : {}) };
  });
}
