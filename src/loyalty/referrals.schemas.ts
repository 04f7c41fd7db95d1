/** Request and response schemas of the referral and KOC API (validated by Fastify, shown in the OpenAPI document, shared with the console). */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

/** A reward in the programme. */
export const rewardSchema = {
  type: 'object',
  oneOf: [
    {
      type: 'object',
      required: ['kind', 'points'],
      additionalProperties: false,
      properties: { kind: { const: 'points' }, points: { type: 'integer', minimum: 1, maximum: 100_000_000 } },
    },
    {
      type: 'object',
      required: ['kind', 'template'],
      additionalProperties: false,
      properties: { kind: { const: 'coupon' }, template: { type: 'string', minLength: 1, maxLength: 100 } },
    },
    {
      type: 'object',
      required: ['kind', 'days'],
      additionalProperties: false,
      properties: { kind: { const: 'tier_days' }, days: { type: 'integer', minimum: 1, maximum: 3660 } },
    },
  ],
} as const;

const idSchema = { type: 'string', pattern: '^[a-z0-9_-]{1,40}$' } as const;

/** The programme's schema with a reward's schema (strict for requests; an open object for answers, which fast-json-stringify writes without oneOf). */
function programmeWith<const R extends object>(rewardSchema: R) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['enabled', 'newWithinMinutes', 'maxPerReferrerPerDay', 'rules', 'milestones', 'commissionDays', 'kocWeights'],
    properties: {
      enabled: { type: 'boolean' },
      newWithinMinutes: { type: 'integer', minimum: 1, maximum: 60 * 24 * 30 },
      maxPerReferrerPerDay: { type: 'integer', minimum: 1, maximum: 100_000 },
      rules: {
        type: 'array',
        maxItems: 50,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'on', 'to', 'reward'],
          properties: {
            id: idSchema,
            name: { type: 'string', maxLength: 200 },
            on: { type: 'string', enum: ['registration', 'first_purchase', 'purchase'] },
            days: { type: 'integer', minimum: 1, maximum: 3660 },
            minOrderFen: { type: 'integer', minimum: 0 },
            to: { type: 'string', enum: ['referrer', 'referee', 'both'] },
            reward: rewardSchema,
          },
        },
      },
      milestones: {
        type: 'array',
        maxItems: 50,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'count', 'reward'],
          properties: { id: idSchema, count: { type: 'integer', minimum: 1, maximum: 100_000 }, reward: rewardSchema },
        },
      },
      commissionDays: { type: ['integer', 'null'], minimum: 1, maximum: 3660 },
      attributionEvents: {
        type: 'array',
        maxItems: 10,
        items: { type: 'string', minLength: 1, maxLength: 200 },
        description: 'tracked events whose properties.referral_code attributes their profile (default ["Signed Up"])',
      },
      shareUrl: { type: ['string', 'null'], maxLength: 500, pattern: '^https?://.*\\{code\\}' },
      kocWeights: {
        type: 'object',
        additionalProperties: false,
        required: ['referral', 'groupBuy', 'community'],
        properties: {
          referral: { type: 'number', minimum: 0, maximum: 1000 },
          groupBuy: { type: 'number', minimum: 0, maximum: 1000 },
          community: { type: 'number', minimum: 0, maximum: 1000 },
        },
      },
    },
  } as const;
}

/** The programme as PUT /v1/loyalty/referrals/settings takes it. */
export const programmeSchema = programmeWith(rewardSchema);

/** The programme as the API answers it. */
export const programmeAnswer = programmeWith({ type: 'object', additionalProperties: true, properties: { kind: { type: 'string' } } } as const);

const profile = { type: 'string', minLength: 1, maxLength: 1024, description: 'profile id (prf_…) or identifier (type:value)' } as const;
const TIME = { type: 'string', format: 'date-time' } as const;
const NULL_TEXT = { type: ['string', 'null'] } as const;

/** A referral code. */
export const codeSchema = {
  type: 'object',
  required: ['code', 'ownerKind', 'ownerId', 'commissionBp', 'shareLink', 'createdAt'],
  properties: {
    code: { type: 'string' },
    ownerKind: { type: 'string', enum: ['member', 'staff'] },
    ownerId: { type: 'string', description: 'the profile id (member) or staff id (staff)' },
    commissionBp: { type: ['integer', 'null'], description: 'staff codes: commission in basis points (1000 = 10%)' },
    shareLink: { ...NULL_TEXT, description: "the programme's shareUrl with the code in it" },
    createdAt: TIME,
  },
} as const;

/** Body of POST /v1/loyalty/referrals/codes (a member's code, created or got). */
export const memberCodeBody = { type: 'object', required: ['profile'], additionalProperties: false, properties: { profile } } as const;

/** Body of POST /v1/loyalty/referrals/staff-codes. */
export const staffCodeBody = {
  type: 'object',
  required: ['staffId', 'commissionBp'],
  additionalProperties: false,
  properties: {
    staffId: { type: 'string', minLength: 1, maxLength: 200, description: 'the staff member (e.g. their WeCom userid)' },
    code: {
      type: 'string',
      pattern: '^[A-Za-z0-9-]{4,32}$',
      description: 'the code to use; default a generated one (ignored once the staff member has a code)',
    },
    commissionBp: { type: 'integer', minimum: 0, maximum: 10_000, description: "commission in basis points of each qualifying order's net amount" },
  },
} as const;

