/** Request and response schemas of the catalogue and checkout API (validated by Fastify, in the OpenAPI document, shared with the console). */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

const POINTS = { type: 'integer', minimum: 1, maximum: 1_000_000_000_000 } as const;
const FEN = { type: 'integer', minimum: 1, maximum: 100_000_000_000 } as const;
const profile = { type: 'string', minLength: 1, maxLength: 1024, description: 'profile id (prf_…) or identifier (type:value)' } as const;
/** An idempotency key. */
export const idempotencyKey = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  description: 'the same request again answers the first answer; another request with the key is 409 IDEMPOTENCY_CONFLICT',
} as const;
const STATUS = { type: 'string', enum: ['active', 'paused', 'archived'] } as const;

/** Body of POST /v1/loyalty/catalogue-items. */
export const itemBody = {
  type: 'object',
  required: ['name', 'kind', 'points'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: ['string', 'null'], maxLength: 2000 },
    kind: {
      type: 'string',
      enum: ['coupon', 'physical', 'virtual'],
      description: 'coupon: a coupon of couponTemplateId; physical/virtual: a reward the brand hands over',
    },
    couponTemplateId: { type: ['string', 'null'], minLength: 1, maxLength: 200, description: 'coupon items: the template (id or key)' },
    points: { ...POINTS, description: 'points one unit costs' },
    stock: { type: ['integer', 'null'], minimum: 0, maximum: 100_000_000, description: 'units offered in all; null or absent for unlimited' },
    perMemberLimit: { type: ['integer', 'null'], minimum: 1, maximum: 1_000_000 },
    status: { type: 'string', enum: ['active', 'paused'], default: 'active' },
  },
} as const;

/** Body of PATCH /v1/loyalty/catalogue-items/:id. */
export const itemPatch = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: itemBody.properties.name,
    description: itemBody.properties.description,
    points: itemBody.properties.points,
    stock: itemBody.properties.stock,
    perMemberLimit: itemBody.properties.perMemberLimit,
    status: STATUS,
  },
} as const;

/** A catalogue item. */
export const itemSchema = {
  type: 'object',
  required: [
    'id',
    'name',
    'description',
    'kind',
    'couponTemplateId',
    'points',
    'stock',
    'redeemed',
    'left',
    'perMemberLimit',
    'status',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    kind: { type: 'string', enum: ['coupon', 'physical', 'virtual'] },
    couponTemplateId: { type: ['string', 'null'] },
    points: { type: 'integer' },
    stock: { type: ['integer', 'null'] },
    redeemed: { type: 'integer' },
    left: { type: ['integer', 'null'], description: 'units left; null for unlimited' },
    perMemberLimit: { type: ['integer', 'null'] },
    status: STATUS,
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

/** A page of items. */
export const itemsPage = pageSchema(itemSchema, 'catalogue items, newest first');
/** Query of the item lists. */
export const itemsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...pageQueryProperties(50, 100), status: STATUS },
} as const;
/** `:id` of an item, lottery or campaign. */
export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } as const;

/** Body of POST /v1/loyalty/catalogue-items/:id/redeem (the brand's backend redeeming for a member). */
export const redeemItemBody = {
  type: 'object',
  required: ['profile', 'idempotencyKey'],
  additionalProperties: false,
  properties: { profile, idempotencyKey },
} as const;

/** A redemption. */
export const redemptionSchema = {
  type: 'object',
  required: ['id', 'itemId', 'profileId', 'points', 'entryId', 'couponId', 'couponCode', 'balance', 'createdAt'],
  properties: {
    id: { type: 'string' },
    itemId: { type: 'string' },
    profileId: { type: 'string' },
    points: { type: 'integer' },
    entryId: { type: 'string', description: 'the ledger entry of the spend' },
    couponId: { type: ['string', 'null'] },
    couponCode: { type: ['string', 'null'] },
    balance: { type: 'integer', description: "the member's balance after the redemption" },
    createdAt: { type: 'string' },
  },
} as const;
/** A redemption as the admin lists show it (with its reversal, if any). */
export const redemptionRowSchema = {
  type: 'object',
  required: [
    'id',
    'itemId',
    'profileId',
    'points',
    'entryId',
    'couponId',
    'couponCode',
    'status',
    'reversedAt',
    'reverseEntryId',
    'reverseReason',
    'createdAt',
  ],
  properties: {
    id: { type: 'string' },
    itemId: { type: 'string' },
    profileId: { type: 'string' },
    points: { type: 'integer' },
    entryId: { type: 'string', description: 'the ledger entry of the spend' },
    couponId: { type: ['string', 'null'] },
    couponCode: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['redeemed', 'reversed'] },
    reversedAt: { type: ['string', 'null'] },
    reverseEntryId: { type: ['string', 'null'], description: 'the ledger entry that gave the points back' },
    reverseReason: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
  },
} as const;
/** A page of an item's redemptions. */
export const redemptionsPage = pageSchema(redemptionRowSchema, 'redemptions, newest first');
/** Query of GET /v1/loyalty/catalogue-items/:id/redemptions. */
export const redemptionsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...pageQueryProperties(50, 500), profile: { type: 'string', minLength: 1, maxLength: 1024, description: "one member's redemptions" } },
} as const;
/** Body of POST /v1/loyalty/catalogue-redemptions/:id/reverse. */
export const reverseRedemptionBody = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
} as const;
/** `{ redemption, balance }` of a reversal. */
export const reversedRedemptionAnswer = {
  type: 'object',
  required: ['redemption', 'balance'],
  properties: { redemption: redemptionRowSchema, balance: { type: 'integer', description: "the member's balance after the points came back" } },
} as const;

