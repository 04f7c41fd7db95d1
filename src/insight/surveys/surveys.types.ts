/** The shapes of survey definitions and answers, and the score scales every part agrees on. */
import type { QUESTION_KINDS, SURVEY_LOCALES, TOUCHPOINT_KINDS } from './surveys.schemas.js';

/** A question kind. */
export type QuestionKind = (typeof QUESTION_KINDS)[number];
/** A survey language. */
export type SurveyLocale = (typeof SURVEY_LOCALES)[number];
/** Where a link was sent from. */
export type TouchpointKind = (typeof TOUCHPOINT_KINDS)[number];

/** A text in zh-CN and, optionally, en. */
export type LocalText = { 'zh-CN': string; en?: string };

/** A choice of a single or multiple choice question. */
export interface QuestionOption {
  id: string;
  label: LocalText;
}

/** One question of a survey. */
export interface Question {
  id: string;
  kind: QuestionKind;
  text: LocalText;
  required?: boolean;
  options?: QuestionOption[];
}

/** The versioned content of a survey. */
export interface SurveyContent {
  title: LocalText;
  intro?: LocalText;
  thanks?: LocalText;
  questions: Question[];
}

/** An operator's keyword tag. */
export interface KeywordTag {
  tag: string;
  words: string[];
}

/** A survey with its current version's content. */
export interface Survey extends SurveyContent {
  id: string;
  name: string;
  status: 'active' | 'archived';
  version: number;
  locked: boolean;
  keywords: KeywordTag[];
  linkTtlDays: number;
  createdAt: string;
  updatedAt: string;
}

/** The three scores and their scales (inclusive). */
export const SCALES = { nps: [0, 10], csat: [1, 5], ces: [1, 7] } as const;
/** A score kind. */
export type ScoreKind = keyof typeof SCALES;
/** The score kinds. */
export const SCORE_KINDS = Object.keys(SCALES) as ScoreKind[];

/** Whether a question kind is a score. */
export function isScore(kind: QuestionKind): kind is ScoreKind {
  return kind in SCALES;
}

/** An NPS answer's category: promoter 9–10, passive 7–8, detractor 0–6. */
export function npsCategory(score: number): 'promoter' | 'passive' | 'detractor' {
  return score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
}

/**
 * Which score, if any, makes an answer an unhappy one the feedback loop acts on: NPS 0–6 (a
 * detractor), CSAT 1–2 (dissatisfied), CES 1–3 (hard to get done), checked in that order.
 */
export function detractorReason(s: { nps: number | null; csat: number | null; ces: number | null }): ScoreKind | undefined {
  if (s.nps !== null && s.nps <= 6) return 'nps';
  if (s.csat !== null && s.csat <= 2) return 'csat';
  if (s.ces !== null && s.ces <= 3) return 'ces';
  return undefined;
}

/** The text of a language, falling back to zh-CN. */
export function textIn(t: LocalText, locale: SurveyLocale): string {
  return (locale === 'en' ? t.en : undefined) ?? t['zh-CN'];
}
