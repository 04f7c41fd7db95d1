/**
 * JSON schemas of the live-code API. This file imports nothing but the shared schemas (which
 * import nothing): the console derives its types from these very schemas (console/src/api-types-scrm.ts).
 */
import { errorResponses, errorSchema, pageQueryProperties, pageSchema } from '../../platform/http-schemas.js';

/** The channels a live code can stand for. */
export const CHANNELS = ['store', 'event', 'poster', 'ad', 'other'] as const;
/** The assignment strategies a code may use (assignment.ts). */
export const STRATEGIES = ['round_robin', 'least_load'] as const;

export const anyObject = { type: 'object', additionalProperties: true } as const;
/** Error responses of routes that call WeCom (502: WeCom unreachable). */
export const wecomErrors = { ...errorResponses, 502: errorSchema } as const;

const tagInputSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { id: { type: 'string' }, group: { type: 'string' }, name: { type: 'string' } },
} as const;

const welcomeSchema = {
  type: ['object', 'null'],
  description:
    "text with {name} or {{ name }} for the customer's name; attachments in send_welcome_msg's shape (image, link, miniprogram), at most 9; or templateId: a wecom messaging template sent instead; null for none",
  additionalProperties: true,
  properties: { templateId: { type: 'string' }, text: { type: 'string' }, attachments: { type: 'array', items: anyObject }, nameFallback: { type: 'string' } },
} as const;

/** The fields a live code request may set. */
export const inputProperties = {
  name: { type: 'string', minLength: 1, maxLength: 64 },
  channel: { type: 'string', enum: [...CHANNELS] },
  staff: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 100, description: 'WeCom userids, in round-robin order' },
  strategy: { type: 'string', enum: [...STRATEGIES], description: 'least_load (default) or round_robin' },
  dailyCap: { type: ['integer', 'null'], minimum: 1, description: 'adds per staff member per local day through this code' },
  overflowUserid: { type: ['string', 'null'], description: 'gets the customers when every staff member is at the cap' },
  tags: { type: 'array', items: tagInputSchema, description: "Siyu tags put on the customer's profile" },
  corpTagIds: { type: 'array', items: { type: 'string' }, description: 'WeCom corp tag ids marked on the customer' },
  welcome: welcomeSchema,
  skipVerify: { type: 'boolean', description: 'add without the member confirming (default true)' },
  expiresAt: { type: ['string', 'null'], description: 'ISO-8601; the contact way is deleted then' },
} as const;

/** Body of `POST /v1/wecom/live-codes`. */
export const createBody = { type: 'object', required: ['name', 'channel', 'staff'], additionalProperties: false, properties: inputProperties } as const;
/** Body of `PATCH /v1/wecom/live-codes/:id`. */
export const patchBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: inputProperties } as const;

/** A live code in responses (`today` only in `GET /v1/wecom/live-codes/:id`). */
export const liveCodeSchema = {
  type: 'object',
  required: ['id', 'name', 'channel', 'state', 'configId', 'qrCode', 'staff', 'strategy', 'dailyCap', 'status', 'activeUsers', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    channel: { type: 'string' },
    state: { type: 'string', description: "the contact way's state: attributes adds to this code" },
    configId: { type: ['string', 'null'] },
    qrCode: { type: ['string', 'null'], description: 'the URL of the QR image WeCom made for the contact way (print this)' },
    staff: { type: 'array', items: { type: 'string' } },
    strategy: { type: 'string' },
    dailyCap: { type: ['integer', 'null'] },
    overflowUserid: { type: ['string', 'null'] },
    tags: { type: 'array', items: tagInputSchema },
    corpTagIds: { type: 'array', items: { type: 'string' } },
    welcome: welcomeSchema,
    skipVerify: { type: 'boolean' },
    expiresAt: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['active', 'expired', 'deleted'] },
    activeUsers: { type: 'array', items: { type: 'string' }, description: 'the users WeCom currently hands new customers to' },
    syncError: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    today: {
      type: 'object',
      required: ['date', 'staff'],
      properties: {
        date: { type: 'string' },
        staff: {
          type: 'array',
          items: {
            type: 'object',
            required: ['userid', 'adds', 'atCap'],
            properties: { userid: { type: 'string' }, adds: { type: 'integer' }, atCap: { type: 'boolean' } },
          },
        },
      },
    },
  },
} as const;

/** Query of `GET /v1/wecom/live-codes`. */
export const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    channel: { type: 'string', enum: [...CHANNELS] },
    status: { type: 'string', enum: ['active', 'expired'] },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'string', maxLength: 200 },
  },
} as const;
/** `GET /v1/wecom/live-codes`. */
export const liveCodePage = pageSchema(liveCodeSchema);

/** Query of `GET /v1/wecom/live-codes/:id/stats`. */
export const statsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', description: 'YYYY-MM-DD, workspace time zone (default 29 days before to)' },
    to: { type: 'string', description: 'YYYY-MM-DD (default today)' },
  },
} as const;

const growth = {
  adds: { type: 'integer' },
  deletions: { type: 'integer' },
  net: { type: 'integer' },
} as const;

/** `GET /v1/wecom/live-codes/:id/stats`. */
export const statsSchema = {
  type: 'object',
  required: ['liveCodeId', 'timeZone', 'from', 'to', 'totals', 'byDay', 'byStaff'],
  properties: {
    liveCodeId: { type: 'string' },
    timeZone: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    totals: {
      type: 'object',
      required: ['adds', 'deletions', 'net', 'deletedByCustomer', 'deletedByStaff', 'welcomeSent'],
      properties: { ...growth, deletedByCustomer: { type: 'integer' }, deletedByStaff: { type: 'integer' }, welcomeSent: { type: 'integer' } },
    },
    byDay: { type: 'array', items: { type: 'object', required: ['date', 'adds', 'deletions', 'net'], properties: { date: { type: 'string' }, ...growth } } },
    byStaff: {
      type: 'array',
      items: { type: 'object', required: ['userid', 'adds', 'deletions', 'net'], properties: { userid: { type: 'string' }, ...growth } },
    },
  },
} as const;

/** One customer who came through a live code (`GET /v1/wecom/live-codes/:id/adds`). */
export const addSchema = {
  type: 'object',
  required: ['userid', 'externalUserid', 'profileId', 'addedAt', 'welcome', 'tags', 'deletedAt', 'deletedBy'],
  properties: {
    userid: { type: 'string' },
    externalUserid: { type: 'string' },
    profileId: { type: 'string' },
    addedAt: { type: 'string' },
    welcome: {
      type: 'object',
      required: ['status', 'reason', 'sentAt'],
      properties: { status: { type: 'string' }, reason: { type: ['string', 'null'] }, sentAt: { type: ['string', 'null'] } },
    },
    tags: { type: 'object', required: ['status', 'error'], properties: { status: { type: 'string' }, error: { type: ['string', 'null'] } } },
    deletedAt: { type: ['string', 'null'] },
    deletedBy: { type: ['string', 'null'] },
  },
} as const;
/** Query of `GET /v1/wecom/live-codes/:id/adds`. */
export const addsQuery = { type: 'object', additionalProperties: false, properties: pageQueryProperties(100, 500) } as const;

export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
export type Id = { Params: { id: string } };
