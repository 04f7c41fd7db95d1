/** Request and response schemas of the broadcast API (validated by Fastify, shown in the OpenAPI document). */
import { CHANNELS } from '../messaging/index.js';
import { MAX_HOLDOUT_PERCENT, MAX_TEST_PROFILES } from './broadcasts.service.js';

/** Any JSON object. */
export const obj = { type: 'object', additionalProperties: true } as const;
/** A string or null. */
export const nullableString = { type: ['string', 'null'] } as const;
/** Every broadcast status. */
export const STATUSES = ['draft', 'scheduled', 'sending', 'sent', 'cancelled', 'failed'] as const;
/** `:id` in a path. */
export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

/** The fields a client sets on a broadcast (create requires name, channel, segmentId). */
export const inputProperties = {
  name: { type: 'string', maxLength: 200 },
  description: { type: 'string', maxLength: 2000 },
  channel: { type: 'string', enum: CHANNELS.filter((c) => c !== 'wecom_group') },
  purpose: { type: 'string', enum: ['marketing', 'service'] },
  templateId: nullableString,
  templateVersion: { type: ['integer', 'null'], minimum: 1 },
  content: { type: ['object', 'null'], additionalProperties: true },
  data: obj,
  segmentId: { type: 'string', minLength: 1 },
  excludeSegmentId: nullableString,
  holdoutPercent: { type: 'integer', minimum: 0, maximum: MAX_HOLDOUT_PERCENT },
  goalEvent: nullableString,
  goalDays: { type: 'integer', minimum: 1, maximum: 90 },
  sendAt: { ...nullableString, description: 'ISO-8601 with an offset or Z; stored in UTC' },
} as const;

/** Conversion of one group. */
const group = { type: 'object', properties: { profiles: { type: 'integer' }, converted: { type: 'integer' }, rate: { type: ['number', 'null'] } } } as const;

/** A broadcast as the API answers it. */
export const broadcastSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    channel: { type: 'string' },
    purpose: { type: 'string' },
    templateId: nullableString,
    templateVersion: { type: ['integer', 'null'] },
    content: { type: ['object', 'null'], additionalProperties: true },
    data: obj,
    segmentId: { type: 'string' },
    excludeSegmentId: nullableString,
    holdoutPercent: { type: 'integer' },
    goalEvent: nullableString,
    goalDays: { type: 'integer' },
    sendAt: nullableString,
    progress: {
      type: 'object',
      properties: {
        total: { type: ['integer', 'null'], description: 'audience size: an estimate while sending, exact once sent' },
        enqueued: { type: 'integer', description: 'profiles with an outbox message' },
        holdout: { type: 'integer' },
        excluded: { type: 'integer' },
        done: { type: 'boolean' },
      },
    },
    error: { ...nullableString, description: 'why the fan-out failed, or why its last chunk failed while it is backed off' },
    retryAt: { ...nullableString, description: 'when a backed-off fan-out is tried again (its last chunk failed); null otherwise' },
    startedAt: nullableString,
    finishedAt: nullableString,
    cancelledAt: nullableString,
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

/** The answer of GET /v1/broadcasts/:id/stats. */
export const statsSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string' },
    audience: {
      type: 'object',
      properties: {
        total: { type: ['integer', 'null'] },
        holdout: { type: 'integer' },
        excluded: { type: 'integer' },
        enqueued: { type: 'integer' },
        done: { type: 'boolean' },
      },
    },
    messages: {
      type: 'object',
      properties: {
        ...Object.fromEntries(
          ['total', 'queued', 'sending', 'held', 'sent', 'delivered', 'suppressed', 'failed', 'unknown', 'opened', 'clicked'].map((k) => [
            k,
            { type: 'integer' },
          ]),
        ),
        reasons: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } } },
      },
    },
    conversion: {
      type: ['object', 'null'],
      properties: {
        goalEvent: { type: 'string' },
        windowDays: { type: 'integer' },
        from: { type: 'string' },
        to: { type: 'string' },
        open: { type: 'boolean' },
        targeted: group,
        reached: group,
        holdout: group,
        lift: { type: ['number', 'null'] },
      },
    },
  },
} as const;

/** Body of POST /v1/broadcasts/:id/test. */
export const testBody = {
  type: 'object',
  required: ['profiles'],
  additionalProperties: false,
  properties: {
    profiles: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_TEST_PROFILES,
      items: { type: 'string', minLength: 1, maxLength: 512 },
      description: 'profile ids or identifiers (type:value)',
    },
  },
} as const;

/** Answer of POST /v1/broadcasts/:id/test. */
export const testAnswer = {
  type: 'object',
  properties: {
    testId: { type: 'string' },
    messages: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          profileId: { type: 'string' },
          messageId: { type: 'string' },
          status: { type: 'string' },
          guardrails: {
            type: 'array',
            description: 'what the guardrails would do to a real send now (reported, not applied: a test goes at once)',
            items: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
    },
  },
} as const;

/** Query of GET /v1/broadcasts. */
export const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'string', maxLength: 64 },
    status: { type: 'string', enum: STATUSES },
  },
} as const;

/** Query of GET /v1/broadcasts/:id/stats. */
export const statsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { goalEvent: { type: 'string', minLength: 1, maxLength: 200 }, goalDays: { type: 'integer', minimum: 1, maximum: 90 } },
} as const;