/** Body of POST /v1/loyalty/referrals/attribute. */
export const attributeBody = {
  type: 'object',
  required: ['code', 'profile'],
  additionalProperties: false,
  properties: {
    code: { type: 'string', minLength: 1, maxLength: 64 },
    profile: { ...profile, description: 'the referee: profile id (prf_…) or identifier (type:value)' },
  },
} as const;

/** A decision. */
export const decisionSchema = {
  type: 'object',
  required: ['id', 'code', 'referrerKind', 'referrerId', 'refereeId', 'outcome', 'reason', 'detail', 'createdAt'],
  properties: {
    id: { type: 'string' },
    code: { type: 'string' },
    referrerKind: { type: 'string', enum: ['member', 'staff'] },
    referrerId: { type: 'string' },
    refereeId: { type: 'string' },
    outcome: { type: 'string', enum: ['accepted', 'rejected'] },
    reason: {
      type: 'string',
      description: 'accepted, self_referral, shared_identifier, already_known, already_referred, velocity_limit or programme_disabled',
    },
    detail: NULL_TEXT,
    createdAt: TIME,
  },
} as const;

/** A reward. */
export const rewardItemSchema = {
  type: 'object',
  required: ['id', 'profileId', 'refereeId', 'ruleId', 'trigger', 'kind', 'amount', 'reversed', 'reference', 'orderId', 'status', 'note', 'createdAt'],
  properties: {
    id: { type: 'string' },
    profileId: { type: 'string', description: 'who received it' },
    refereeId: { type: 'string' },
    ruleId: { type: 'string' },
    trigger: { type: 'string', enum: ['registration', 'first_purchase', 'purchase', 'milestone'] },
    kind: { type: 'string', enum: ['points', 'coupon', 'tier_days'] },
    amount: { type: 'integer' },
    reversed: { type: 'integer', description: 'points clawed back after refunds' },
    reference: { ...NULL_TEXT, description: 'the ledger entry id, coupon code or tier grant' },
    orderId: NULL_TEXT,
    status: { type: 'string', enum: ['granted', 'reversed', 'failed', 'not_reclaimable'] },
    note: { ...NULL_TEXT, description: 'why a reward failed (e.g. TIER_DAYS_UNAVAILABLE, COUPON_OUT_OF_STOCK), or why a coupon could not be taken back' },
    createdAt: TIME,
  },
} as const;

/** The answer of an attribution. */
export const attributionSchema = {
  type: 'object',
  required: ['decision', 'rewards'],
  properties: {
    decision: decisionSchema,
    rewards: { type: 'array', items: rewardItemSchema, description: 'rewards given at once (registration rules, milestones)' },
  },
} as const;

/** A commission. */
export const commissionSchema = {
  type: 'object',
  required: ['id', 'staffId', 'code', 'refereeId', 'orderId', 'orderFen', 'commissionBp', 'commissionFen', 'reversedFen', 'netFen', 'status', 'createdAt'],
  properties: {
    id: { type: 'string' },
    staffId: { type: 'string' },
    code: { type: 'string' },
    refereeId: { type: 'string' },
    orderId: { type: 'string' },
    orderFen: { type: 'integer' },
    commissionBp: { type: 'integer' },
    commissionFen: { type: 'integer' },
    reversedFen: { type: 'integer' },
    netFen: { type: 'integer' },
    status: { type: 'string', enum: ['earned', 'reversed'] },
    createdAt: TIME,
  },
} as const;

/** A KOC leaderboard entry. */
export const kocSchema = {
  type: 'object',
  required: ['rank', 'profileId', 'score', 'referrals', 'groupBuysLed', 'communityScore', 'communityRole'],
  properties: {
    rank: { type: 'integer' },
    profileId: { type: 'string' },
    score: { type: 'number' },
    referrals: { type: 'integer', description: 'successful referrals' },
    groupBuysLed: { type: 'integer' },
    communityScore: { type: 'number' },
    communityRole: NULL_TEXT,
  },
} as const;

export const decisionsPage = pageSchema(decisionSchema, 'decisions, newest first');
export const commissionsPage = pageSchema(commissionSchema, 'commissions, newest first');
export const rewardsPage = pageSchema(rewardItemSchema, 'rewards, newest first');
export const kocPage = pageSchema(kocSchema, 'members by influence score, best first');

/** Query of GET /v1/loyalty/referrals/decisions. */
export const decisionsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageQueryProperties(50, 200),
    outcome: { type: 'string', enum: ['accepted', 'rejected'] },
    reason: { type: 'string', maxLength: 40 },
    referrer: { type: 'string', maxLength: 1024 },
  },
} as const;

/** Query of GET /v1/loyalty/referrals/commissions. */
export const commissionsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...pageQueryProperties(50, 200), staff: { type: 'string', maxLength: 200 } },
} as const;

/** Query of GET /v1/loyalty/referrals/rewards. */
export const rewardsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...pageQueryProperties(50, 200), profile: { type: 'string', maxLength: 1024 }, referee: { type: 'string', maxLength: 1024 } },
} as const;

/** Query of GET /v1/loyalty/koc. */
export const kocQuery = { type: 'object', additionalProperties: false, properties: pageQueryProperties(50, 200) } as const;
