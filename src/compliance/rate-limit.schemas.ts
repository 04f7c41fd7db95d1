/** Request and answer schemas of `/v1/rate-limits` (shared with the console's types: no server imports here). */

/** The highest limit a workspace may set (requests a minute): about a hundred times what the defaults allow. */
export const MAX_LIMIT = 10_000_000;

const count = { type: 'integer', minimum: 1, maximum: MAX_LIMIT } as const;
const keyed = { type: 'object', additionalProperties: false, required: ['perKey', 'perIp'], properties: { perKey: count, perIp: count } } as const;
const ipOnly = { type: 'object', additionalProperties: false, required: ['perIp'], properties: { perIp: count } } as const;
const keyedPatch = { type: 'object', additionalProperties: false, properties: { perKey: count, perIp: count } } as const;
const ipOnlyPatch = { type: 'object', additionalProperties: false, properties: { perIp: count } } as const;

/** Every class's limits, requests a minute per key and per client address. */
export const rateLimitsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['tracking', 'member', 'wecomCallback', 'surveyPages', 'links'],
  properties: { tracking: keyed, member: keyed, wecomCallback: keyed, surveyPages: ipOnly, links: ipOnly },
} as const;

/** Body of `PUT /v1/rate-limits`: a class or number left out is the default. */
export const rateLimitsBody = {
  type: 'object',
  additionalProperties: false,
  properties: { tracking: keyedPatch, member: keyedPatch, wecomCallback: keyedPatch, surveyPages: ipOnlyPatch, links: ipOnlyPatch },
} as const;

/** What `GET` and `PUT /v1/rate-limits` answer. */
export const rateLimitsAnswer = {
  type: 'object',
  additionalProperties: false,
  required: ['limits', 'defaults', 'windowSeconds'],
  properties: { limits: rateLimitsSchema, defaults: rateLimitsSchema, windowSeconds: { type: 'integer' } },
} as const;
