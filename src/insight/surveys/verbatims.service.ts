/**
 * Free-text answers (verbatims): keyword tagging (an operator's words → tags on the answer, kept
 * on the row so that search and counts by tag are plain SQL) and search by text, tag and score.
 */
import { sql } from 'kysely';
import { parseJson } from '../../platform/db/database.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../../platform/paging.js';
import type { SurveysDb } from './surveys.repo.js';
import type { KeywordTag, TouchpointKind } from './surveys.types.js';

/** The tags a text earns: each tag with a word the text contains, case-insensitively, in the operator's order. */
export function tagsFor(text: string | null, keywords: readonly KeywordTag[]): string[] {
  if (!text) return [];
  const t = text.toLocaleLowerCase();
  return keywords.filter((k) => k.words.some((w) => t.includes(w.toLocaleLowerCase()))).map((k) => k.tag);
}

/** Tags a survey's answers again after its keywords changed, in pages of 500 (in the caller's transaction). */
export async function retagAnswers(db: SurveysDb, ws: string, surveyId: string, keywords: readonly KeywordTag[]): Promise<number> {
  let after = '';
  let changed = 0;
  for (;;) {
    const rows = await db
      .selectFrom('insight_survey_answers')
      .select(['id', 'verbatim', 'tags'])
      .where('workspace_id', '=', ws)
      .where('survey_id', '=', surveyId)
      .where('verbatim', 'is not', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(500)
      .execute();
    for (const r of rows) {
      const tags = JSON.stringify(tagsFor(r.verbatim, keywords));
      if (tags === JSON.stringify(parseJson<string[]>(r.tags))) continue;
      await db.updateTable('insight_survey_answers').set({ tags }).where('workspace_id', '=', ws).where('id', '=', r.id).execute();
      changed++;
    }
    if (rows.length < 500) return changed;
    after = rows[rows.length - 1]!.id;
  }
}

/** A free-text answer as the API shows it. */
export interface Verbatim {
  answerId: string;
  profileId: string;
  text: string;
  tags: string[];
  nps: number | null;
  csat: number | null;
  ces: number | null;
  touchpoint: { kind: TouchpointKind; id: string };
  answeredAt: string;
}

/** Filters of a verbatim search. */
export interface VerbatimQuery {
  /** Text the answer contains (case-insensitive for Latin letters). */
  q?: string;
  tag?: string;
  /** Only answers whose NPS is in this category. */
  category?: 'promoter' | 'passive' | 'detractor';
  from?: number;
  to?: number;
  limit: number;
  cursor?: string;
}

const likeText = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A page of a survey's free-text answers, newest first. */
export async function searchVerbatims(db: SurveysDb, ws: string, surveyId: string, f: VerbatimQuery): Promise<Page<Verbatim>> {
  let q = db
    .selectFrom('insight_survey_answers')
    .select(['id', 'profile_id', 'verbatim', 'tags', 'nps', 'csat', 'ces', 'touchpoint_kind', 'touchpoint_id', 'answered_at'])
    .where('workspace_id', '=', ws)
    .where('survey_id', '=', surveyId)
    .where('verbatim', 'is not', null);
  if (f.q) q = q.where(sql<boolean>`lower(verbatim) like ${likeText(f.q.toLowerCase())} escape '\\'`);
  // Tags are a JSON array of strings: `"tag"` with its quotes matches one whole tag.
  if (f.tag) q = q.where(sql<boolean>`cast(${sql.ref('tags')} as text) like ${likeText(JSON.stringify(f.tag))} escape '\\'`);
  if (f.category === 'promoter') q = q.where('nps', '>=', 9);
  if (f.category === 'passive') q = q.where('nps', 'in', [7, 8]);
  if (f.category === 'detractor') q = q.where('nps', '<=', 6);
  if (f.from !== undefined) q = q.where('answered_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('answered_at', '<', f.to);
  if (f.cursor !== undefined) q = q.where(keysetAfter(['answered_at', 'id'], 'desc', decodeCursor(f.cursor, ['n', 's'])));
  const rows = await q
    .orderBy('answered_at', 'desc')
    .orderBy('id', 'desc')
    .limit(f.limit + 1)
    .execute();
  return pageOf(
    rows,
    f.limit,
    (r) => ({
      answerId: r.id,
      profileId: r.profile_id,
      text: r.verbatim ?? '',
      tags: parseJson<string[]>(r.tags),
      nps: r.nps,
      csat: r.csat,
      ces: r.ces,
      touchpoint: { kind: r.touchpoint_kind as TouchpointKind, id: r.touchpoint_id },
      answeredAt: new Date(Number(r.answered_at)).toISOString(),
    }),
    (r) => [Number(r.answered_at), r.id],
  );
}
