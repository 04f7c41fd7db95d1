/** Request and response schemas of the segment API (segments.routes.ts). */
import { errorResponses, errorSchema, pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

const anyObject = { type: 'object', additionalProperties: true } as const;

const segmentFields = [
  'id',
  'name',
  'description',
  'kind',
  'rule',
  'summary',
  'version',
  'timeDependent',
  'status',
  'memberCount',
  'computing',
  'recompute',
  'evaluatedAt',
  'createdAt',
  'updatedAt',
] as const;

/** A segment in answers (every field always present; `required` also gives the console's types). */
export const segmentSchema = {
  type: 'object',
  required: segmentFields,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    kind: { type: 'string', enum: ['rule', 'static'] },
    rule: { ...anyObject, nullable: true },
    summary: { type: 'object', nullable: true, required: ['en', 'zh-CN'], properties: { en: { type: 'string' }, 'zh-CN': { type: 'string' } } },
    version: { type: 'integer' },
    timeDependent: { type: 'boolean', description: 're-checked on the schedule because time passing alone can change it' },
    status: { type: 'string', enum: ['active', 'archived'] },
    memberCount: { type: 'integer' },
    computing: { type: 'boolean', description: 'a full computation is in progress; memberCount is still settling' },
    recompute: {
      type: 'object',
      required: ['state', 'failures', 'lastError', 'lastFailedAt', 'retryAt'],
      description:
        'how its computation is going: after a failure the worker waits (30 s doubling to 1 h) before trying again, and after 8 in a row shows it as failed; a success, a rule change or POST /recompute clears it',
      properties: {
        state: { type: 'string', enum: ['ok', 'retrying', 'failed'] },
        failures: { type: 'integer', description: 'failed computations in a row' },
        lastError: { type: ['string', 'null'], description: "the last failure's reason" },
        lastFailedAt: { type: ['string', 'null'] },
        retryAt: { type: ['string', 'null'], description: 'when the worker tries again' },
      },
    },
    evaluatedAt: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

/** A segment with its rule versions. */
export const segmentDetailSchema = {
  type: 'object',
  required: [...segmentFields, 'versions'],
  properties: {
    ...segmentSchema.properties,
    versions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['version', 'rule', 'createdAt'],
        properties: { version: { type: 'integer' }, rule: { ...anyObject, nullable: true }, createdAt: { type: 'string' } },
      },
    },
  },
} as const;

/** `:id` of a segment. */
export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

/** Paging of a list. */
export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  cursor: { type: 'string', maxLength: 512 },
} as const;

/** POST /v1/segments/preview. */
export const previewSchema = {
  body: {
    type: 'object',
    required: ['rule'],
    additionalProperties: false,
    properties: { rule: {}, sampleSize: { type: 'integer', minimum: 0, maximum: 100, default: 20 } },
  },
  response: {
    200: {
      type: 'object',
      required: ['count', 'total', 'sample', 'tookMs'],
      properties: {
        count: { type: 'integer' },
        total: { type: 'integer', description: 'live profiles in the workspace' },
        sample: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'traits', 'lastSeenAt'],
            properties: { id: { type: 'string' }, traits: anyObject, lastSeenAt: { type: ['string', 'null'] } },
          },
        },
        tookMs: { type: 'integer' },
      },
    },
    ...errorResponses,
  },
} as const;

/** POST /v1/segments. */
export const createBody = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    description: { type: 'string', maxLength: 1000 },
    kind: { type: 'string', enum: ['rule', 'static'], default: 'rule' },
    rule: {},
  },
} as const;

/** GET /v1/segments. */
export const listSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { ...pageQuery, status: { type: 'string', enum: ['active', 'archived', 'all'], default: 'active' } },
  },
  response: {
    200: pageSchema(segmentSchema, 'newest first'),
    ...errorResponses,
  },
} as const;

/** PATCH /v1/segments/:id. */
export const updateBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { name: { type: 'string' }, description: { type: 'string', maxLength: 1000 }, rule: {} },
} as const;

/** GET /v1/segments/:id/members. */
export const membersSchema = {
  params: idParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...pageQuery,
      format: { type: 'string', enum: ['json', 'csv'], default: 'json' },
      traits: { type: 'string', maxLength: 2000, description: 'csv: comma-separated trait names to add as columns' },
    },
  },
  response: {
    200: pageSchema(
      {
        type: 'object',
        required: ['profileId', 'version', 'enteredAt', 'name', 'identifiers'],
        properties: {
          profileId: { type: 'string' },
          version: { type: 'integer' },
          enteredAt: { type: 'string' },
          name: { type: ['string', 'null'], description: 'The name trait (name, nickname, username or firstName), null without one' },
          identifiers: {
            type: 'array',
            description: 'The identifiers of the profile (phone, email, user_id, external_userid, ...), PII decrypted (masked for guides)',
            items: { type: 'object', required: ['type', 'value'], properties: { type: { type: 'string' }, value: { type: 'string' } } },
          },
        },
      },
      'in profile id order',
    ),
    ...errorResponses,
  },
} as const;

/** POST /v1/segments/:id/members (a CSV upload). */
export const uploadSchema = {
  params: idParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { mode: { type: 'string', enum: ['add', 'replace', 'remove'], default: 'add' } },
  },
  response: {
    200: {
      type: 'object',
      required: ['rows', 'added', 'alreadyMembers', 'removed', 'errorCount', 'errors'],
      properties: {
        rows: { type: 'integer' },
        added: { type: 'integer' },
        alreadyMembers: { type: 'integer' },
        removed: { type: 'integer' },
        errorCount: { type: 'integer' },
        errors: {
          type: 'array',
          description: 'the first 1,000 rows skipped',
          items: { type: 'object', required: ['line', 'reason'], properties: { line: { type: 'integer' }, reason: { type: 'string' } } },
        },
      },
    },
    ...errorResponses,
    415: errorSchema,
  },
} as const;

/** GET /v1/profiles/:id/segments. */
export const profileSegmentsSchema = {
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 1024 } } },
  querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties(100, 500) },
  response: {
    200: pageSchema(
      {
        type: 'object',
        properties: { segmentId: { type: 'string' }, name: { type: 'string' }, version: { type: 'integer' }, enteredAt: { type: 'string' } },
      },
      'in the order the profile entered them',
    ),
    ...errorResponses,
  },
} as const;
