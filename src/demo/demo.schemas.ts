/** JSON schemas of the demo route (`as const`: the console derives its types from them). */

/** POST /v1/demo body: the scale and seed (both optional). */
export const demoBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    customers: { type: 'integer', minimum: 1, maximum: 200000, description: 'customers to generate (default 20,000)' },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295, description: 'the generator seed: the same seed gives the same data (default 2026)' },
  },
} as const;

/** What a load made. */
export const demoSummarySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['workspaceId', 'seed', 'customers', 'profiles', 'orders', 'refundedOrders', 'segments', 'templates', 'journeys', 'broadcasts', 'seconds'],
  properties: {
    workspaceId: { type: 'string' },
    seed: { type: 'integer' },
    customers: { type: 'integer' },
    profiles: { type: 'integer', description: 'profile rows imported' },
    orders: { type: 'integer', description: 'orders imported' },
    refundedOrders: { type: 'integer', description: 'orders imported as refunded or partially refunded' },
    segments: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'name', 'memberCount'],
        properties: { id: { type: 'string' }, name: { type: 'string' }, memberCount: { type: 'integer' } },
      },
    },
    templates: { type: 'array', items: { type: 'string' } },
    journeys: { type: 'array', items: { type: 'string' }, description: 'published journeys' },
    broadcasts: { type: 'array', items: { type: 'string' }, description: 'scheduled broadcasts' },
    seconds: { type: 'number' },
  },
} as const;
