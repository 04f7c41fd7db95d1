/** Request and answer schemas of `/v1/retention` and `/v1/retention/runs`, with the periods' defaults and bounds (shared with the console's types: no server imports here). */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

/**
 * The kinds a workspace sets a retention period for: the same list as platform/retention.ts's
 * RETENTION_KINDS, copied because the console may reach only schema and type files (check:deps);
 * retention.test.ts checks the two agree.
 */
export const RETENTION_KIND_LIST = ['events', 'messageBodies', 'conversationArchive', 'deliveryLogs', 'privacyRequests', 'auditLog'] as const;

/**
 * Days each kind is kept by default, and the shortest and longest period a workspace may set (null
 * keeps a kind forever). The reasons are in docs/compliance.md ("Retention"): PIPL art. 19 (no
 * longer than the purpose needs), the Cybersecurity Law art. 21 (network logs at least six
 * months), PIPL art. 56 (records of handling personal information at least three years).
 */
export const RETENTION_DEFAULTS = {
  events: 1095,
  messageBodies: 180,
  conversationArchive: 365,
  deliveryLogs: 365,
  privacyRequests: 1095,
  auditLog: 1095,
} as const;

/** The shortest and longest period (days) of each kind. */
export const RETENTION_BOUNDS = {
  events: { min: 30, max: 3650 },
  messageBodies: { min: 7, max: 3650 },
  conversationArchive: { min: 30, max: 3650 },
  deliveryLogs: { min: 30, max: 3650 },
  privacyRequests: { min: 1095, max: 3650 },
  auditLog: { min: 180, max: 3650 },
} as const;

const period = (k: (typeof RETENTION_KIND_LIST)[number]) =>
  ({ type: ['integer', 'null'], minimum: RETENTION_BOUNDS[k].min, maximum: RETENTION_BOUNDS[k].max }) as const;
const periodProps = {
  events: period('events'),
  messageBodies: period('messageBodies'),
  conversationArchive: period('conversationArchive'),
  deliveryLogs: period('deliveryLogs'),
  privacyRequests: period('privacyRequests'),
  auditLog: period('auditLog'),
} as const;

/** Every kind's period in days (null: kept forever). */
export const retentionPeriodsSchema = { type: 'object', additionalProperties: false, required: [...RETENTION_KIND_LIST], properties: periodProps } as const;

/** Body of `PUT /v1/retention`: `{ periods }`, a kind left out is its default (so `{ periods: {} }` resets them all). */
export const retentionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['periods'],
  properties: { periods: { type: 'object', additionalProperties: false, properties: periodProps } },
} as const;

const bound = { type: 'object', required: ['min', 'max'], properties: { min: { type: 'integer' }, max: { type: 'integer' } } } as const;

/** What `GET` and `PUT /v1/retention` answer. */
export const retentionAnswer = {
  type: 'object',
  additionalProperties: false,
  required: ['periods', 'defaults', 'bounds'],
  properties: {
    periods: retentionPeriodsSchema,
    defaults: retentionPeriodsSchema,
    bounds: {
      type: 'object',
      required: [...RETENTION_KIND_LIST],
      properties: Object.fromEntries(RETENTION_KIND_LIST.map((k) => [k, bound])) as Record<(typeof RETENTION_KIND_LIST)[number], typeof bound>,
    },
  },
} as const;

/** One kind's part of a run's report. */
export const retentionKindReport = {
  type: 'object',
  required: ['kind', 'days', 'cutoff', 'rows', 'error'],
  properties: {
    kind: { type: 'string', enum: RETENTION_KIND_LIST },
    days: { type: ['integer', 'null'], description: 'the period applied (null: kept forever, nothing purged)' },
    cutoff: { type: ['string', 'null'], description: 'rows older than this time were purged' },
    rows: { type: 'integer', description: 'rows deleted (message bodies: blanked)' },
    error: { type: ['string', 'null'], description: 'why this kind stopped, if it failed (the other kinds still ran)' },
  },
} as const;

/** One run of the retention job, with its report. */
export const retentionRunSchema = {
  type: 'object',
  required: ['id', 'trigger', 'status', 'startedAt', 'finishedAt', 'durationMs', 'kinds'],
  properties: {
    id: { type: 'string' },
    trigger: { type: 'string', enum: ['schedule', 'cli', 'api'], description: 'the worker’s schedule, `siyu retention run`, or POST /v1/retention/runs' },
    status: { type: 'string', enum: ['running', 'completed', 'failed'] },
    startedAt: { type: 'string' },
    finishedAt: { type: ['string', 'null'] },
    durationMs: { type: ['integer', 'null'] },
    kinds: { type: 'array', items: retentionKindReport },
  },
} as const;

/** `GET /v1/retention/runs`: the API's list shape, newest first. */
export const retentionRunsPage = pageSchema(retentionRunSchema, 'runs, newest first');

/** `GET /v1/retention/runs`'s query. */
export const retentionRunsQuery = { type: 'object', additionalProperties: false, properties: pageQueryProperties(20, 100) } as const;
