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
  required: [
    'workspaceId',
    'seed',
    'customers',
    'profiles',
    'orders',
    'refundedOrders',
    'segments',
    'templates',
    'journeys',
    'broadcasts',
    'wecom',
    'sends',
    'loyalty',
    'notes',
    'seconds',
  ],
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
    wecom: {
      type: ['object', 'null'],
      description: "the brand's WeCom in the sandbox (null when the server runs without the demo's stand-ins)",
      additionalProperties: false,
      required: ['corpId', 'apiBaseUrl', 'staff', 'contacts', 'relations', 'groups', 'groupMembers', 'liveCodes', 'scans'],
      properties: {
        corpId: { type: 'string' },
        apiBaseUrl: { type: 'string', description: 'the sandbox the workspace is connected to' },
        staff: { type: 'integer' },
        contacts: { type: 'integer', description: 'external contacts synced' },
        relations: { type: 'integer', description: '(contact, staff) relations synced' },
        groups: { type: 'integer' },
        groupMembers: { type: 'integer' },
        liveCodes: { type: 'integer' },
        scans: { type: 'integer', description: 'customers who scanned a live code while the demo loaded (WeCom callbacks)' },
      },
    },
    loyalty: {
      type: 'object',
      description:
        'the membership: opening balances of the best customers, members their opening balance upgraded, the order earning rule and a coupon template',
      required: ['members', 'points', 'upgraded', 'ruleId', 'couponTemplateId'],
      properties: {
        members: { type: 'integer' },
        points: { type: 'integer' },
        upgraded: { type: 'integer' },
        ruleId: { type: 'string' },
        couponTemplateId: { type: 'string' },
      },
    },
    sends: {
      type: 'array',
      description: 'broadcasts sent while the demo loaded, with their results',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'name', 'channel', 'segmentId', 'messages', 'sent', 'delivered', 'failed', 'suppressed', 'held', 'opened', 'clicked'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          channel: { type: 'string' },
          segmentId: { type: 'string' },
          messages: { type: 'integer' },
          sent: { type: 'integer' },
          delivered: { type: 'integer' },
          failed: { type: 'integer' },
          suppressed: { type: 'integer' },
          held: { type: 'integer', description: 'waiting for the end of quiet hours' },
          opened: { type: 'integer' },
          clicked: { type: 'integer' },
        },
      },
    },
    notes: { type: 'array', items: { type: 'string' }, description: 'what was left out and why' },
    seconds: { type: 'number' },
  },
} as const;
