/** Request and response schemas of the coupon API (validated by Fastify, shown in the OpenAPI document, shared with the console). */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

const FEN = { type: 'integer', minimum: 0, maximum: 100_000_000_000 } as const;
const POSITIVE_FEN = { type: 'integer', minimum: 1, maximum: 100_000_000_000 } as const;
const TIME_IN = { type: ['string', 'null'], maxLength: 40, description: 'ISO-8601 with an offset or Z' } as const;
const idempotencyKey = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  description: 'unique per workspace: the same request again answers the first answer; another request with the key is 409 IDEMPOTENCY_CONFLICT',
} as const;
const profile = { type: 'string', minLength: 1, maxLength: 1024, description: 'profile id (prf_…) or identifier (type:value)' } as const;
const code = { type: 'string', minLength: 4, maxLength: 64, description: 'the coupon code, any case, spaces and hyphens ignored' } as const;

/** Body of POST /v1/loyalty/coupon-templates. */
export const templateBody = {
  type: 'object',
  required: ['name', 'kind', 'validity'],
  additionalProperties: false,
  properties: {
    key: {
      type: ['string', 'null'],
      pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
      description: 'a name to use instead of the id (journeys: couponTemplateId), unique per workspace',
    },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: ['string', 'null'], maxLength: 2000 },
    kind: {
      type: 'string',
      enum: ['fixed', 'percent', 'threshold', 'free_item'],
      description:
        'fixed: amountFen off; percent: percentOff off, at most capFen; threshold (满减): amountFen off orders of thresholdFen or more; free_item: itemKey free',
    },
    amountFen: POSITIVE_FEN,
    percentOff: { type: 'integer', minimum: 1, maximum: 99 },
    capFen: { ...POSITIVE_FEN, type: ['integer', 'null'] },
    thresholdFen: { ...FEN, description: 'the order amount from which the coupon applies (any kind); default 0' },
    itemKey: { type: 'string', minLength: 1, maxLength: 200, description: 'free_item: the product_id or sku given free' },
    validity: {
      type: 'object',
      additionalProperties: false,
      properties: {
        from: TIME_IN,
        until: TIME_IN,
        days: { type: ['integer', 'null'], minimum: 1, maximum: 3660, description: 'valid for N local days from issue (the issue day is day 1)' },
      },
    },
    stackable: { type: 'boolean', default: false, description: 'may be used on one order together with other stackable coupons' },
    maxPerOrder: { type: 'integer', minimum: 1, maximum: 100, default: 1 },
    perPersonLimit: { type: ['integer', 'null'], minimum: 1, maximum: 1_000_000 },
    stock: { type: ['integer', 'null'], minimum: 1, maximum: 100_000_000, description: 'the global limit: coupons that may be created (issued and generated)' },
    codePrefix: { type: 'string', pattern: '^[A-Z0-9]{0,8}$', default: '' },
  },
} as const;

/** Body of PATCH /v1/loyalty/coupon-templates/:id. */
export const templatePatch = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: templateBody.properties.name,
    description: templateBody.properties.description,
    status: { type: 'string', enum: ['active', 'paused'] },
    stock: templateBody.properties.stock,
    perPersonLimit: templateBody.properties.perPersonLimit,
  },
} as const;

/** A template's statistics. */
export const statsSchema = {
  type: 'object',
  required: ['created', 'unassigned', 'issued', 'claimed', 'redeemed', 'reversed', 'redemptionRate', 'discountFen', 'revenueFen', 'ordersNotSeen'],
  properties: {
    created: { type: 'integer', description: 'coupons created: issued and generated' },
    unassigned: { type: 'integer', description: 'generated codes nobody holds yet' },
    issued: { type: 'integer', description: 'coupons held by members' },
    claimed: { type: 'integer', description: 'of those, taken by members themselves (claim link, generated code)' },
    redeemed: { type: 'integer', description: 'used on an order now' },
    reversed: { type: 'integer', description: 'uses reversed (order refunded or cancelled)' },
    redemptionRate: { type: 'number', description: 'redeemed / issued' },
    discountFen: { type: 'integer' },
    revenueFen: { type: 'integer', description: 'net revenue (less refunds) of the orders the coupons are used on' },
    ordersNotSeen: { type: 'integer', description: 'orders with a coupon that the CDP has not received yet' },
  },
} as const;

