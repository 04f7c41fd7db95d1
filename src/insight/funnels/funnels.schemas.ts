/** Request and response schemas of the funnel API. */
import { formatProperty, scopeProperties, scopeSchema, tableProperties } from '../metrics/metrics.schemas.js';

/** One step: an event name, optionally with property values it must carry. */
const step = {
  type: 'object',
  required: ['event'],
  additionalProperties: false,
  properties: {
    event: { type: 'string', minLength: 1, maxLength: 200, description: 'the event name as tracked (e.g. "Order Completed", "WeCom Contact Added")' },
    properties: {
      type: 'object',
      maxProperties: 5,
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      description: 'properties the event must carry with exactly these values',
    },
  },
} as const;

/** What a funnel is broken down by. */
const breakdown = {
  oneOf: [
    {
      type: 'object',
      required: ['kind', 'trait'],
      additionalProperties: false,
      properties: { kind: { const: 'trait' }, trait: { type: 'string', minLength: 1, maxLength: 100 } },
    },
    { type: 'object', required: ['kind'], additionalProperties: false, properties: { kind: { const: 'channel' } } },
    {
      type: 'object',
      required: ['kind', 'segments'],
      additionalProperties: false,
      properties: {
        kind: { const: 'segment' },
        segments: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'string', minLength: 1, maxLength: 100 } },
      },
    },
  ],
} as const;

/** A funnel query. */
export const funnelBody = {
  type: 'object',
  required: ['steps'],
  additionalProperties: false,
  properties: {
    ...scopeProperties,
    steps: { type: 'array', minItems: 2, maxItems: 8, items: step },
    windowDays: { type: 'integer', minimum: 1, maximum: 365, default: 7, description: 'every later step within this many days of the first' },
    breakdown,
  },
} as const;

/** `format=csv` on the funnel route. */
export const funnelQuery = { type: 'object', additionalProperties: false, properties: formatProperty } as const;

/** A funnel's answer: one row per (breakdown group, step); group `*` is everyone. */
export const funnelSchema = {
  type: 'object',
  required: ['scope', 'columns', 'rows'],
  properties: { scope: scopeSchema, windowDays: { type: 'integer' }, ...tableProperties },
} as const;
