import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

/** Request and response schemas of the data catalogue (trait keys, event names, property names), shared with the console. */

/** What is known of a key found in a sample: how often, with which JSON types, which frequent values. */
const seenProperties = {
  count: { type: 'integer', description: 'rows of the sample holding it' },
  types: {
    type: 'array',
    items: { type: 'string', enum: ['string', 'number', 'boolean', 'array', 'object', 'null'] },
    description: 'the JSON types seen, most frequent first',
  },
  examples: { type: 'array', items: { type: ['string', 'number', 'boolean'] }, description: 'up to five most frequent scalar values' },
} as const;

/** A trait key or consent category found on the sampled profiles. */
const seenKey = { type: 'object', required: ['key', 'count', 'types', 'examples'], properties: { key: { type: 'string' }, ...seenProperties } } as const;

/** A property name found on the sampled events. */
const seenProperty = {
  type: 'object',
  required: ['property', 'count', 'types', 'examples'],
  properties: { property: { type: 'string' }, ...seenProperties },
} as const;

/** GET /v1/catalog/traits (one page: the sample is the list). */
export const traitCatalogSchema = {
  type: 'object',
  required: ['data', 'consent', 'sampledProfiles', 'nextCursor'],
  properties: {
    data: { type: 'array', items: seenKey, description: 'trait keys, most common first' },
    consent: { type: 'array', items: seenKey, description: 'consent categories (context.consent.categoryPreferences keys)' },
    sampledProfiles: { type: 'integer', description: 'how many profiles were read: the most recently updated, at most 2,000' },
    nextCursor: { type: 'null', description: 'always null: the sample is one page' },
  },
} as const;

/** Query of GET /v1/catalog/events. */
export const eventCatalogQuery = { type: 'object', additionalProperties: false, properties: pageQueryProperties(500, 1000) } as const;

/** GET /v1/catalog/events. */
export const eventCatalogSchema = pageSchema(
  { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
  'names of stored track events, in code-point order',
);

/** Query of GET /v1/catalog/event-properties. */
export const eventPropertiesQuery = {
  type: 'object',
  required: ['event'],
  additionalProperties: false,
  properties: { event: { type: 'string', minLength: 1, maxLength: 200, description: 'the event name, exactly' } },
} as const;

/** GET /v1/catalog/event-properties (one page: the sample is the list). */
export const eventPropertiesSchema = {
  type: 'object',
  required: ['event', 'data', 'sampledEvents', 'nextCursor'],
  properties: {
    event: { type: 'string' },
    data: { type: 'array', items: seenProperty, description: 'top-level property names, most common first' },
    sampledEvents: { type: 'integer', description: 'how many events were read: the latest, at most 1,000' },
    nextCursor: { type: 'null', description: 'always null: the sample is one page' },
  },
} as const;