/** A template as the API answers it. */
export const templateSchema = {
  type: 'object',
  required: [
    'id',
    'key',
    'name',
    'description',
    'kind',
    'amountFen',
    'percentOff',
    'capFen',
    'thresholdFen',
    'itemKey',
    'validity',
    'stackable',
    'maxPerOrder',
    'perPersonLimit',
    'stock',
    'created',
    'codePrefix',
    'status',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    id: { type: 'string' },
    key: { type: ['string', 'null'] },
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    kind: { type: 'string', enum: ['fixed', 'percent', 'threshold', 'free_item'] },
    amountFen: { type: ['integer', 'null'] },
    percentOff: { type: ['integer', 'null'] },
    capFen: { type: ['integer', 'null'] },
    thresholdFen: { type: 'integer' },
    itemKey: { type: ['string', 'null'] },
    validity: {
      type: 'object',
      required: ['from', 'until', 'days'],
      properties: { from: { type: ['string', 'null'] }, until: { type: ['string', 'null'] }, days: { type: ['integer', 'null'] } },
    },
    stackable: { type: 'boolean' },
    maxPerOrder: { type: 'integer' },
    perPersonLimit: { type: ['integer', 'null'] },
    stock: { type: ['integer', 'null'] },
    created: { type: 'integer' },
    codePrefix: { type: 'string' },
    status: { type: 'string', enum: ['active', 'paused', 'archived'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    stats: statsSchema,
  },
} as const;

/** Query of the template list. */
export const templatesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...pageQueryProperties(20, 100), status: { type: 'string', enum: ['active', 'paused', 'archived'] } },
} as const;

/** A page of templates, newest first, each with its statistics. */
export const templatesPage = pageSchema(templateSchema, 'coupon templates, newest first, with statistics');

/** `:id` of a template route (its id or key). */
export const templateParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;

/** Body of POST …/codes (bulk generation). */
export const codesBody = {
  type: 'object',
  required: ['count', 'idempotencyKey'],
  additionalProperties: false,
  properties: { count: { type: 'integer', minimum: 1, maximum: 1_000_000 }, idempotencyKey },
} as const;

/** Answer of a bulk generation. */
export const batchSchema = {
  type: 'object',
  required: ['batchId', 'templateId', 'count'],
  properties: {
    batchId: { type: 'string', description: 'list its codes with GET …/coupons?batch=' },
    templateId: { type: 'string' },
    count: { type: 'integer' },
  },
} as const;

/** Body of POST …/claim-links. */
export const claimLinkBody = {
  type: 'object',
  required: ['expiresAt'],
  additionalProperties: false,
  properties: { expiresAt: { type: 'string', maxLength: 40, description: 'ISO-8601 with an offset or Z, in the future' } },
} as const;

/** Answer of POST …/claim-links. */
export const claimLinkSchema = {
  type: 'object',
  required: ['token', 'templateId', 'expiresAt'],
  properties: {
    token: { type: 'string', description: 'signed; put it in the link the member opens' },
    templateId: { type: 'string' },
    expiresAt: { type: 'string' },
  },
} as const;

/** Body of POST /v1/loyalty/coupons/issue. */
export const issueBody = {
  type: 'object',
  required: ['template', 'profile', 'idempotencyKey'],
  additionalProperties: false,
  properties: {
    template: { type: 'string', minLength: 1, maxLength: 100, description: 'template id or key' },
    profile,
    idempotencyKey,
    reason: { type: 'string', minLength: 1, maxLength: 500 },
  },
} as const;

/** Body of POST /v1/loyalty/coupons/claim: a claim link's token or a generated code. */
export const claimBody = {
  type: 'object',
  required: ['profile'],
  additionalProperties: false,
  properties: { profile, token: { type: 'string', minLength: 10, maxLength: 2000 }, code },
} as const;

