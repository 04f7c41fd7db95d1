/**
 * Request and response JSON schemas of the models API (they also feed /openapi.json). Responses
 * are serialised through them, so every field a client reads is listed, and `required` names the
 * fields always present: the console derives its types from these schemas
 * (console/src/api-types.ts), so this file imports only other types-and-schemas files.
 */
import { COMMUNITY_ROLES, LIFECYCLE_STAGES, RFM_CELLS } from '../rule.types.js';
import { MODEL_NAMES } from './model.types.js';

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } } },
} as const;

/** Error responses of the models routes. */
export const errorResponses = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema } as const;

/** Tag for the OpenAPI grouping and the secret-key security scheme. */
export function secured(summary: string) {
  return { tags: ['models'], summary, security: [{ secretKey: [] }] };
}

const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;
const str = { type: 'string' } as const;
/** An object with one property per key, each `item` (typed per key, so derived types keep the keys). */
const keyed = <const K extends string, const S>(keys: readonly K[], item: S) => Object.fromEntries(keys.map((k) => [k, item])) as { [k in K]: S };
const counts = <K extends string>(keys: readonly K[]) => ({ type: 'object', properties: keyed(keys, int) }) as const;
const quartet = { type: 'array', items: int, minItems: 4, maxItems: 4 } as const;
const rfmDims = <const S>(item: S) => ({ type: 'object', required: ['r', 'f', 'm'], properties: { r: item, f: item, m: item } }) as const;
const thresholdsSchema = rfmDims(quartet);
const sourceSchema = rfmDims({ type: 'string', enum: ['quintiles', 'settings'] });
const splitSchema = rfmDims(int);
const namesSchema = { type: 'object', additionalProperties: str, description: 'Display name per locale (zh-CN, en, ...)' } as const;

/** Body of POST /v1/models/compute. */
export const computeBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    models: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: MODEL_NAMES }, description: 'Models to run (default all three)' },
  },
} as const;

/** Answer of POST /v1/models/compute. */
export const computeReportSchema = {
  type: 'object',
  required: ['workspaceId', 'computedAt', 'segmentsRecomputing'],
  properties: {
    workspaceId: str,
    computedAt: str,
    segmentsRecomputing: {
      type: 'array',
      items: str,
      description: 'Ids of the segments using RFM, lifecycle or community conditions, now queued for a full recompute',
    },
    rfm: {
      type: 'object',
      required: ['computedAt', 'buyers', 'thresholds', 'thresholdSource', 'split', 'cells', 'cleared'],
      properties: {
        computedAt: str,
        buyers: int,
        thresholds: { ...thresholdsSchema, type: ['object', 'null'] },
        thresholdSource: sourceSchema,
        split: splitSchema,
        cells: counts(RFM_CELLS),
        cleared: int,
      },
    },
    lifecycle: { type: 'object', properties: { computedAt: str, profiles: int, stages: counts(LIFECYCLE_STAGES), changed: int, cleared: int } },
    community: {
      type: 'object',
      properties: {
        computedAt: str,
        windowFrom: str,
        members: int,
        scoredMembers: int,
        kocCutoff: { type: ['integer', 'null'] },
        roles: counts(COMMUNITY_ROLES),
        cleared: int,
      },
    },
  },
} as const;

/** Answer of GET /v1/models/rfm/report. */
export const rfmReportSchema = {
  type: 'object',
  required: ['computedAt', 'buyers', 'revenueFen', 'thresholds', 'thresholdSource', 'split', 'cells'],
  properties: {
    computedAt: { type: ['string', 'null'] },
    buyers: int,
    revenueFen: int,
    thresholds: { ...thresholdsSchema, type: ['object', 'null'] },
    thresholdSource: { ...sourceSchema, type: ['object', 'null'] },
    split: { ...splitSchema, type: ['object', 'null'] },
    cells: {
      type: 'array',
      items: {
        type: 'object',
        required: ['cell', 'name', 'count', 'share', 'revenueFen', 'revenueShare', 'avgScores', 'avgDaysSinceLastPurchase', 'avgOrders', 'avgSpentFen'],
        properties: {
          cell: { type: 'string', enum: RFM_CELLS },
          name: namesSchema,
          count: int,
          share: num,
          revenueFen: int,
          revenueShare: num,
          avgScores: rfmDims(num),
          avgDaysSinceLastPurchase: num,
          avgOrders: num,
          avgSpentFen: int,
        },
      },
    },
  },
} as const;

