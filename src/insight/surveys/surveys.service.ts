/**
 * Survey definitions: create, list, get, update (a new version once the current one has answers,
 * so every answer keeps the questions it answered), archive. The JSON schema checks shapes; the
 * rules here check what a schema cannot say (unique ids, options only on choices, one question
 * per score kind so that a survey's score is unambiguous).
 */
import { newId } from '../../platform/ids.js';
import type { Page } from '../../platform/paging.js';
import type { InsightDeps } from '../deps.js';
import { InsightError } from '../errors.js';
import { DEFAULT_LINK_TTL_DAYS } from './links.js';
import { findSurvey, insertSurvey, pageSurveys, type SurveysDb, surveysDb, updateSurveyRow, writeContent } from './surveys.repo.js';
import { isScore, type KeywordTag, type Survey, type SurveyContent } from './surveys.types.js';
import { retagAnswers } from './verbatims.service.js';

/** The body of creating a survey (and, all fields optional, of updating one). */
export interface SurveyInput extends SurveyContent {
  name: string;
  keywords?: KeywordTag[];
  linkTtlDays?: number;
}

type Deps = Pick<InsightDeps, 'database' | 'now'>;
const sdb = (deps: Deps): SurveysDb => deps.database.db;
const invalid = (message: string, field: string) => new InsightError('VALIDATION_FAILED', message, { field });

/** Checks what the schema cannot: unique ids, options exactly on choice questions, one question per score kind. */
export function checkContent(c: SurveyContent): void {
  const ids = new Set<string>();
  const scores = new Set<string>();
  c.questions.forEach((q, i) => {
    const at = `questions[${i}]`;
    if (ids.has(q.id)) throw invalid(`${at}.id: "${q.id}" is used twice; question ids must be unique`, `${at}.id`);
    ids.add(q.id);
    const choice = q.kind === 'single' || q.kind === 'multiple';
    if (choice && (q.options?.length ?? 0) < 2) throw invalid(`${at}.options: a ${q.kind} choice question needs 2 to 20 options`, `${at}.options`);
    if (!choice && q.options) throw invalid(`${at}.options: only single and multiple choice questions take options (this one is ${q.kind})`, `${at}.options`);
    const optionIds = new Set(q.options?.map((o) => o.id));
    if (optionIds.size !== (q.options?.length ?? 0)) throw invalid(`${at}.options: option ids must be unique`, `${at}.options`);
    if (isScore(q.kind)) {
      if (scores.has(q.kind)) throw invalid(`${at}.kind: a survey has at most one ${q.kind} question (its score must be unambiguous)`, `${at}.kind`);
      scores.add(q.kind);
    }
  });
}

function checkKeywords(k: KeywordTag[]): void {
  const tags = new Set<string>();
  k.forEach((x, i) => {
    if (tags.has(x.tag)) throw invalid(`keywords[${i}].tag: "${x.tag}" is listed twice; give each tag once with all its words`, `keywords[${i}].tag`);
    tags.add(x.tag);
  });
}

/** A survey, or SURVEY_NOT_FOUND. */
export async function getSurvey(deps: Deps, ws: string, id: string): Promise<Survey> {
  const s = await findSurvey(sdb(deps), ws, id);
  if (!s) throw new InsightError('SURVEY_NOT_FOUND', `no survey ${id} in this workspace`);
  return s;
}

/** Creates a survey (version 1, active). */
export async function createSurvey(deps: Deps, ws: string, body: SurveyInput): Promise<Survey> {
  const content = contentOf(body);
  checkContent(content);
  checkKeywords(body.keywords ?? []);
  const now = deps.now();
  const id = newId('srv', now);
  await deps.database.db.transaction().execute(async (trx) =>
    insertSurvey(surveysDb(trx), {
      workspaceId: ws,
      id,
      name: body.name,
      content,
      keywords: body.keywords ?? [],
      linkTtlDays: body.linkTtlDays ?? DEFAULT_LINK_TTL_DAYS,
      now,
    }),
  );
  return getSurvey(deps, ws, id);
}

function contentOf(b: Partial<SurveyContent>): SurveyContent {
  return { title: b.title!, ...(b.intro ? { intro: b.intro } : {}), ...(b.thanks ? { thanks: b.thanks } : {}), questions: b.questions! };
}

/**
 * Updates a survey: name, keywords (existing answers are tagged again) and TTL in place; content
 * (title, intro, thanks, questions) in place while nobody answered the current version, else as
 * the next version.
 */
export async function updateSurvey(deps: Deps, ws: string, id: string, body: Partial<SurveyInput>): Promise<Survey> {
  const now = deps.now();
  await deps.database.db.transaction().execute(async (tx) => {
    const trx = surveysDb(tx);
    const current = await findSurvey(trx, ws, id);
    if (!current) throw new InsightError('SURVEY_NOT_FOUND', `no survey ${id} in this workspace`);
    if (current.status === 'archived') throw new InsightError('CONFLICT', `survey ${id} is archived; archived surveys cannot be edited`);
    let version = current.version;
    if (body.title || body.intro || body.thanks || body.questions) {
      const content = contentOf({ ...current, ...body });
      checkContent(content);
      version = await writeContent(trx, ws, current, content, now);
    }
    if (body.keywords) checkKeywords(body.keywords);
    await updateSurveyRow(trx, ws, id, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.keywords ? { keywords: JSON.stringify(body.keywords) } : {}),
      ...(body.linkTtlDays !== undefined ? { link_ttl_days: body.linkTtlDays } : {}),
      current_version: version,
      updated_at: now,
    });
    if (body.keywords) await retagAnswers(trx, ws, id, body.keywords);
  });
  return getSurvey(deps, ws, id);
}

/** Archives a survey: its links then show that it is closed; results stay. Idempotent. */
export async function archiveSurvey(deps: Deps, ws: string, id: string): Promise<Survey> {
  await getSurvey(deps, ws, id);
  await updateSurveyRow(sdb(deps), ws, id, { status: 'archived', updated_at: deps.now() });
  return getSurvey(deps, ws, id);
}

/** A page of the workspace's surveys, newest first. */
export async function listSurveys(deps: Deps, ws: string, q: { status?: string; limit: number; cursor?: string }): Promise<Page<Survey>> {
  return pageSurveys(sdb(deps), ws, q);
}
