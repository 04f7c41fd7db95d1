/** Request and response schemas of the points API (validated by Fastify, shown in the OpenAPI document). */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

/** The largest number of points one request may move (ledger.service.ts's MAX_POINTS, restated here: this file imports no server code). */
const MAX = 1_000_000_000_000;

const SOURCE_TYPES = ['api', 'event', 'order', 'journey', 'operator'] as const;

/** What an entry came from (`system` is the expiry job's, not a client's). */
const sourceIn = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: SOURCE_TYPES, description: 'what caused it: an event, an order, a journey step, an operator, or the API (default)' },
    id: { type: ['string', 'null'], minLength: 1, maxLength: 200, description: 'its id (event message id, order id, journey state and step, operator name)' },
  },
} as const;

/** The fields every posting takes. */
const common = {
  profile: { type: 'string', minLength: 1, maxLength: 1024, description: 'profile id (prf_…) or identifier (type:value)' },
  reason: { type: 'string', minLength: 1, maxLength: 500 },
  source: sourceIn,
  idempotencyKey: {
    type: 'string',
    minLength: 1,
    maxLength: 200,
    description: 'unique per workspace: the same request again answers the first answer; another request with the key is 409 IDEMPOTENCY_CONFLICT',
  },
} as const;

const expiresAt = {
  type: ['string', 'null'],
  maxLength: 40,
  description: 'ISO-8601 with an offset or Z, in the future; absent or null: never expires',
} as const;
const positive = { type: 'integer', minimum: 1, maximum: MAX } as const;

/** Body of earn (credits, optionally expiring). */
export const earnBody = {
  type: 'object',
  required: ['profile', 'points', 'reason', 'idempotencyKey'],
  additionalProperties: false,
  properties: { ...common, points: positive, expiresAt },
} as const;

/** Body of spend and claw back (debits). */
export const debitBody = {
  type: 'object',
  required: ['profile', 'points', 'reason', 'idempotencyKey'],
  additionalProperties: false,
  properties: { ...common, points: positive },
} as const;

/** Body of adjust (signed, not zero; a positive one may expire). */
export const adjustBody = {
  type: 'object',
  required: ['profile', 'points', 'reason', 'idempotencyKey'],
  additionalProperties: false,
  properties: {
    ...common,
    points: { type: 'integer', minimum: -MAX, maximum: MAX, not: { const: 0 }, description: 'positive credits, negative debits; not 0' },
    expiresAt,
  },
} as const;

/** A ledger entry as the API answers it. */
export const entrySchema = {
  type: 'object',
  required: ['id', 'profileId', 'seq', 'kind', 'points', 'requested', 'balanceAfter', 'reason', 'source', 'idempotencyKey', 'expiresAt', 'createdAt'],
  properties: {
    id: { type: 'string' },
    profileId: { type: 'string' },
    seq: { type: 'integer', description: "posting order in the member's account: 1, 2, … without gaps" },
    kind: { type: 'string', enum: ['earn', 'spend', 'expire', 'adjust', 'clawback', 'transfer'] },
    points: { type: 'integer', description: 'signed: positive credits, negative debits' },
    requested: { type: 'integer', description: "points asked for; a claw back's shortfall is requested minus |points|" },
    balanceAfter: { type: 'integer' },
    reason: { type: 'string' },
    source: {
      type: 'object',
      required: ['type', 'id'],
      properties: { type: { type: 'string', enum: [...SOURCE_TYPES, 'system'] }, id: { type: ['string', 'null'] } },
    },
    idempotencyKey: { type: 'string' },
    expiresAt: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
  },
} as const;

/** The answer of a posting. */
export const postingSchema = {
  type: 'object',
  required: ['entry', 'balance'],
  properties: { entry: entrySchema, balance: { type: 'integer', description: "the member's balance once the entry was posted" } },
} as const;

/** The answer of GET /v1/profiles/:id/points. */
export const summarySchema = {
  type: 'object',
  required: ['profileId', 'balance', 'pending', 'lifetimeEarned', 'expiringSoon'],
  properties: {
    profileId: { type: 'string' },
    balance: { type: 'integer', description: 'points available now' },
    pending: { type: 'integer', description: 'points promised, not yet available' },
    lifetimeEarned: { type: 'integer' },
    expiringSoon: {
      type: 'object',
      required: ['days', 'points', 'lots'],
      properties: {
        days: { type: 'integer' },
        points: { type: 'integer' },
        lots: {
          type: 'array',
          items: { type: 'object', required: ['points', 'expiresAt'], properties: { points: { type: 'integer' }, expiresAt: { type: 'string' } } },
        },
      },
    },
  },
} as const;

/** `?days=` of GET /v1/profiles/:id/points. */
export const summaryQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { days: { type: 'integer', minimum: 1, maximum: 3660, default: 30, description: 'the window of expiringSoon' } },
} as const;

/** Paging of the history. */
export const historyQuery = { type: 'object', additionalProperties: false, properties: pageQueryProperties(50, 500) } as const;

/** A page of entries, newest first. */
export const historySchema = pageSchema(entrySchema, 'ledger entries, newest first');

/** `:id` of a profile route. */
export const profileParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 1024 } } } as const;
