/** Schemas of the tier program, tiers, members and paid memberships (validated by Fastify at the admin API, shown in the OpenAPI document, shared with the console). */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

const tierKey = { type: 'string', pattern: '^[a-z0-9_-]{1,40}$', description: 'a stable key, e.g. `gold`' } as const;
const isoOrNull = { type: ['string', 'null'] } as const;

/** What a tier gives its members; the shop applies them (Siyu returns them with the member). */
export const benefitsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    discountPercent: { type: 'integer', minimum: 0, maximum: 90, default: 0, description: 'percent off member prices (5: 95折)' },
    pointsMultiplier: { type: 'number', minimum: 1, maximum: 10, default: 1, description: 'multiplies order points of rules with tierMultiplier' },
    freeShipping: { type: 'boolean', default: false },
    birthdayGift: {
      type: ['string', 'null'],
      maxLength: 200,
      default: null,
      description: 'what the member gets on their birthday (e.g. a coupon template key)',
    },
    memberDayPrice: { type: 'boolean', default: false, description: 'member-day prices apply' },
    priorityService: { type: 'boolean', default: false },
    earlyAccess: { type: 'boolean', default: false, description: 'early access to launches and sales' },
  },
} as const;

/** One tier of the program. */
export const tierSchema = {
  type: 'object',
  required: ['key', 'name', 'threshold'],
  additionalProperties: false,
  properties: {
    key: tierKey,
    name: { type: 'string', minLength: 1, maxLength: 60 },
    threshold: {
      type: 'integer',
      minimum: 0,
      maximum: 1e12,
      description: 'points earned, or net spend in fen, in the window that qualifies (ignored for paidOnly tiers)',
    },
    paidOnly: { type: 'boolean', default: false, description: 'reached only by buying it (付费会员), never by qualification' },
    price: {
      type: 'object',
      required: ['amountFen', 'periodDays'],
      additionalProperties: false,
      description: 'what a paid membership of the tier costs, for the shop (purchases state their own amount)',
      properties: { amountFen: { type: 'integer', minimum: 0, maximum: 1e10 }, periodDays: { type: 'integer', minimum: 1, maximum: 3660 } },
    },
    benefits: benefitsSchema,
  },
} as const;

/** The workspace's tier program: how members qualify and the tiers, lowest first. */
export const programSchema = {
  type: 'object',
  required: ['basis', 'window', 'tiers'],
  additionalProperties: false,
  properties: {
    basis: { type: 'string', enum: ['points', 'spend'], description: 'points earned (earnings less claw backs), or net spend (orders less refunds, fen)' },
    window: {
      type: 'object',
      required: ['kind'],
      additionalProperties: false,
      properties: {
        kind: { type: 'string', enum: ['rolling', 'lifetime'] },
        months: { type: 'integer', minimum: 1, maximum: 120, description: 'rolling only: the last N months' },
      },
    },
    evaluation: {
      type: 'object',
      additionalProperties: false,
      default: { every: 'month' },
      properties: {
        every: { type: 'string', enum: ['month', 'quarter', 'year'], default: 'month', description: 'downgrades are decided on the first day of each' },
      },
    },
    graceDays: {
      type: 'integer',
      minimum: 0,
      maximum: 730,
      default: 30,
      description: 'days after an evaluation date before a member who fell short is downgraded',
    },
    tiers: { type: 'array', maxItems: 30, items: tierSchema, description: 'lowest first; thresholds rise' },
  },
} as const;

/** A version of the program as the API answers it. */
export const programViewSchema = {
  type: 'object',
  required: ['version', 'program'],
  properties: { version: { type: 'integer' }, createdAt: isoOrNull, program: programSchema },
} as const;

const tierView = { ...tierSchema, properties: { ...tierSchema.properties, rank: { type: 'integer' } } } as const;

/** The tiers list (never paged: a program has at most 30). */
export const tiersPage = pageSchema(tierView, 'the tiers, lowest first');

/** `:key` of a tier. */
export const tierParams = { type: 'object', required: ['key'], properties: { key: tierKey } } as const;

const historyItem = {
  type: 'object',
  required: ['id', 'from', 'to', 'reason', 'value', 'note', 'createdAt'],
  properties: {
    id: { type: 'string' },
    from: { type: ['string', 'null'] },
    to: { type: ['string', 'null'] },
    reason: { type: 'string', enum: ['qualified', 'evaluation', 'paid_purchase', 'paid_expired', 'merge', 'referral_reward', 'program_change'] },
    value: { type: 'integer' },
    note: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
  },
} as const;

