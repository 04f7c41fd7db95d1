/** Request and response schemas of the metrics API (validated by Fastify, shown in the OpenAPI document, typed in the console). */
import { pageQueryProperties, pageSchema } from '../../platform/http-schemas.js';

/** Every metric's name (metrics.service.ts's catalogue, restated: this file imports no server code). */
export const METRIC_NAME_LIST = [
  'sales',
  'repurchase',
  'ltv-cohorts',
  'revenue-by-channel',
  'revenue-by-journey',
  'new-profiles',
  'contacts',
  'contacts-by-channel',
  'groups',
  'messages',
  'journey-conversions',
] as const;

/** The range and audience every insight query takes (local dates in the workspace's time zone). */
export const scopeProperties = {
  from: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'first local date (YYYY-MM-DD), inclusive; default 29 days before `to`' },
  to: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: "last local date (YYYY-MM-DD), inclusive; default today in the workspace's time zone" },
  segment: { type: 'string', minLength: 1, maxLength: 100, description: 'a segment id: only its current members count' },
} as const;

/** `format=csv` answers text/csv instead of JSON. */
export const formatProperty = { format: { type: 'string', enum: ['json', 'csv'], default: 'json' } } as const;

/** Path of one metric. */
export const metricParams = {
  type: 'object',
  required: ['metric'],
  properties: { metric: { type: 'string', enum: METRIC_NAME_LIST } },
} as const;

/** Query of one metric. */
export const metricQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...scopeProperties,
    ...formatProperty,
    attributionDays: { type: 'integer', minimum: 1, maximum: 90, default: 7, description: 'revenue-by-journey: last-touch window in days' },
    by: { type: 'string', enum: ['channel', 'template', 'journey'], default: 'channel', description: 'messages: what to group by' },
  },
} as const;

const cell = { type: ['string', 'number', 'null'] } as const;

/** A table of named columns and rows, the shape of every metric, funnel and cohort answer. */
export const tableProperties = {
  columns: { type: 'array', items: { type: 'string' } },
  rows: { type: 'array', items: { type: 'array', items: cell } },
  totals: { type: 'object', additionalProperties: cell },
  params: { type: 'object', additionalProperties: cell },
} as const;

/** The resolved scope of an answer. */
export const scopeSchema = {
  type: 'object',
  required: ['from', 'to', 'timeZone', 'segment'],
  properties: { from: { type: 'string' }, to: { type: 'string' }, timeZone: { type: 'string' }, segment: { type: ['string', 'null'] } },
} as const;

/** One metric's answer. */
export const metricSchema = {
  type: 'object',
  required: ['metric', 'scope', 'columns', 'rows', 'cached', 'computedAt'],
  properties: {
    metric: { type: 'string' },
    scope: scopeSchema,
    ...tableProperties,
    cached: { type: 'boolean', description: 'true when served from the cache (no data committed since it was computed)' },
    computedAt: { type: 'integer' },
  },
} as const;

/** Query of the LTV-per-profile list. */
export const ltvProfilesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...scopeProperties, ...pageQueryProperties(50, 1000) },
} as const;

/** A page of historical LTV per profile. */
export const ltvProfilesSchema = pageSchema(
  {
    type: 'object',
    required: ['profileId', 'orders', 'netFen', 'firstPurchaseAt', 'lastPurchaseAt'],
    properties: {
      profileId: { type: 'string' },
      orders: { type: 'integer' },
      netFen: { type: 'integer' },
      firstPurchaseAt: { type: 'integer' },
      lastPurchaseAt: { type: ['integer', 'null'] },
    },
  },
  'profiles whose first purchase falls in the range, highest net lifetime value first',
);
