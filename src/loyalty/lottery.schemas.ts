/** Request and response schemas of the lottery API (validated by Fastify, in the OpenAPI document, shared with the console). */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

const STATUS = { type: 'string', enum: ['active', 'paused', 'archived'] } as const;
const KIND = { type: 'string', enum: ['none', 'points', 'coupon', 'physical'] } as const;

/** A prize line of a lottery's body. */
const prizeBody = {
  type: 'object',
  required: ['id', 'name', 'kind', 'ppm'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    kind: {
      ...KIND,
      description:
        'none: nothing (thanks for playing); points: points through the ledger; coupon: a coupon of couponTemplateId; physical: handed over by the brand',
    },
    ppm: { type: 'integer', minimum: 0, maximum: 1_000_000, description: 'probability in parts per million; the lines sum to 1,000,000' },
    stock: { type: ['integer', 'null'], minimum: 0, maximum: 100_000_000, description: 'how many can be won; null for unlimited' },
    points: { type: ['integer', 'null'], minimum: 1, maximum: 1_000_000_000 },
    couponTemplateId: { type: ['string', 'null'], minLength: 1, maxLength: 200 },
    fallback: { type: 'boolean', description: 'exactly one line: given instead of a prize out of stock (kind none or points, no stock)' },
  },
} as const;

/** Body of POST /v1/loyalty/lotteries. */
export const lotteryBody = {
  type: 'object',
  required: ['name', 'costPoints', 'prizes'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    costPoints: { type: 'integer', minimum: 0, maximum: 1_000_000_000, description: 'points spent per draw (0: free)' },
    dailyLimit: { type: ['integer', 'null'], minimum: 1, maximum: 10_000, description: "draws per member per local day of the workspace's time zone" },
    status: { type: 'string', enum: ['active', 'paused'], default: 'active' },
    prizes: { type: 'array', minItems: 1, maxItems: 50, items: prizeBody },
  },
} as const;

/** Body of PUT /v1/loyalty/lotteries/:id/prizes: the whole prize table. */
export const prizesBody = {
  type: 'object',
  required: ['prizes'],
  additionalProperties: false,
  properties: { prizes: lotteryBody.properties.prizes },
} as const;

/** Body of PATCH /v1/loyalty/lotteries/:id. */
export const lotteryPatch = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: lotteryBody.properties.name,
    costPoints: lotteryBody.properties.costPoints,
    dailyLimit: lotteryBody.properties.dailyLimit,
    status: STATUS,
  },
} as const;

/** A prize line with what it has given. */
const prizeSchema = {
  type: 'object',
  required: ['id', 'name', 'kind', 'ppm', 'stock', 'won', 'left', 'points', 'couponTemplateId', 'fallback'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    kind: KIND,
    ppm: { type: 'integer' },
    stock: { type: ['integer', 'null'] },
    won: { type: 'integer' },
    left: { type: ['integer', 'null'] },
    points: { type: ['integer', 'null'] },
    couponTemplateId: { type: ['string', 'null'] },
    fallback: { type: 'boolean' },
  },
} as const;

/** A lottery. */
export const lotterySchema = {
  type: 'object',
  required: ['id', 'name', 'status', 'costPoints', 'dailyLimit', 'fallbackPrizeId', 'prizes', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    status: STATUS,
    costPoints: { type: 'integer' },
    dailyLimit: { type: ['integer', 'null'] },
    fallbackPrizeId: { type: 'string' },
    prizes: { type: 'array', items: prizeSchema },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;
/** A page of lotteries. */
export const lotteriesPage = pageSchema(lotterySchema, 'lotteries, newest first');

/** A draw. */
export const drawSchema = {
  type: 'object',
  required: [
    'id',
    'lotteryId',
    'profileId',
    'day',
    'rolledPrizeId',
    'prizeId',
    'prizeName',
    'prizeKind',
    'fellBack',
    'costPoints',
    'points',
    'couponId',
    'createdAt',
  ],
  properties: {
    id: { type: 'string' },
    lotteryId: { type: 'string' },
    profileId: { type: 'string' },
    day: { type: 'string' },
    rolledPrizeId: { type: 'string', description: 'the prize the random number fell on' },
    prizeId: { type: 'string', description: 'the prize given (the fallback when the rolled one was out of stock)' },
    prizeName: { type: 'string' },
    prizeKind: KIND,
    fellBack: { type: 'boolean' },
    costPoints: { type: 'integer' },
    points: { type: ['integer', 'null'] },
    couponId: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
  },
} as const;
/** A page of draws. */
export const drawsPage = pageSchema(drawSchema, 'draws, newest first');
/** Query of GET /v1/loyalty/lotteries/:id/draws. */
export const drawsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...pageQueryProperties(50, 500), profile: { type: 'string', minLength: 1, maxLength: 1024, description: "one member's draws" } },
} as const;
/** `{ draw, balance }`. */
export const drawAnswer = {
  type: 'object',
  required: ['draw', 'balance'],
  properties: { draw: drawSchema, balance: { type: 'integer', description: "the member's balance after the draw" } },
} as const;
