/** Schemas of the earning rules (validated by Fastify at the admin API, shown in the OpenAPI document) and of the rules API. */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

const MAX = 1_000_000_000;
const points = { type: 'integer', minimum: 1, maximum: MAX } as const;
const isoTime = { type: 'string', minLength: 20, maxLength: 40, description: 'ISO-8601 with an offset or Z' } as const;
const names = { type: 'array', maxItems: 1000, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 200 } } as const;

/** Limits of what one rule gives one member, in points per period of the workspace's time zone (a week starts on Monday). */
export const limitsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { day: points, week: points, month: points, lifetime: points },
} as const;

/** `Order Completed`: points per yuan of the amount paid, less excluded products. */
export const orderRuleSchema = {
  type: 'object',
  required: ['pointsPerYuan'],
  additionalProperties: false,
  properties: {
    pointsPerYuan: { type: 'number', exclusiveMinimum: 0, maximum: 10000, description: 'points per ¥1 (100 fen) of the eligible amount' },
    rounding: {
      type: 'string',
      enum: ['floor', 'round', 'ceil'],
      default: 'floor',
      description: 'how fractional points are rounded (default floor: ¥19.99 at 1 point/yuan gives 19)',
    },
    excludeSkus: { ...names, description: 'product_id or sku values whose lines earn nothing' },
    excludeCategories: { ...names, description: 'product categories whose lines earn nothing' },
    pendingDays: {
      type: 'integer',
      minimum: 0,
      maximum: 365,
      default: 7,
      description: 'the return window: points are pending this many days after the order, then released unless refunded (0: at once)',
    },
    tierMultiplier: { type: 'boolean', default: true, description: "multiply by the member's tier multiplier (1 without tiers)" },
    campaigns: {
      type: 'array',
      maxItems: 100,
      description: 'multipliers for orders placed within a date range (e.g. member day double points); overlapping campaigns multiply',
      items: {
        type: 'object',
        required: ['name', 'from', 'to', 'multiplier'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 100 },
          from: isoTime,
          to: isoTime,
          multiplier: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
        },
      },
    },
    limits: limitsSchema,
  },
} as const;

/** An interaction: an event name (survey answered, review, profile completed, group activity) gives fixed points. */
export const eventRuleSchema = {
  type: 'object',
  required: ['event', 'points'],
  additionalProperties: false,
  properties: {
    event: { type: 'string', minLength: 1, maxLength: 200, description: 'the tracked event name, e.g. "Survey Answered"' },
    points,
    where: {
      type: 'object',
      maxProperties: 20,
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      description: 'properties the event must have, by equality',
    },
    limits: limitsSchema,
  },
} as const;

/** Daily check-in: points per check-in, bonuses on streak days (e.g. day 7 and day 30). */
export const checkinRuleSchema = {
  type: 'object',
  required: ['points'],
  additionalProperties: false,
  properties: {
    points,
    streakBonuses: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        required: ['day', 'points'],
        additionalProperties: false,
        properties: { day: { type: 'integer', minimum: 2, maximum: 3660 }, points },
      },
    },
    limits: limitsSchema,
  },
} as const;

/** Birthday: points once a year on the member's birthday (a date trait), in the workspace's time zone. */
export const birthdayRuleSchema = {
  type: 'object',
  required: ['points'],
  additionalProperties: false,
  properties: { points, trait: { type: 'string', minLength: 1, maxLength: 100, default: 'birthday' }, limits: limitsSchema },
} as const;

const KINDS = { order: orderRuleSchema, event: eventRuleSchema, checkin: checkinRuleSchema, birthday: birthdayRuleSchema } as const;

/** Body of POST /v1/loyalty/rules (a new rule) and POST /v1/loyalty/rules/:id/versions (its next version). */
export const ruleBody = {
  type: 'object',
  required: ['name', 'kind', 'definition'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    kind: { type: 'string', enum: Object.keys(KINDS) as (keyof typeof KINDS)[] },
    definition: { type: 'object' },
  },
  allOf: Object.entries(KINDS).map(([kind, schema]) => ({ if: { properties: { kind: { const: kind } } }, then: { properties: { definition: schema } } })),
} as const;

/** A rule version as the API answers it. */
export const ruleSchema = {
  type: 'object',
  required: ['id', 'version', 'kind', 'name', 'status', 'definition', 'createdAt', 'deactivatedAt'],
  properties: {
    id: { type: 'string' },
    version: { type: 'integer' },
    kind: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string', enum: ['active', 'inactive'] },
    definition: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string' },
    deactivatedAt: { type: ['string', 'null'] },
  },
} as const;

/** A rule with its versions (newest first). */
export const ruleWithVersionsSchema = {
  type: 'object',
  required: ['rule', 'versions'],
  properties: { rule: ruleSchema, versions: { type: 'array', items: ruleSchema } },
} as const;

/** Paging of the rules list. */
export const rulesQuery = { type: 'object', additionalProperties: false, properties: pageQueryProperties(50, 200) } as const;

/** A page of rules (each at its latest version). */
export const rulesPage = pageSchema(ruleSchema, 'rules at their latest version, by id');

/** `:id` of a rule route. */
export const ruleParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;

/** The workspace's points settings (GET and PUT /v1/loyalty/settings). */
export const settingsSchema = {
  type: 'object',
  required: ['expiry', 'noticeDays'],
  additionalProperties: false,
  properties: {
    expiry: {
      type: 'object',
      required: ['kind'],
      additionalProperties: false,
      properties: {
        kind: { type: 'string', enum: ['none', 'end_of_year', 'days'] },
        years: { type: 'integer', minimum: 0, maximum: 100, description: 'end_of_year: 0 = the end of the year earned, 1 = of the next year, …' },
        days: { type: 'integer', minimum: 1, maximum: 36600, description: 'days: points expire this many days after earning' },
      },
      allOf: [
        { if: { properties: { kind: { const: 'end_of_year' } } }, then: { required: ['years'] } },
        { if: { properties: { kind: { const: 'days' } } }, then: { required: ['days'] } },
      ],
    },
    noticeDays: { type: 'integer', minimum: 1, maximum: 365, description: 'days ahead the "Points Expiring" event is recorded' },
  },
} as const;

/** Body of POST /v1/loyalty/checkins. */
export const checkinBody = {
  type: 'object',
  required: ['profile'],
  additionalProperties: false,
  properties: { profile: { type: 'string', minLength: 1, maxLength: 1024, description: 'profile id (prf_…) or identifier (type:value)' } },
} as const;

/** The answer of a check-in. */
export const checkinSchema = {
  type: 'object',
  required: ['profileId', 'day', 'streak', 'points', 'balance', 'alreadyCheckedIn'],
  properties: {
    profileId: { type: 'string' },
    day: { type: 'string', description: "local date in the workspace's time zone" },
    streak: { type: 'integer', description: 'consecutive days checked in, today included' },
    points: { type: 'integer', description: 'points given for this check-in (bonus included; 0 past a limit)' },
    balance: { type: 'integer' },
    alreadyCheckedIn: { type: 'boolean', description: 'true when this answers an earlier check-in of the same day' },
  },
} as const;