/** `{ redemption }`. */
export const redemptionAnswer = { type: 'object', required: ['redemption'], properties: { redemption: redemptionSchema } } as const;

/** The checkout settings (body of PUT and answer of GET /v1/loyalty/checkout/settings). */
export const checkoutSettingsSchema = {
  type: 'object',
  required: ['pointsPerYuan', 'maxPercent', 'maxFen'],
  additionalProperties: false,
  properties: {
    pointsPerYuan: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'points that pay ¥1 (e.g. 100)' },
    maxPercent: { type: ['integer', 'null'], minimum: 1, maximum: 100, description: 'cap: at most this percent of the order total' },
    maxFen: { type: ['integer', 'null'], minimum: 1, maximum: 100_000_000_000, description: 'cap: at most this many fen per order' },
  },
} as const;

/** Body of POST /v1/loyalty/checkout/quote. */
export const quoteBody = {
  type: 'object',
  required: ['profile', 'orderTotalFen'],
  additionalProperties: false,
  properties: { profile, orderTotalFen: FEN, points: { ...POINTS, description: 'points the member wants to use (default: as many as possible)' } },
} as const;
/** A quote. */
export const quoteSchema = {
  type: 'object',
  required: ['profileId', 'balance', 'pointsPerYuan', 'capFen', 'maxPoints', 'points', 'amountFen'],
  properties: {
    profileId: { type: 'string' },
    balance: { type: 'integer' },
    pointsPerYuan: { type: 'integer' },
    capFen: { type: 'integer', description: 'the most points may pay on this order, in fen' },
    maxPoints: { type: 'integer', description: 'the points that pay capFen' },
    points: { type: 'integer', description: 'what would be spent' },
    amountFen: { type: 'integer', description: 'what it pays' },
  },
} as const;

/** Body of POST /v1/loyalty/checkout/apply. */
export const applyBody = {
  type: 'object',
  required: ['profile', 'orderId', 'orderTotalFen', 'points'],
  additionalProperties: false,
  properties: {
    profile,
    orderId: { type: 'string', minLength: 1, maxLength: 200, description: 'the order (the idempotency key: one deduction per order)' },
    orderTotalFen: FEN,
    points: POINTS,
  },
} as const;
/** Body of POST /v1/loyalty/checkout/reverse. */
export const reverseBody = {
  type: 'object',
  required: ['orderId', 'reason'],
  additionalProperties: false,
  properties: { orderId: applyBody.properties.orderId, reason: { type: 'string', minLength: 1, maxLength: 500 } },
} as const;
/** A deduction. */
export const deductionSchema = {
  type: 'object',
  required: ['orderId', 'profileId', 'points', 'amountFen', 'orderTotalFen', 'status', 'entryId', 'reverseEntryId', 'createdAt', 'updatedAt'],
  properties: {
    orderId: { type: 'string' },
    profileId: { type: 'string' },
    points: { type: 'integer' },
    amountFen: { type: 'integer' },
    orderTotalFen: { type: 'integer' },
    status: { type: 'string', enum: ['applied', 'reversed'] },
    entryId: { type: 'string' },
    reverseEntryId: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;
/** `{ deduction }` (null: the order had none). */
export const deductionAnswer = {
  type: 'object',
  required: ['deduction'],
  properties: { deduction: { ...deductionSchema, type: ['object', 'null'] } },
} as const;
