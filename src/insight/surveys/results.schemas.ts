/** Schemas of the survey results and verbatims API (and the console's types). Imports nothing but the shared schemas. */
import { pageQueryProperties, pageSchema } from '../../platform/http-schemas.js';

/** An object with every listed property present, or null (a score nobody gave). */
function nullableObject<const P extends Record<string, { type: string; description?: string }>>(properties: P) {
  return { type: ['object', 'null'], required: Object.keys(properties) as (keyof P & string)[], properties } as const;
}

/** The counts and scores of a group of answers. */
const scoreProperties = {
  responses: { type: 'integer' },
  nps: nullableObject({
    n: { type: 'integer' },
    promoters: { type: 'integer' },
    passives: { type: 'integer' },
    detractors: { type: 'integer' },
    score: { type: 'number', description: '% promoters − % detractors, −100 to 100' },
  }),
  csat: nullableObject({ n: { type: 'integer' }, satisfied: { type: 'integer' }, score: { type: 'number', description: '% of answers 4–5' } }),
  ces: nullableObject({
    n: { type: 'integer' },
    average: { type: 'number' },
    easy: { type: 'integer' },
    easyShare: { type: 'number', description: '% of answers 5–7' },
  }),
} as const;

/** Query of a survey's results. */
export const surveyReportQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', format: 'date-time', description: 'answers at or after this time' },
    to: { type: 'string', format: 'date-time', description: 'answers before this time' },
    interval: {
      type: 'string',
      enum: ['day', 'week', 'month'],
      default: 'day',
      description: "trend periods in the workspace's time zone (weeks start on Monday)",
    },
    segmentId: { type: 'string', maxLength: 64, description: "only answers of the segment's current members" },
  },
} as const;

const scores = { type: 'object', required: ['responses', 'nps', 'csat', 'ces'], properties: scoreProperties } as const;

/** A survey's results. */
export const surveyReportSchema = {
  type: 'object',
  required: ['surveyId', 'timeZone', 'interval', 'totals', 'trend', 'byTouchpoint'],
  properties: {
    surveyId: { type: 'string' },
    timeZone: { type: 'string' },
    interval: { type: 'string' },
    totals: scores,
    trend: { type: 'array', items: { ...scores, required: ['period', ...scores.required], properties: { period: { type: 'string' }, ...scoreProperties } } },
    byTouchpoint: {
      type: 'array',
      items: { ...scores, required: ['kind', 'id', ...scores.required], properties: { kind: { type: 'string' }, id: { type: 'string' }, ...scoreProperties } },
    },
  },
} as const;

/** Query of a verbatim search. */
export const verbatimsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', minLength: 1, maxLength: 200, description: 'text the answer contains' },
    tag: { type: 'string', minLength: 1, maxLength: 40, description: 'a keyword tag' },
    category: { type: 'string', enum: ['promoter', 'passive', 'detractor'], description: "the answer's NPS category" },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    ...pageQueryProperties(50, 200),
  },
} as const;

/** A free-text answer. */
export const verbatimSchema = {
  type: 'object',
  required: ['answerId', 'profileId', 'text', 'tags', 'nps', 'csat', 'ces', 'touchpoint', 'answeredAt'],
  properties: {
    answerId: { type: 'string' },
    profileId: { type: 'string' },
    text: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    nps: { type: ['integer', 'null'] },
    csat: { type: ['integer', 'null'] },
    ces: { type: ['integer', 'null'] },
    touchpoint: { type: 'object', properties: { kind: { type: 'string' }, id: { type: 'string' } } },
    answeredAt: { type: 'string' },
  },
} as const;

/** A page of verbatims. */
export const verbatimPageSchema = pageSchema(verbatimSchema);