/** A coupon as the API answers it. */
export const couponSchema = {
  type: 'object',
  required: [
    'id',
    'code',
    'templateId',
    'profileId',
    'status',
    'expired',
    'channel',
    'reason',
    'issuedAt',
    'validFrom',
    'validUntil',
    'redemptionId',
    'createdAt',
  ],
  properties: {
    id: { type: 'string' },
    code: { type: 'string' },
    templateId: { type: 'string' },
    profileId: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['unassigned', 'issued', 'redeemed', 'voided'] },
    expired: { type: 'boolean' },
    channel: { type: 'string', enum: ['generated', 'api', 'journey', 'claim_link', 'code'] },
    reason: { type: ['string', 'null'] },
    issuedAt: { type: ['string', 'null'] },
    validFrom: { type: ['string', 'null'] },
    validUntil: { type: ['string', 'null'] },
    redemptionId: { type: ['string', 'null'] },
    voidedAt: { type: ['string', 'null'] },
    voidReason: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
  },
} as const;

/** `{ coupon }`. */
export const couponAnswer = { type: 'object', required: ['coupon'], properties: { coupon: couponSchema } } as const;

/** Query of coupon lists. */
export const couponsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageQueryProperties(50, 1000),
    status: { type: 'string', enum: ['unassigned', 'issued', 'redeemed', 'voided'] },
    batch: { type: 'string', maxLength: 100, description: 'a bulk generation batch (template lists only)' },
  },
} as const;

/** Query of a member's coupons. */
export const profileCouponsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...pageQueryProperties(50, 1000), status: couponsQuery.properties.status },
} as const;

/** A page of coupons, newest first. */
export const couponsPage = pageSchema(couponSchema, 'coupons, newest first');

/** Body of POST /v1/loyalty/coupons/redeem. */
export const redeemBody = {
  type: 'object',
  required: ['code', 'profile', 'orderId', 'orderAmountFen', 'idempotencyKey'],
  additionalProperties: false,
  properties: {
    code,
    profile,
    orderId: { type: 'string', minLength: 1, maxLength: 200, description: 'the order it is used on (its Order Refunded / Order Cancelled reverses it)' },
    orderAmountFen: { ...FEN, description: 'the order amount before coupons' },
    lines: {
      type: 'array',
      maxItems: 500,
      items: {
        type: 'object',
        required: ['key', 'priceFen', 'quantity'],
        additionalProperties: false,
        properties: {
          key: { type: 'string', minLength: 1, maxLength: 200, description: 'product_id or sku' },
          priceFen: FEN,
          quantity: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        },
      },
    },
    idempotencyKey,
  },
} as const;

/** A redemption as the API answers it. */
export const redemptionSchema = {
  type: 'object',
  required: ['id', 'couponId', 'code', 'templateId', 'profileId', 'orderId', 'orderAmountFen', 'discountFen', 'redeemedAt', 'reversedAt', 'reverseReason'],
  properties: {
    id: { type: 'string' },
    couponId: { type: 'string' },
    code: { type: 'string' },
    templateId: { type: 'string' },
    profileId: { type: 'string' },
    orderId: { type: 'string' },
    orderAmountFen: { type: 'integer' },
    discountFen: { type: 'integer', description: 'what the coupon takes off the order' },
    redeemedAt: { type: 'string' },
    reversedAt: { type: ['string', 'null'] },
    reverseReason: { type: ['string', 'null'] },
  },
} as const;

/** `{ redemption }`. */
export const redemptionAnswer = { type: 'object', required: ['redemption'], properties: { redemption: redemptionSchema } } as const;

/** Body of POST /v1/loyalty/coupons/reverse. */
export const reverseBody = {
  type: 'object',
  required: ['code', 'orderId', 'reason'],
  additionalProperties: false,
  properties: { code, orderId: redeemBody.properties.orderId, reason: { type: 'string', minLength: 1, maxLength: 500 } },
} as const;
