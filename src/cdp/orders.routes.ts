import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import { requireKey } from '../platform/http.js';
import { errorResponses, secured } from '../platform/http-schemas.js';
import type { CdpDeps } from './deps.js';
import { CdpError } from './errors.js';
import type { HeldLine } from './orders.fold.js';
import { orderSchema } from './orders.schemas.js';
import { cdpDb, type CdpDB } from './schema.js';

/** Reads one order and its changes; throws ORDER_NOT_FOUND. */
async function getOrder(db: Kysely<CdpDB>, ws: string, orderId: string) {
  const o = await db.selectFrom('orders').selectAll().where('workspace_id', '=', ws).where('order_id', '=', orderId).executeTakeFirst();
  if (!o) throw new CdpError('ORDER_NOT_FOUND', `order ${JSON.stringify(orderId)} does not exist in this workspace`);
  const changes = await db
    .selectFrom('order_changes')
    .select(['change_key', 'kind', 'message_id', 'at', 'outcome', 'note'])
    .where('workspace_id', '=', ws)
    .where('order_id', '=', orderId)
    .orderBy('at')
    .orderBy('change_key')
    .execute();
  const [total, refunded] = [Number(o.total_fen), Number(o.refunded_fen)];
  const placed = o.placed === null ? null : parseJson<{ lines?: { key: string; quantity: number; priceFen: number }[] | null }>(o.placed);
  return {
    orderId: o.order_id,
    profileId: o.profile_id,
    status: o.status,
    currency: o.currency,
    totalFen: total,
    refundedFen: refunded,
    netFen: o.status === 'cancelled' || o.status === 'pending' ? 0 : total - refunded,
    orderedAt: new Date(Number(o.ordered_at)).toISOString(),
    // Lines are written when a change applies; until then they are the placed ones, nothing refunded.
    lines: o.lines !== null ? parseJson<HeldLine[]>(o.lines) : (placed?.lines?.map((l) => ({ ...l, refunded: 0 })) ?? null),
    changes: changes.map((c) => ({
      key: c.change_key,
      kind: c.kind,
      messageId: c.message_id,
      at: new Date(Number(c.at)).toISOString(),
      outcome: c.outcome,
      note: c.note,
    })),
  };
}

/** The orders API (secret key): an order's state, amounts, lines and the changes applied to it. */
export async function orderRoutes(app: FastifyInstance, cdp: CdpDeps): Promise<void> {
  app.get<{ Params: { orderId: string } }>(
    '/v1/orders/:orderId',
    {
      preHandler: requireKey(cdp.keys, 'secret'),
      schema: {
        ...secured('orders', 'An order: status, amounts, lines, and each refund, cancellation or update with what it did (capped, held...)'),
        params: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string', minLength: 1, maxLength: 512 } } },
        response: { 200: orderSchema, ...errorResponses },
      },
    },
    async (req) => getOrder(cdpDb(cdp.database.db), req.workspaceId, req.params.orderId),
  );
}
