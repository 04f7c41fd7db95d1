import type { Kysely } from 'kysely';
import { chunks } from './profiles.repo.js';
import type { OrderStatus } from './orders.types.js';
import { type CdpDB, cdpDb } from './schema.js';

/** An order's standing for other modules (loyalty's refund claw backs): its profile, status and amounts after the changes applied. */
export interface OrderStanding {
  orderId: string;
  profileId: string;
  status: OrderStatus;
  totalFen: number;
  refundedFen: number;
}

/** The standing of each stored order among `orderIds` (absent: no such order). */
export async function orderStandings<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  orderIds: readonly string[],
): Promise<Map<string, OrderStanding>> {
  const db = cdpDb(handle);
  const out = new Map<string, OrderStanding>();
  for (const part of chunks([...new Set(orderIds)], 500)) {
    const rows = await db
      .selectFrom('orders')
      .select(['order_id', 'profile_id', 'status', 'total_fen', 'refunded_fen'])
      .where('workspace_id', '=', workspaceId)
      .where('order_id', 'in', part)
      .execute();
    for (const r of rows) {
      out.set(r.order_id, {
        orderId: r.order_id,
        profileId: r.profile_id,
        status: r.status,
        totalFen: Number(r.total_fen),
        refundedFen: Number(r.refunded_fen),
      });
    }
  }
  return out;
}
