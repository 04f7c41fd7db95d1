// The orders API's response schema (shared with the console's types, as the profiles' are).

const iso = { type: 'string', description: 'ISO-8601 time' } as const;

/** An order as `GET /v1/orders/:orderId` answers it. */
export const orderSchema = {
  type: 'object',
  required: ['orderId', 'profileId', 'status', 'currency', 'totalFen', 'refundedFen', 'netFen', 'orderedAt', 'lines', 'changes'],
  properties: {
    orderId: { type: 'string' },
    profileId: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'completed', 'partially_refunded', 'refunded', 'cancelled'] },
    currency: { type: 'string' },
    totalFen: { type: 'integer', description: 'after updates, before refunds' },
    refundedFen: { type: 'integer' },
    netFen: { type: 'integer', description: 'totalFen − refundedFen; 0 for a cancelled or pending order' },
    orderedAt: iso,
    lines: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        required: ['key', 'quantity', 'priceFen', 'refunded'],
        properties: { key: { type: 'string' }, quantity: { type: 'integer' }, priceFen: { type: 'integer' }, refunded: { type: 'integer' } },
      },
    },
    changes: {
      type: 'array',
      description: 'Refunds, cancellations and updates in the order they apply, with what each did',
      items: {
        type: 'object',
        required: ['key', 'kind', 'messageId', 'at', 'outcome', 'note'],
        properties: {
          key: { type: 'string' },
          kind: { type: 'string', enum: ['refund', 'cancel', 'update'] },
          messageId: { type: 'string' },
          at: iso,
          outcome: { type: 'string', enum: ['applied', 'capped', 'ignored', 'held'] },
          note: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;
