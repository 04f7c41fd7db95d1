/** Reads of stored orders for other modules (loyalty's coupon statistics and its refund claw backs). */
import type { Kysely } from 'kysely';
import { chunks } from './profiles.repo.js';
import type { OrderStatus } from './orders.types.js';
import { type CdpDB, cdpDb } from './schema.js';

/** An order's amounts as the CDP holds them after its changes. */
export interface OrderAmounts {
  status: OrderStatus;
  /** The order's amount after updates, before refunds (fen). */
  totalFen: number;
  refundedFen: number;
  /** What the order brought in: total less refunds for a placed order, 0 for a cancelled or not yet placed one. */
  netFen: number;
}

/** The amounts of the workspace's orders among `orderIds` (orders the CDP has not seen are absent from the map). */
export async function orderAmounts<D extends CdpDB>(handle: Kysely<D>, workspaceId: string, orderIds: readonly string[]): Promise<Map<string, OrderAmounts>> {
  const db = cdpDb(handle);
  const out = new Map<string, OrderAmounts>();
  const ids = [...new Set(orderIds)];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('orders')
      .select(['order_id', 'status', 'total_fen', 'refunded_fen'])
      .where('workspace_id', '=', workspaceId)
      .where('order_id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of rows) {
      const total = Number(r.total_fen);
      const refunded = Number(r.refunded_fen);
      const placed = r.status === 'completed' || r.status === 'partially_refunded' || r.status === 'refunded';
      out.set(r.order_id, { status: r.status, totalFen: total, refundedFen: refunded, netFen: placed ? Math.max(0, total - refunded) : 0 });
    }
  }
  return out;
}

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

/**
 * Net spend per profile (loyalty's spend-based tiers): the sum over each profile's placed orders
 * (completed, partially or fully refunded) ordered at or after `since` of total less refunds, in
 * fen. Cancelled orders count nothing; profiles without orders are absent.
 */
export async function netSpendByProfile<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  profileIds: readonly string[],
  since: number,
): Promise<Map<string, number>> {
  const db = cdpDb(handle);
  const out = new Map<string, number>();
  for (const part of chunks([...new Set(profileIds)], 500)) {
    const rows = await db
      .selectFrom('orders')
      .select(['profile_id', 'total_fen', 'refunded_fen'])
      .where('workspace_id', '=', workspaceId)
      .where('profile_id', 'in', part)
      .where('ordered_at', '>=', since)
      .where('status', 'in', ['completed', 'partially_refunded', 'refunded'])
      .execute();
    for (const r of rows) out.set(r.profile_id, (out.get(r.profile_id) ?? 0) + Math.max(0, Number(r.total_fen) - Number(r.refunded_fen)));
  }
  return out;
}