const tierRef = {
  type: ['object', 'null'],
  required: ['key', 'name', 'rank'],
  properties: { key: { type: 'string' }, name: { type: 'string' }, rank: { type: 'integer' } },
} as const;

/** A paid membership bought (a purchase or a renewal), or tier days given as a referral reward (`reward`). */
export const paidMembershipSchema = {
  type: 'object',
  required: ['id', 'profileId', 'tier', 'kind', 'orderId', 'amountFen', 'startsAt', 'endsAt', 'createdAt'],
  properties: {
    id: { type: 'string' },
    profileId: { type: 'string' },
    tier: { type: 'string' },
    kind: { type: 'string', enum: ['purchase', 'renewal', 'reward'] },
    orderId: { type: 'string' },
    amountFen: { type: 'integer' },
    startsAt: { type: 'string' },
    endsAt: { type: 'string' },
    createdAt: { type: 'string' },
  },
} as const;

/** A member as the admin API answers it: points, tier in force with its benefits, qualification, paid membership, history. */
export const memberSchema = {
  type: 'object',
  required: ['profileId', 'balance', 'pending', 'lifetimeEarned', 'tier', 'benefits', 'qualification', 'paidMembership', 'purchases', 'history'],
  properties: {
    profileId: { type: 'string' },
    balance: { type: 'integer' },
    pending: { type: 'integer' },
    lifetimeEarned: { type: 'integer' },
    tier: tierRef,
    benefits: benefitsSchema,
    qualification: {
      type: 'object',
      required: ['basis', 'value', 'since', 'tier', 'graceUntil', 'next'],
      properties: {
        basis: { type: 'string' },
        value: { type: 'integer', description: 'points earned, or net spend in fen, in the window now' },
        since: isoOrNull,
        tier: tierRef,
        graceUntil: isoOrNull,
        next: {
          type: ['object', 'null'],
          required: ['key', 'name', 'threshold', 'remaining'],
          properties: { key: { type: 'string' }, name: { type: 'string' }, threshold: { type: 'integer' }, remaining: { type: 'integer' } },
        },
      },
    },
    paidMembership: { type: ['object', 'null'], required: ['tier', 'until'], properties: { tier: { type: 'string' }, until: { type: 'string' } } },
    purchases: { type: 'array', items: paidMembershipSchema, description: 'the latest 20 paid memberships bought' },
    history: { type: 'array', items: historyItem, description: 'the latest 50 tier changes, newest first' },
  },
} as const;

/** A row of the members list. */
export const memberRowSchema = {
  type: 'object',
  required: ['profileId', 'tier', 'balance', 'pending', 'lifetimeEarned', 'value', 'paidUntil', 'updatedAt'],
  properties: {
    profileId: { type: 'string' },
    tier: tierRef,
    balance: { type: 'integer' },
    pending: { type: 'integer' },
    lifetimeEarned: { type: 'integer' },
    value: { type: 'integer' },
    paidUntil: isoOrNull,
    updatedAt: { type: 'string' },
  },
} as const;

/** GET /v1/loyalty/members. */
export const membersQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...pageQueryProperties(50, 200), tier: { type: 'string', maxLength: 40, description: 'only members in this tier (`none`: without a tier)' } },
} as const;
export const membersPage = pageSchema(memberRowSchema, 'members by profile id');

/** `:profileId` (a `prf_…` id or an identifier `type:value`). */
export const memberParams = { type: 'object', required: ['profileId'], properties: { profileId: { type: 'string', minLength: 1, maxLength: 300 } } } as const;

/** POST /v1/loyalty/paid-memberships. */
export const paidBody = {
  type: 'object',
  required: ['profile', 'tier', 'periodDays', 'orderId', 'amountFen', 'idempotencyKey'],
  additionalProperties: false,
  properties: {
    profile: { type: 'string', minLength: 1, maxLength: 300, description: '`prf_…` or an identifier `type:value`' },
    tier: tierKey,
    periodDays: { type: 'integer', minimum: 1, maximum: 3660 },
    orderId: { type: 'string', minLength: 1, maxLength: 200, description: 'the order that paid for it (one order buys one period)' },
    amountFen: { type: 'integer', minimum: 0, maximum: 1e10 },
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

/** The answer of a purchase: the membership bought and the member's tier and paid end now. */
export const paidAnswer = {
  type: 'object',
  properties: {
    membership: paidMembershipSchema,
    member: { type: 'object', properties: { tier: { type: ['string', 'null'] }, paidUntil: isoOrNull } },
  },
} as const;