const nullableQuartet = { type: ['array', 'null'], items: int, minItems: 4, maxItems: 4 } as const;

/** The segmentation settings with defaults applied. */
export const segmentationSchema = {
  type: 'object',
  required: ['rfm', 'lifecycle', 'community'],
  properties: {
    rfm: {
      type: 'object',
      required: ['thresholds', 'split', 'cellNames'],
      properties: {
        thresholds: rfmDims(nullableQuartet),
        split: splitSchema,
        cellNames: { type: 'object', required: RFM_CELLS, properties: keyed(RFM_CELLS, namesSchema) },
      },
    },
    lifecycle: {
      type: 'object',
      required: ['newDays', 'loyalMinOrders', 'loyalMinSpentFen', 'silentDays', 'churnedDays'],
      properties: { newDays: int, loyalMinOrders: int, loyalMinSpentFen: int, silentDays: int, churnedDays: int },
    },
    community: {
      type: 'object',
      required: ['windowDays', 'weights', 'kocMinScore', 'kocTopPercent', 'activeMinMessages'],
      properties: {
        windowDays: int,
        weights: { type: 'object', required: ['message', 'reply', 'invite'], properties: { message: int, reply: int, invite: int } },
        kocMinScore: int,
        kocTopPercent: num,
        activeMinMessages: int,
      },
    },
  },
} as const;

/** Answer of GET and PUT /v1/models/settings. */
export const settingsAnswerSchema = {
  type: 'object',
  required: ['timeZone', 'segmentation'],
  properties: { timeZone: { ...str, description: 'The workspace time zone days are counted in' }, segmentation: segmentationSchema },
} as const;

/**
 * Body of PUT /v1/models/settings: only the top level is checked here, so that every value is
 * checked by the one settings reader, whose messages name the setting and what it accepts.
 */
export const settingsBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rfm: {
      type: 'object',
      description:
        '{ thresholds?: { r?, f?, m? } (4 values worst to best, or null for quintiles), split?: 2-5 or { r, f, m }, cellNames?: { <cell>: { <locale>: name } } }',
    },
    lifecycle: { type: 'object', description: '{ newDays?: 30, loyalMinOrders?: 3, loyalMinSpentFen?: 0, silentDays?: 60, churnedDays?: 180 }' },
    community: {
      type: 'object',
      description: '{ windowDays?: 30, weights?: { message: 1, reply: 3, invite: 10 }, kocMinScore?: 100, kocTopPercent?: 5, activeMinMessages?: 5 }',
    },
  },
} as const;

/** Query of GET /v1/models/lifecycle/flow. */
export const flowQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', description: 'First local date YYYY-MM-DD (workspace time zone); default 29 days before `to`' },
    to: { type: 'string', description: 'Last local date YYYY-MM-DD, included; default today' },
  },
} as const;

/** Answer of GET /v1/models/lifecycle/flow. */
export const flowSchema = {
  type: 'object',
  required: ['from', 'to', 'timeZone', 'profiles', 'changes', 'moves'],
  properties: {
    from: str,
    to: str,
    timeZone: str,
    profiles: { ...int, description: 'Profiles whose stage changed at least once in the period' },
    changes: { ...int, description: 'Stage changes recorded in the period' },
    moves: {
      type: 'array',
      description: 'Per pair of stages: profiles in `from` when the period began and in `to` when it ended (from null: not staged before), largest first',
      items: {
        type: 'object',
        required: ['from', 'to', 'profiles'],
        properties: { from: { type: ['string', 'null'], enum: [...LIFECYCLE_STAGES, null] }, to: { type: 'string', enum: LIFECYCLE_STAGES }, profiles: int },
      },
    },
  },
} as const;
