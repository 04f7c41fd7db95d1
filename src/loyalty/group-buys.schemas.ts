/** Request and response schemas of the group-buy API (validated by Fastify, in the OpenAPI document, shared with the console). */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

const STATUS = { type: 'string', enum: ['active', 'paused', 'archived'] } as const;
const GROUP_STATUS = { type: 'string', enum: ['open', 'formed', 'cancelled'] } as const;

/** Body of POST /v1/loyalty/group-buy-campaigns. */
export const campaignBody = {
  type: 'object',
  required: ['name', 'productId', 'groupSize', 'groupHours', 'endsAt'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    productId: { type: 'string', minLength: 1, maxLength: 200 },
    productName: { type: ['string', 'null'], maxLength: 200 },
    priceFen: { type: ['integer', 'null'], minimum: 0, maximum: 100_000_000_000, description: 'the group price, for the events (the order system charges it)' },
    groupSize: { type: 'integer', minimum: 2, maximum: 100 },
    groupHours: { type: 'integer', minimum: 1, maximum: 720, description: "a group's deadline: this many hours after it is opened (never after endsAt)" },
    endsAt: { type: 'string', maxLength: 40, description: 'ISO-8601 with an offset or Z: no group opens after it' },
    status: { type: 'string', enum: ['active', 'paused'], default: 'active' },
    rewardPoints: { type: ['integer', 'null'], minimum: 1, maximum: 1_000_000_000, description: 'points each member earns when the group forms' },
    rewardCouponTemplateId: { type: ['string', 'null'], minLength: 1, maxLength: 200, description: 'a coupon each member gets when the group forms' },
  },
} as const;

/** Body of PATCH /v1/loyalty/group-buy-campaigns/:id. */
export const campaignPatch = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: campaignBody.properties.name,
    productName: campaignBody.properties.productName,
    endsAt: campaignBody.properties.endsAt,
    status: STATUS,
    rewardPoints: campaignBody.properties.rewardPoints,
  },
} as const;

/** A campaign. */
export const campaignSchema = {
  type: 'object',
  required: [
    'id',
    'name',
    'productId',
    'productName',
    'priceFen',
    'groupSize',
    'groupHours',
    'endsAt',
    'status',
    'rewardPoints',
    'rewardCouponTemplateId',
    'groups',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    productId: { type: 'string' },
    productName: { type: ['string', 'null'] },
    priceFen: { type: ['integer', 'null'] },
    groupSize: { type: 'integer' },
    groupHours: { type: 'integer' },
    endsAt: { type: 'string' },
    status: STATUS,
    rewardPoints: { type: ['integer', 'null'] },
    rewardCouponTemplateId: { type: ['string', 'null'] },
    groups: {
      type: 'object',
      required: ['open', 'formed', 'cancelled'],
      properties: { open: { type: 'integer' }, formed: { type: 'integer' }, cancelled: { type: 'integer' } },
    },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;
/** A page of campaigns. */
export const campaignsPage = pageSchema(campaignSchema, 'group-buy campaigns, newest first');

/** A group. */
export const groupSchema = {
  type: 'object',
  required: ['id', 'code', 'campaignId', 'status', 'size', 'joined', 'deadline', 'formedAt', 'cancelledAt', 'createdAt'],
  properties: {
    id: { type: 'string' },
    code: { type: 'string', description: 'the share code (the link carries it)' },
    campaignId: { type: 'string' },
    status: GROUP_STATUS,
    size: { type: 'integer' },
    joined: { type: 'integer' },
    deadline: { type: 'string' },
    formedAt: { type: ['string', 'null'] },
    cancelledAt: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    leaderProfileId: { type: 'string' },
    members: {
      type: 'array',
      items: { type: 'object', required: ['profileId', 'joinedAt'], properties: { profileId: { type: 'string' }, joinedAt: { type: 'string' } } },
    },
    you: { type: 'boolean', description: 'member routes: whether the member is in the group' },
  },
} as const;
/** A page of groups. */
export const groupsPage = pageSchema(groupSchema, "a campaign's groups, newest first, with their members");
/** Query of GET /v1/loyalty/group-buy-campaigns/:id/groups. */
export const groupsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...pageQueryProperties(50, 100), status: GROUP_STATUS },
} as const;
/** Query of the campaign list. */
export const campaignsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...pageQueryProperties(50, 100), status: STATUS },
} as const;
