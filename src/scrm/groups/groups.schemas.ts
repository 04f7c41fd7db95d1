/** JSON schemas of the customer-group API; free of server code (the console derives its types from them). */
import { pageQueryProperties, pageSchema } from '../../platform/http-schemas.js';

export const groupProperties = {
  chatId: { type: 'string' },
  name: { type: 'string' },
  owner: { type: 'string' },
  notice: { type: ['string', 'null'] },
  status: { type: 'string', enum: ['active', 'dismissed'] },
  memberCount: { type: 'integer' },
  tags: { type: 'array', items: { type: 'string' } },
  createdAt: { type: 'string' },
  dismissedAt: { type: ['string', 'null'] },
  updatedAt: { type: 'string' },
} as const;

export const memberSchema = {
  type: 'object',
  required: ['memberId', 'type', 'name', 'unionid', 'joinTime', 'joinScene', 'invitor', 'quitAt', 'quitScene'],
  properties: {
    memberId: { type: 'string' },
    type: { type: 'string', enum: ['staff', 'customer'] },
    name: { type: ['string', 'null'] },
    unionid: { type: ['string', 'null'] },
    joinTime: { type: 'string' },
    joinScene: { type: ['string', 'null'], description: 'invited, link or qr_code' },
    invitor: { type: ['string', 'null'] },
    quitAt: { type: ['string', 'null'] },
    quitScene: { type: ['string', 'null'], description: 'left or removed' },
  },
} as const;

export const statsSchema = {
  type: 'object',
  required: ['chatId', 'timeZone', 'from', 'to', 'totals', 'joinScenes', 'byDay'],
  properties: {
    chatId: { type: ['string', 'null'] },
    timeZone: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    totals: { type: 'object', additionalProperties: { type: 'integer' } },
    joinScenes: { type: 'object', additionalProperties: { type: 'integer' } },
    byDay: {
      type: 'array',
      items: {
        type: 'object',
        required: ['date', 'joins', 'quits', 'net'],
        properties: { date: { type: 'string' }, joins: { type: 'integer' }, quits: { type: 'integer' }, net: { type: 'integer' } },
      },
    },
  },
} as const;

export const rangeQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', description: 'YYYY-MM-DD in the workspace time zone (default 29 days before to)' },
    to: { type: 'string', description: 'YYYY-MM-DD (default today)' },
  },
} as const;

export const chatParams = { type: 'object', required: ['chatId'], properties: { chatId: { type: 'string', minLength: 1, maxLength: 128 } } } as const;
export const tagsSchema = { type: 'object', properties: { chatId: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } } } as const;
export const tagList = { type: 'array', items: { type: 'string' }, maxItems: 50 } as const;
export type Chat = { Params: { chatId: string } };

export const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    owner: { type: 'string', description: 'owner userid' },
    status: { type: 'string', enum: ['active', 'dismissed'] },
    tag: { type: 'string', description: 'only groups with this group tag' },
    q: { type: 'string', maxLength: 64, description: 'part of the group name' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
    cursor: { type: 'string', maxLength: 300 },
  },
} as const;

const groupRequired = ['chatId', 'name', 'owner', 'notice', 'status', 'memberCount', 'tags', 'createdAt', 'dismissedAt', 'updatedAt'] as const;

export const listSchema = pageSchema({ type: 'object', required: groupRequired, properties: groupProperties } as const);

export const detailSchema = {
  type: 'object',
  required: [...groupRequired, 'counts', 'members'],
  properties: {
    ...groupProperties,
    counts: { type: 'object', properties: { current: { type: 'integer' }, quit: { type: 'integer' } } },
    members: { type: 'array', items: memberSchema },
  },
} as const;

export const catalogueSchema = pageSchema({ type: 'object', properties: { tag: { type: 'string' }, groups: { type: 'integer' } } } as const);

export const catalogueQuery = { type: 'object', additionalProperties: false, properties: pageQueryProperties(500, 1000) } as const;
