/** SQL of survey definitions: the survey rows and their versions, as domain objects. */
import type { Kysely, Selectable } from 'kysely';
import { parseJson } from '../../platform/db/database.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../../platform/paging.js';
import type { InsightSurveysDB, InsightSurveysTable } from './schema.js';
import type { KeywordTag, Survey, SurveyContent } from './surveys.types.js';

/** Any connection or transaction, viewed through the surveys' tables. */
export type SurveysDb = Kysely<InsightSurveysDB>;

/** `db` (the whole database's, a transaction's) with the surveys' tables typed: a view, the SQL does not depend on it. */
export function surveysDb<D>(db: Kysely<D>): SurveysDb {
  return db as unknown as SurveysDb;
}

type Row = Selectable<InsightSurveysTable> & { definition: unknown; answered: number };

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

function toSurvey(r: Row): Survey {
  const c = parseJson<SurveyContent>(r.definition);
  return {
    id: r.id,
    name: r.name,
    status: r.status as Survey['status'],
    version: Number(r.current_version),
    locked: Number(r.answered) === 1,
    title: c.title,
    intro: c.intro,
    thanks: c.thanks,
    questions: c.questions,
    keywords: parseJson<KeywordTag[]>(r.keywords),
    linkTtlDays: Number(r.link_ttl_days),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function withVersion(db: SurveysDb, ws: string) {
  return db
    .selectFrom('insight_surveys as s')
    .innerJoin('insight_survey_versions as v', (j) =>
      j.onRef('v.workspace_id', '=', 's.workspace_id').onRef('v.survey_id', '=', 's.id').onRef('v.version', '=', 's.current_version'),
    )
    .selectAll('s')
    .select(['v.definition', 'v.answered'])
    .where('s.workspace_id', '=', ws);
}

/** A survey with its current version, or undefined. */
export async function findSurvey(db: SurveysDb, ws: string, id: string): Promise<Survey | undefined> {
  const r = await withVersion(db, ws).where('s.id', '=', id).executeTakeFirst();
  return r && toSurvey(r);
}

/** A version's content (answers are checked against the version they answer). */
export async function findVersion(db: SurveysDb, ws: string, id: string, version: number): Promise<SurveyContent | undefined> {
  const r = await db
    .selectFrom('insight_survey_versions')
    .select('definition')
    .where('workspace_id', '=', ws)
    .where('survey_id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  return r && parseJson<SurveyContent>(r.definition);
}

/** A page of surveys, newest first. */
export async function pageSurveys(db: SurveysDb, ws: string, q: { status?: string; limit: number; cursor?: string }): Promise<Page<Survey>> {
  let query = withVersion(db, ws);
  if (q.status) query = query.where('s.status', '=', q.status);
  if (q.cursor !== undefined) query = query.where(keysetAfter(['s.created_at', 's.id'], 'desc', decodeCursor(q.cursor, ['n', 's'])));
  const rows = await query
    .orderBy('s.created_at', 'desc')
    .orderBy('s.id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, toSurvey, (r) => [Number(r.created_at), r.id]);
}

/** Inserts a survey and its first version. */
export async function insertSurvey(
  db: SurveysDb,
  s: { workspaceId: string; id: string; name: string; content: SurveyContent; keywords: KeywordTag[]; linkTtlDays: number; now: number },
): Promise<void> {
  await db
    .insertInto('insight_surveys')
    .values({
      workspace_id: s.workspaceId,
      id: s.id,
      name: s.name,
      status: 'active',
      current_version: 1,
      keywords: JSON.stringify(s.keywords),
      link_ttl_days: s.linkTtlDays,
      created_at: s.now,
      updated_at: s.now,
    })
    .execute();
  await db
    .insertInto('insight_survey_versions')
    .values({ workspace_id: s.workspaceId, survey_id: s.id, version: 1, definition: JSON.stringify(s.content), answered: 0, created_at: s.now })
    .execute();
}

/** Writes new content: in place while the current version has no answers, else as the next version. Returns the version written. */
export async function writeContent(db: SurveysDb, ws: string, current: Survey, content: SurveyContent, now: number): Promise<number> {
  const definition = JSON.stringify(content);
  if (!current.locked) {
    await db
      .updateTable('insight_survey_versions')
      .set({ definition })
      .where('workspace_id', '=', ws)
      .where('survey_id', '=', current.id)
      .where('version', '=', current.version)
      .execute();
    return current.version;
  }
  const version = current.version + 1;
  await db
    .insertInto('insight_survey_versions')
    .values({ workspace_id: ws, survey_id: current.id, version, definition, answered: 0, created_at: now })
    .execute();
  return version;
}

/** Updates the survey row's own fields. */
export async function updateSurveyRow(
  db: SurveysDb,
  ws: string,
  id: string,
  set: { name?: string; status?: string; current_version?: number; keywords?: string; link_ttl_days?: number; updated_at: number },
): Promise<void> {
  await db.updateTable('insight_surveys').set(set).where('workspace_id', '=', ws).where('id', '=', id).execute();
}

/** Locks a version: it has an answer now (a no-op once set). */
export async function markAnswered(db: SurveysDb, ws: string, id: string, version: number): Promise<void> {
  await db
    .updateTable('insight_survey_versions')
    .set({ answered: 1 })
    .where('workspace_id', '=', ws)
    .where('survey_id', '=', id)
    .where('version', '=', version)
    .where('answered', '=', 0)
    .execute();
}
