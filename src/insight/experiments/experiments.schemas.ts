/** Request and response schemas of the experiments API (validated by Fastify, shown in the OpenAPI document, typed in the console). */
import { pageQueryProperties, pageSchema } from '../../platform/http-schemas.js';

/** What an experiment tests: a journey's split step, a message template, a coupon or a send time. */
export const SUBJECT_KINDS = ['journey_split', 'template', 'coupon', 'send_time'] as const;
/** Goal metrics: converted (an event within the window after exposure), net revenue per profile, or a count of an event. */
export const GOAL_KINDS = ['conversion', 'revenue', 'event_count'] as const;

const keyString = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' } as const;

const subject = {
  type: 'object',
  required: ['kind', 'id'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: SUBJECT_KINDS },
    id: { type: 'string', minLength: 1, maxLength: 200, description: 'the journey id, template id, coupon id, or a label of the send time tested' },
    stepId: { type: 'string', minLength: 1, maxLength: 200, description: "journey_split only: the split step's id" },
  },
} as const;

const variant = {
  type: 'object',
  required: ['key', 'weight'],
  additionalProperties: false,
  properties: {
    key: { ...keyString, not: { const: 'holdout' }, description: "the arm's key ('holdout' is reserved)" },
    weight: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
    description: { type: 'string', maxLength: 500, description: 'what this arm does (the template, coupon or time it uses)' },
  },
} as const;

const goal = {
  type: 'object',
  required: ['kind', 'windowDays'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: GOAL_KINDS },
    event: { type: 'string', minLength: 1, maxLength: 200, description: 'conversion and event_count: the event name counted' },
    windowDays: { type: 'integer', minimum: 1, maximum: 365, description: 'days after a profile’s exposure that count' },
  },
} as const;

const settingsProps = {
  alpha: { type: 'number', minimum: 0.001, maximum: 0.2, description: 'significance level (default 0.05: 95 % intervals)' },
  sequential: { type: 'boolean', description: 'sequential testing: intervals and p-values that stay valid however often results are read' },
  sequentialTuning: {
    type: 'integer',
    minimum: 100,
    maximum: 100_000_000,
    description: 'N*: total profiles where the sequential interval is tightest (default 5000)',
  },
  minProfiles: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'warn below this many profiles in an arm (default 100)' },
  minConversions: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'conversion goals: warn below this many baseline conversions (default 25)' },
} as const;

/** Body of POST /v1/insight/experiments. */
export const createBody = {
  type: 'object',
  required: ['key', 'name', 'subject', 'goal'],
  additionalProperties: false,
  properties: {
    key: { ...keyString, description: 'unique per workspace; the same request again answers the same experiment' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    subject,
    variants: { type: 'array', minItems: 2, maxItems: 10, items: variant, description: "required except for journey_split (the step's own)" },
    baseline: { ...keyString, description: 'the arm the others are compared with (default the first)' },
    holdoutPercent: { type: 'number', minimum: 0, maximum: 50, description: 'percent held out of every arm (default 0)' },
    goal,
    covariateDays: { type: 'integer', minimum: 1, maximum: 365, description: 'CUPED: the goal metric over this many days before exposure is the covariate' },
    settings: { type: 'object', additionalProperties: false, properties: settingsProps },
  },
} as const;

/** Body of POST /v1/insight/journeys/:journeyId/splits/:stepId/experiment. */
export const splitBody = {
  type: 'object',
  required: ['goal'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    baseline: keyString,
    goal,
    covariateDays: createBody.properties.covariateDays,
    settings: createBody.properties.settings,
  },
} as const;

/** An experiment as the API answers it. */
export const experimentSchema = {
  type: 'object',
  required: ['id', 'key', 'name', 'status', 'subject', 'variants', 'baseline', 'holdoutPercent', 'goal', 'covariateDays', 'settings', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    key: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string', enum: ['running', 'stopped'] },
    subject: {
      type: 'object',
      required: ['kind', 'id'],
      properties: { kind: { type: 'string', enum: SUBJECT_KINDS }, id: { type: 'string' }, stepId: { type: 'string' } },
    },
    variants: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'weight'],
        properties: { key: { type: 'string' }, weight: { type: 'number' }, description: { type: 'string' } },
      },
    },
    baseline: { type: 'string' },
    holdoutPercent: { type: 'number' },
    goal: {
      type: 'object',
      required: ['kind', 'windowDays'],
      properties: { kind: { type: 'string', enum: GOAL_KINDS }, event: { type: 'string' }, windowDays: { type: 'integer' } },
    },
    covariateDays: { type: ['integer', 'null'] },
    settings: {
      type: 'object',
      required: ['alpha', 'sequential', 'sequentialTuning', 'minProfiles', 'minConversions'],
      properties: settingsProps,
    },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

