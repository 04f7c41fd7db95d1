import type { JsonColumn, Millis } from '../../platform/db/schema.js';

/**
 * The surveys' tables (migration 0026_insight_surveys), owned by insight: survey definitions,
 * their versions (a version with answers is never changed: an edit makes the next version), and
 * the answers with their scores broken out into columns so that results are plain aggregates.
 */

/** A survey: its name, status, current version and the operator's keyword tags. */
export interface InsightSurveysTable {
  workspace_id: string;
  id: string;
  name: string;
  /** 'active' | 'archived' (an archived survey takes no answers). */
  status: string;
  current_version: number;
  /** `[{ tag, words: [] }]`, JSON: a free-text answer containing a word gets the tag. */
  keywords: JsonColumn;
  /** How long a link signed for it stays valid. */
  link_ttl_days: number;
  created_at: Millis;
  updated_at: Millis;
}

/** One version of a survey's content: title, intro, thanks and questions (JSON). */
export interface InsightSurveyVersionsTable {
  workspace_id: string;
  survey_id: string;
  version: number;
  definition: JsonColumn;
  /** 1 once an answer names this version: from then on it is locked. */
  answered: number;
  created_at: Millis;
}

/** One profile's answer to one send of a survey (unique by survey, profile and send key). */
export interface InsightSurveyAnswersTable {
  workspace_id: string;
  id: string;
  survey_id: string;
  survey_version: number;
  profile_id: string;
  /** What the link was sent as: a message id, or the key given when the link was made. */
  send_key: string;
  /** 'journey' | 'broadcast' | 'api' | 'store' | 'staff' | 'link' | 'live_code'. */
  touchpoint_kind: string;
  /** The journey, broadcast, store or staff member; '' when none. */
  touchpoint_id: string;
  locale: string;
  /** `{ [questionId]: number | string | string[] }`, JSON. */
  answers: JsonColumn;
  nps: number | null;
  csat: number | null;
  ces: number | null;
  /** The free-text answers joined (what verbatim search reads); null when there is none. */
  verbatim: string | null;
  /** Keyword tags, JSON array of strings. */
  tags: JsonColumn;
  /** The workspace-local day (days since 1970-01-01) of answered_at: trends group by it. */
  local_day: number;
  answered_at: Millis;
}

/** The surveys' tables in insight's database type. */
export interface InsightSurveysDB {
  insight_surveys: InsightSurveysTable;
  insight_survey_versions: InsightSurveyVersionsTable;
  insight_survey_answers: InsightSurveyAnswersTable;
}
