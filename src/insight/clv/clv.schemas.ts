/** Request and response schemas of the CLV API (validated by Fastify, shown in the OpenAPI document, typed in the console). */
import { pageQueryProperties, pageSchema } from '../../platform/http-schemas.js';

/** Body of POST /v1/insight/clv/fit: what the predictions cover (each optional, defaults shown). */
export const fitBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    purchaseDays: {
      type: 'integer',
      minimum: 1,
      maximum: 730,
      default: 90,
      description: 'days ahead of the expected purchase count (trait clv_expected_purchases_<days>d)',
    },
    horizonMonths: { type: 'integer', minimum: 1, maximum: 120, default: 12, description: 'months of the CLV horizon (30-day months)' },
    monthlyDiscount: { type: 'number', minimum: 0, maximum: 1, default: 0.01, description: 'discount rate per month (0.01 ≈ 12.7% a year)' },
  },
} as const;

const options = {
  type: 'object',
  required: ['purchaseDays', 'horizonMonths', 'monthlyDiscount'],
  properties: { purchaseDays: { type: 'integer' }, horizonMonths: { type: 'integer' }, monthlyDiscount: { type: 'number' } },
} as const;

/** A fitted model: when, on what, and its parameters. */
export const modelSchema = {
  type: 'object',
  required: ['id', 'fittedAt', 'calibrationEnd', 'currency', 'customers', 'repeatCustomers', 'orders', 'bgNbd', 'gammaGamma', 'options', 'durationMs'],
  properties: {
    id: { type: 'string' },
    fittedAt: { type: 'string', format: 'date-time' },
    calibrationEnd: { type: 'string', description: 'last local day of the order history fitted (YYYY-MM-DD, workspace time zone)' },
    currency: { type: 'string', description: 'only orders in the workspace currency are fitted' },
    customers: { type: 'integer', description: 'profiles with at least one purchase' },
    repeatCustomers: { type: 'integer', description: 'profiles with purchases on two or more days' },
    orders: { type: 'integer', description: 'purchase days (orders of one profile on one local day count once)' },
    bgNbd: {
      type: 'object',
      required: ['r', 'alpha', 'a', 'b', 'logLikelihood'],
      description: 'BG/NBD: purchase rate ~ Gamma(r, alpha) per week; dropout after a purchase ~ Beta(a, b)',
      properties: { r: { type: 'number' }, alpha: { type: 'number' }, a: { type: 'number' }, b: { type: 'number' }, logLikelihood: { type: 'number' } },
    },
    gammaGamma: {
      type: 'object',
      required: ['p', 'q', 'gamma', 'logLikelihood'],
      description: 'Gamma-Gamma: order value ~ Gamma(p, nu), nu ~ Gamma(q, gamma), in fen',
      properties: { p: { type: 'number' }, q: { type: 'number' }, gamma: { type: 'number' }, logLikelihood: { type: 'number' } },
    },
    options,
    durationMs: { type: 'integer', description: 'time the fit and predictions took' },
  },
} as const;

/** Answer of POST /v1/insight/clv/fit. */
export const fitSchema = {
  type: 'object',
  required: ['model', 'traitsWritten'],
  properties: { model: modelSchema, traitsWritten: { type: 'integer', description: 'profiles whose CLV traits were written' } },
} as const;

/** One bar of the CLV distribution. */
const bucketSchema = {
  type: 'object',
  required: ['fromFen', 'toFen', 'profiles', 'clvFen'],
  properties: {
    fromFen: { type: 'integer' },
    toFen: { type: ['integer', 'null'], description: 'exclusive; null for the last, open-ended bar' },
    profiles: { type: 'integer' },
    clvFen: { type: 'integer', description: 'the CLV of those profiles, added up' },
  },
} as const;

/** Answer of GET /v1/insight/clv. */
export const overviewSchema = {
  type: 'object',
  required: ['model', 'distribution', 'totals'],
  properties: {
    model: modelSchema,
    distribution: {
      type: 'object',
      required: ['bars'],
      description: 'a report, not a list: every bar, empty ones included',
      properties: { bars: { type: 'array', items: bucketSchema } },
    },
    totals: {
      type: 'object',
      required: ['profiles', 'clvFen', 'atRiskProfiles', 'atRiskClvFen'],
      properties: {
        profiles: { type: 'integer' },
        clvFen: { type: 'integer' },
        atRiskProfiles: { type: 'integer', description: 'profiles with P(alive) < 0.3' },
        atRiskClvFen: { type: 'integer' },
      },
    },
  },
} as const;

/** A profile's predictions. */
export const predictionSchema = {
  type: 'object',
  required: ['profileId', 'pAlive', 'expectedPurchases', 'expectedOrderFen', 'clvFen', 'frequency', 'recencyWeeks', 'ageWeeks', 'totalFen', 'lastPurchaseDate'],
  properties: {
    profileId: { type: 'string' },
    pAlive: { type: 'number', description: 'probability the customer is still active (BG/NBD)' },
    expectedPurchases: { type: 'number', description: "expected purchases in the model's purchaseDays" },
    expectedOrderFen: { type: 'number', description: 'expected value of a future order (Gamma-Gamma)' },
    clvFen: { type: 'integer', description: "discounted value over the model's horizon" },
    frequency: { type: 'integer', description: 'repeat purchase days in the history' },
    recencyWeeks: { type: 'number', description: 'weeks from the first to the last purchase' },
    ageWeeks: { type: 'number', description: 'weeks from the first purchase to the end of the history' },
    totalFen: { type: 'integer', description: 'spent in the history, net of refunds' },
    lastPurchaseDate: { type: 'string', description: 'YYYY-MM-DD, workspace time zone' },
  },
} as const;

/** Query of the at-risk list. */
export const atRiskQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxPAlive: { type: 'number', minimum: 0, maximum: 1, default: 0.3, description: 'only profiles with P(alive) below this' },
    minClvFen: { type: 'integer', minimum: 0, default: 0, description: 'only profiles with at least this CLV' },
    ...pageQueryProperties(50, 500),
  },
} as const;

/** Answer of the at-risk list: highest CLV first. */
export const atRiskSchema = pageSchema(predictionSchema, 'highest predicted value first');

/** Path of the profile route. */
export const profileParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 1024, description: 'profile id (prf_…) or identifier (type:value)' } },
} as const;

/** Answer of GET /v1/profiles/:id/clv: null parts when the workspace has no model or the profile no purchase in it. */
export const profileClvSchema = {
  type: 'object',
  required: ['profileId', 'model', 'prediction', 'options'],
  properties: {
    profileId: { type: 'string' },
    model: {
      type: ['object', 'null'],
      required: ['id', 'fittedAt'],
      properties: { id: { type: 'string' }, fittedAt: { type: 'string', format: 'date-time' } },
    },
    options: { anyOf: [options, { type: 'null' }] },
    prediction: { anyOf: [predictionSchema, { type: 'null' }] },
  },
} as const;