/** `?limit&cursor` of the list. */
export const listQuery = { type: 'object', additionalProperties: false, properties: pageQueryProperties(50, 200) } as const;
/** A page of experiments, newest first. */
export const listSchema = pageSchema(experimentSchema, 'experiments, newest first');
/** `:id` of an experiment. */
export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
/** `:journeyId/:stepId` of a journey's split step. */
export const splitParams = {
  type: 'object',
  required: ['journeyId', 'stepId'],
  properties: { journeyId: { type: 'string', minLength: 1, maxLength: 64 }, stepId: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

/** Body of POST /v1/insight/experiments/:id/exposures: profiles shown the experiment (first exposure counts). */
export const exposuresBody = {
  type: 'object',
  required: ['exposures'],
  additionalProperties: false,
  properties: {
    exposures: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['profile'],
        additionalProperties: false,
        properties: {
          profile: { type: 'string', minLength: 1, maxLength: 1024, description: 'profile id (prf_…) or user_id:<value>' },
          at: { type: 'string', maxLength: 40, description: 'ISO-8601 time of the exposure, not in the future (default now)' },
        },
      },
    },
  },
} as const;

/** The arms the exposed profiles were assigned. */
export const exposuresSchema = {
  type: 'object',
  required: ['assignments'],
  properties: {
    assignments: {
      type: 'array',
      items: {
        type: 'object',
        required: ['profile', 'profileId', 'variant', 'exposedAt', 'first'],
        properties: {
          profile: { type: 'string' },
          profileId: { type: 'string' },
          variant: { type: 'string', description: "the arm, or 'holdout'" },
          exposedAt: { type: 'string', description: 'the first exposure’s time' },
          first: { type: 'boolean', description: 'false when the profile had been exposed before (nothing recorded again)' },
        },
      },
    },
  },
} as const;

const effect = {
  type: ['object', 'null'],
  required: ['estimate', 'stdError', 'ci', 'pValue'],
  properties: { estimate: { type: 'number' }, stdError: { type: 'number' }, ci: { type: 'array', items: { type: 'number' } }, pValue: { type: 'number' } },
} as const;
/** Verdict codes (verdict.ts): of one arm against the baseline, and of the whole experiment. */
const ARM_VERDICTS = ['better', 'worse', 'inconclusive', 'too_small', 'no_baseline_value'] as const;
const VERDICTS = ['sample_ratio_mismatch', 'too_small', 'winner', 'all_worse', 'inconclusive', 'no_variants'] as const;
const sentence = {
  type: 'object',
  required: ['code', 'en', 'zh'],
  properties: { code: { type: 'string', enum: ARM_VERDICTS }, en: { type: 'string' }, zh: { type: 'string' } },
} as const;

/** A row of the results table: an arm, its mean and its comparison with the baseline. */
export const armResultSchema = {
  type: 'object',
  required: ['key', 'baseline', 'n', 'mean', 'lift', 'difference', 'chanceToWin', 'riskVariant', 'riskBaseline', 'credibleInterval', 'verdict'],
  properties: {
    key: { type: 'string' },
    baseline: { type: 'boolean' },
    n: { type: 'integer', description: 'exposed profiles' },
    mean: { type: 'number', description: 'per profile: conversion rate, fen of net revenue, or events' },
    lift: { ...effect, description: 'relative effect against the baseline, with its interval and p-value' },
    difference: { ...effect, description: 'absolute difference of the means against the baseline' },
    chanceToWin: { type: ['number', 'null'] },
    riskVariant: { type: ['number', 'null'], description: 'expected loss (share of the baseline) if this arm is shipped' },
    riskBaseline: { type: ['number', 'null'], description: 'expected loss if the baseline is kept instead' },
    credibleInterval: { type: ['array', 'null'], items: { type: 'number' } },
    verdict: { ...sentence, type: ['object', 'null'] },
  },
} as const;

/** The answer of GET /v1/insight/experiments/:id/results. */
export const resultsSchema = {
  type: 'object',
  required: ['experimentId', 'computedAt', 'cached', 'goal', 'metric', 'settings', 'table', 'srm', 'cupedTheta', 'tooSmall', 'verdict'],
  properties: {
    experimentId: { type: 'string' },
    computedAt: { type: 'string' },
    cached: { type: 'boolean', description: 'true when served from the cache (no data, exposure or change since computedAt)' },
    goal: experimentSchema.properties.goal,
    metric: { type: 'string', enum: ['proportion', 'mean'] },
    settings: experimentSchema.properties.settings,
    table: { type: 'object', required: ['baseline', 'rows'], properties: { baseline: { type: 'string' }, rows: { type: 'array', items: armResultSchema } } },
    srm: {
      type: 'object',
      required: ['chiSquare', 'pValue', 'mismatch'],
      properties: {
        chiSquare: { type: 'number' },
        pValue: { type: 'number' },
        mismatch: { type: 'boolean', description: 'p < 0.001: the arms’ sizes do not fit their weights' },
      },
    },
    cupedTheta: { type: ['number', 'null'], description: 'CUPED’s θ when a covariate was used' },
    tooSmall: { type: 'boolean', description: 'an arm is below the sample floor: read nothing into the numbers yet' },
    verdict: {
      type: 'object',
      required: ['code', 'winner', 'en', 'zh'],
      properties: { ...sentence.properties, code: { type: 'string', enum: VERDICTS }, winner: { type: ['string', 'null'] } },
    },
  },
} as const;
