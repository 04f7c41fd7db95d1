/**
 * Request and response schemas of the broadcast API (validated by Fastify, shown in the OpenAPI
 * document). This file imports no server code: the console derives its types from it.
 */

/** The channels a broadcast may use: every messaging channel but wecom_group (broadcasts.service.ts checks the two lists agree). */
export const BROADCAST_CHANNELS = ['wecom', 'wechat_oa', 'miniprogram', 'sms', 'email', 'webhook'] as const;
/** The largest holdout: above half the audience a "broadcast" is an experiment with no treatment. */
export const MAX_HOLDOUT_PERCENT = 50;
/** Profiles a single test send may name. */
export const MAX_TEST_PROFILES = 20;

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
  channel: { type: 'string', enum: BROADCAST_CHANNELS },
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
const group = {
  type: 'object',
  required: ['profiles', 'converted', 'rate'],
  properties: { profiles: { type: 'integer' }, converted: { type: 'integer' }, rate: { type: ['number', 'null'] } },
} as const;

/** A broadcast as the API answers it (every field always there, null for none). */
export const broadcastSchema = {
  type: 'object',
  required: [
    'id',
    'name',
    'description',
    'status',
    'channel',
    'purpose',
    'templateId',
    'templateVersion',
    'content',
    'data',
    'segmentId',
    'excludeSegmentId',
    'holdoutPercent',
    'goalEvent',
    'goalDays',
    'sendAt',
    'progress',
    'error',
    'retryAt',
    'startedAt',
    'finishedAt',
    'cancelledAt',
    'createdAt',
    'updatedAt',
  ],
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
      required: ['total', 'enqueued', 'holdout', 'excluded', 'done'],
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

/** The message counters of a broadcast's statistics. */
const MESSAGE_COUNTS = ['total', 'queued', 'sending', 'held', 'sent', 'delivered', 'suppressed', 'failed', 'unknown', 'opened', 'clicked'] as const;
const count = { type: 'integer' } as const;

/** The answer of GET /v1/broadcasts/:id/stats. */
export const statsSchema = {
  type: 'object',
  required: ['id', 'status', 'audience', 'messages', 'conversion'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    audience: {
      type: 'object',
      required: ['total', 'holdout', 'excluded', 'enqueued', 'done'],
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
      required: [...MESSAGE_COUNTS, 'reasons'],
      properties: {
        total: count,
        queued: count,
        sending: count,
        held: count,
        sent: count,
        delivered: count,
        suppressed: count,
        failed: count,
        unknown: count,
        opened: count,
        clicked: count,
        reasons: {
          type: 'object',
          additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } },
          description: 'status -> reason -> messages, e.g. { "suppressed": { "consent_missing:marketing:sms": 3 } }',
        },
      },
    },
    conversion: {
      type: ['object', 'null'],
      required: ['goalEvent', 'windowDays', 'from', 'to', 'open', 'targeted', 'reached', 'holdout', 'lift'],
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
  required: ['testId', 'messages'],
  properties: {
    testId: { type: 'string' },
    messages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['profileId', 'messageId', 'status', 'guardrails'],
        properties: {
          profileId: { type: 'string' },
          messageId: { type: 'string' },
          status: { type: 'string' },
          guardrails: {
            type: 'array',
            description: 'what the guardrails would do to a real send now (reported, not applied: a test goes at once)',
            items: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
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
