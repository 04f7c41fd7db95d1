/**
 * Checking an answer against the version of the survey it answers: each question by its kind
 * (a table of small checks), required questions present, no unknown questions. Values may come
 * as JSON (numbers, arrays) or from the hosted page's form (strings, repeated fields).
 */
import { unstorableText } from '../../platform/text.js';
import { InsightError } from '../errors.js';
import { isScore, type Question, type QuestionKind, SCALES, type SurveyContent } from './surveys.types.js';

/** A checked answer value. */
export type AnswerValue = number | string | string[];

/** What an answer holds once checked: values by question, the scores, and the free text joined. */
export interface CheckedAnswer {
  answers: Record<string, AnswerValue>;
  nps: number | null;
  csat: number | null;
  ces: number | null;
  verbatim: string | null;
  kinds: QuestionKind[];
}

/** The longest free-text answer. */
export const TEXT_MAX = 2000;

const wrong = (q: Question, message: string) =>
  new InsightError('SURVEY_ANSWER_INVALID', `question "${q.id}" (${q.kind}): ${message}`, { question: q.id, kind: q.kind });

function scoreCheck(q: Question, v: unknown): number {
  const [min, max] = SCALES[q.kind as keyof typeof SCALES];
  const n = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw wrong(q, `${JSON.stringify(v)} is not a whole number from ${min} to ${max}`);
  return n;
}

function optionIds(q: Question): string[] {
  return (q.options ?? []).map((o) => o.id);
}

const CHECKS: Record<QuestionKind, (q: Question, v: unknown) => AnswerValue | undefined> = {
  nps: scoreCheck,
  csat: scoreCheck,
  ces: scoreCheck,
  single: (q, v) => {
    const one = Array.isArray(v) && v.length === 1 ? v[0] : v;
    if (typeof one !== 'string' || !optionIds(q).includes(one)) throw wrong(q, `${JSON.stringify(v)} is not one of the options ${optionIds(q).join(', ')}`);
    return one;
  },
  multiple: (q, v) => {
    const list = Array.isArray(v) ? v : [v];
    const ids = optionIds(q);
    const bad = list.find((x) => typeof x !== 'string' || !ids.includes(x));
    if (bad !== undefined) throw wrong(q, `${JSON.stringify(bad)} is not one of the options ${ids.join(', ')}`);
    const chosen = [...new Set(list as string[])];
    return chosen.length ? chosen : undefined;
  },
  text: (q, v) => {
    if (typeof v !== 'string') throw wrong(q, 'free text must be a string');
    const s = v.trim();
    if (s.length > TEXT_MAX) throw wrong(q, `the text has ${s.length} characters; at most ${TEXT_MAX} are accepted`);
    const why = unstorableText(s);
    if (why) throw wrong(q, `the text ${why}`);
    return s || undefined;
  },
};

const isEmpty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/** Checks raw answers against a survey version; SURVEY_ANSWER_INVALID names the first question that does not fit. */
export function checkAnswers(content: SurveyContent, raw: Record<string, unknown>): CheckedAnswer {
  const known = new Set(content.questions.map((q) => q.id));
  const unknown = Object.keys(raw).find((k) => !known.has(k));
  if (unknown !== undefined)
    throw new InsightError('SURVEY_ANSWER_INVALID', `question "${unknown}" is not in this survey (its questions: ${[...known].join(', ')})`, {
      question: unknown,
    });
  const out: CheckedAnswer = { answers: {}, nps: null, csat: null, ces: null, verbatim: null, kinds: [] };
  const texts: string[] = [];
  for (const q of content.questions) {
    const v = isEmpty(raw[q.id]) ? undefined : CHECKS[q.kind](q, raw[q.id]);
    if (v === undefined) {
      if (q.required ?? q.kind !== 'text') throw wrong(q, 'an answer is required');
      continue;
    }
    out.answers[q.id] = v;
    out.kinds.push(q.kind);
    if (isScore(q.kind)) out[q.kind] = v as number;
    if (q.kind === 'text') texts.push(v as string);
  }
  if (texts.length) out.verbatim = texts.join('\n');
  return out;
}
