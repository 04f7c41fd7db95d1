/**
 * Request and response schemas of the surveys API (validated by Fastify, shown in the OpenAPI
 * document, and the console's types through FromSchema). Imports nothing but the shared schemas.
 */
import { pageQueryProperties, pageSchema } from '../../platform/http-schemas.js';

/** Question kinds: the three scores (NPS 0–10, CSAT 1–5, CES 1–7), single and multiple choice, free text. */
export const QUESTION_KINDS = ['nps', 'csat', 'ces', 'single', 'multiple', 'text'] as const;

/** Languages of a survey's texts; zh-CN is required, en falls back to it. */
export const SURVEY_LOCALES = ['zh-CN', 'en'] as const;

/** Where a survey link was sent from. */
export const TOUCHPOINT_KINDS = ['journey', 'broadcast', 'api', 'store', 'staff', 'link', 'live_code'] as const;

/** A text in both languages. */
const localText = (max: number) =>
  ({
    type: 'object',
    required: ['zh-CN'],
    additionalProperties: false,
    properties: { 'zh-CN': { type: 'string', minLength: 1, maxLength: max }, en: { type: 'string', minLength: 1, maxLength: max } },
  }) as const;

/** One question. */
export const questionSchema = {
  type: 'object',
  required: ['id', 'kind', 'text'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9_]{1,40}$', description: 'stable id: answers and results name it' },
    kind: { type: 'string', enum: QUESTION_KINDS },
    text: localText(500),
    required: { type: 'boolean', description: 'default true (false for free text)' },
    options: {
      type: 'array',
      maxItems: 20,
      description: 'single and multiple choice only: 2–20 options',
      items: {
        type: 'object',
        required: ['id', 'label'],
        additionalProperties: false,
        properties: { id: { type: 'string', pattern: '^[a-z0-9_]{1,40}$' }, label: localText(200) },
      },
    },
  },
} as const;

/** One keyword tag: a free-text answer containing any of the words (case-insensitive) gets the tag. */
export const keywordSchema = {
  type: 'object',
  required: ['tag', 'words'],
  additionalProperties: false,
  properties: {
    tag: { type: 'string', minLength: 1, maxLength: 40 },
    words: { type: 'array', minItems: 1, maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 40 } },
  },
} as const;

const content = {
  title: localText(200),
  intro: localText(1000),
  thanks: localText(500),
  questions: { type: 'array', minItems: 1, maxItems: 30, items: questionSchema },
} as const;

/** Body of creating a survey. */
export const createSurveyBody = {
  type: 'object',
  required: ['name', 'title', 'questions'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    ...content,
    keywords: { type: 'array', maxItems: 100, items: keywordSchema },
    linkTtlDays: { type: 'integer', minimum: 1, maximum: 365, description: 'how long a signed link stays valid (default 30)' },
  },
} as const;

/** Body of updating a survey: content changes make a new version once the current one has answers. */
export const updateSurveyBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: createSurveyBody.properties,
} as const;

/** A survey as the API shows it. */
export const surveySchema = {
  type: 'object',
  required: ['id', 'name', 'status', 'version', 'locked', 'title', 'questions', 'keywords', 'linkTtlDays', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string', enum: ['active', 'archived'] },
    version: { type: 'integer' },
    locked: { type: 'boolean', description: 'the current version has answers: an edit makes the next version' },
    ...content,
    intro: { ...content.intro, type: ['object', 'null'] },
    thanks: { ...content.thanks, type: ['object', 'null'] },
    keywords: { type: 'array', items: keywordSchema },
    linkTtlDays: { type: 'integer' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

/** Query of the survey list. */
export const listSurveysQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { status: { type: 'string', enum: ['active', 'archived'] }, ...pageQueryProperties(50, 200) },
} as const;

/** A page of surveys. */
export const surveyPageSchema = pageSchema(surveySchema);

/** A survey id in the path. */
export const surveyParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;

/** Body of making a signed link for one profile (to print, to hand to a store or staff tool). */
export const linkBody = {
  type: 'object',
  required: ['profile'],
  additionalProperties: false,
  properties: {
    profile: { type: 'string', minLength: 1, maxLength: 1024, description: 'profile id (prf_…) or identifier (type:value)' },
    touchpoint: {
      type: 'object',
      required: ['kind'],
      additionalProperties: false,
      properties: { kind: { type: 'string', enum: TOUCHPOINT_KINDS }, id: { type: 'string', maxLength: 128 } },
    },
    sendKey: { type: 'string', minLength: 1, maxLength: 128, description: 'one answer per profile per send key (default: a new key per link)' },
    locale: { type: 'string', enum: SURVEY_LOCALES },
  },
} as const;

/** A signed link. */
export const linkSchema = {
  type: 'object',
  required: ['token', 'path', 'url', 'expiresAt'],
  properties: {
    token: { type: 'string' },
    path: { type: 'string', description: '/s/<token> on this server' },
    url: { type: ['string', 'null'], description: "with the workspace's link base URL (messaging settings), null when it has none" },
    expiresAt: { type: 'string' },
  },
} as const;
