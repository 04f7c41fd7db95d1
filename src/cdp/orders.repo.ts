import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type Dialect, parseJson } from '../platform/db/database.js';
import { type LoadedOrder, type NewOrderRow, OrderBook, type OrderPlan } from './orders.book.js';
import type { KeptChange } from './orders.fold.js';
import { COUNTED_STATUSES, type OrderChange, type PlacedOrder, SPENT_STATUSES } from './orders.types.js';
import { chunks } from './profiles.repo.js';
import type { CdpDB } from './schema.js';
import type { TrackedEvent } from './tracking.js';

/**
 * Loads what the batch's order events need: the rows of their order ids (locked on PostgreSQL, so
 * two writers changing one order serialise; a new order id is instead serialised by the primary
 * key, a pending row included) and the stored changes of the rows that will be refolded.
 */
export async function loadOrderBook(trx: Kysely<CdpDB>, dialect: Dialect, ws: string, events: TrackedEvent[]): Promise<OrderBook> {
  const changedIds = new Set<string>();
  const ids = new Set<string>();
  for (const e of events) {
    if (e.order) ids.add(e.order.orderId);
    if (e.orderChange) {
      ids.add(e.orderChange.orderId);
      changedIds.add(e.orderChange.orderId);
    }
  }
  const rows = new Map<string, LoadedOrder>();
  for (const part of chunks([...ids].sort(), 5000)) {
    const q = trx
      .selectFrom('orders')
      .select(['order_id', 'profile_id', 'message_id', 'status', 'total_fen', 'currency', 'ordered_at', 'placed'])
      .where('workspace_id', '=', ws)
      .where('order_id', 'in', part)
      .orderBy('order_id');
    for (const r of await dialect.forUpdate(q).execute()) {
      rows.set(r.order_id, {
        orderId: r.order_id,
        profileId: r.profile_id,
        messageId: r.message_id,
        status: r.status,
        totalFen: Number(r.total_fen),
        currency: r.currency,
        orderedAt: Number(r.ordered_at),
        placed: r.placed === null ? null : parseJson<PlacedOrder>(r.placed),
      });
    }
  }
  const refold = [...rows.values()].filter((r) => changedIds.has(r.orderId) || r.status === 'pending').map((r) => r.orderId);
  const stored = new Map<string, KeptChange[]>();
  for (const part of chunks(refold, 5000)) {
    const q = trx
      .selectFrom('order_changes')
      .select(['order_id', 'change_key', 'message_id', 'at', 'body'])
      .where('workspace_id', '=', ws)
      .where('order_id', 'in', part);
    for (const r of await q.execute()) {
      let list = stored.get(r.order_id);
      if (!list) stored.set(r.order_id, (list = []));
      list.push({ key: r.change_key, at: Number(r.at), messageId: r.message_id, change: parseJson<OrderChange>(r.body) });
    }
  }
  return new OrderBook(rows, stored, changedIds);
}

const orderRow = (ws: string, o: NewOrderRow, profileId: string) => ({
  workspace_id: ws,
  order_id: o.orderId,
  profile_id: profileId,
  message_id: o.messageId,
  total_fen: o.folded?.totalFen ?? o.placed.totalFen,
  currency: o.folded?.currency ?? o.placed.currency,
  ordered_at: o.orderedAt,
  status: o.folded?.status ?? 'completed',
  refunded_fen: o.folded?.refundedFen ?? 0,
  lines: o.folded?.lines ?? null,
  placed: o.folded?.status === 'pending' ? null : JSON.stringify(o.placed),
});

/**
 * Writes a batch's orders: new rows (a concurrent writer inserting the same order id raises a
 * unique violation and the batch is retried), refolded rows, the changes with their outcomes;
 * then recomputes the order aggregates of the profiles whose orders changed. `live` maps a
 * profile id to its survivor after this batch's merges.
 */
export async function writeOrderPlan(
  trx: Kysely<CdpDB>,
  dialect: Dialect,
  ws: string,
  plan: OrderPlan,
  live: (profileId: string) => string,
  ctx: { currency: string; now: number },
): Promise<void> {
  await dialect.insertMany(
    trx,
    'orders',
    plan.inserts.map((o) => orderRow(ws, o, live(o.profileId))),
  );
  // The refolded rows are locked (loaded FOR UPDATE): the upsert updates them in one statement.
  await dialect.insertMany(
    trx,
    'orders',
    plan.updates.map((o) => orderRow(ws, o, live(o.profileId))),
    {
      columns: ['workspace_id', 'order_id'],
      update: ['profile_id', 'message_id', 'total_fen', 'currency', 'ordered_at', 'status', 'refunded_fen', 'lines', 'placed'],
    },
  );
  const changeRows = plan.changes.map((c) => ({
    workspace_id: ws,
    order_id: c.change.orderId,
    change_key: c.key,
    message_id: c.messageId,
    kind: c.change.kind,
    at: c.at,
    body: JSON.stringify(c.change),
    outcome: c.outcome,
    note: c.note,
  }));
  await dialect.insertMany(trx, 'order_changes', changeRows, {
    columns: ['workspace_id', 'order_id', 'change_key'],
    update: ['message_id', 'at', 'body', 'outcome', 'note'],
  });
  await recomputeOrderAggregates(trx, dialect, ws, [...new Set([...plan.recompute].map(live))], ctx);
}

/** A sum that stops at 2^53 − 1 fen, as the in-memory aggregates do (docs/tracking-api.md, "Orders"). */
const saturated = (x: RawBuilder<unknown>) => {
  const max = sql.lit(Number.MAX_SAFE_INTEGER);
  return sql`case when coalesce(sum(${x}), 0) > ${max} then ${max} else coalesce(sum(${x}), 0) end`;
};

const statusIn = (statuses: readonly string[]) => sql.join(statuses.map((s) => sql.lit(s)));

/**
 * Sets profiles' order aggregates from their orders in the workspace currency: net order count and
 * first/last purchase over orders neither cancelled nor fully refunded, gross and refunded over
 * orders not cancelled, total spent = gross − refunded. Locks the profiles first (PostgreSQL):
 * an order's owner need not be among the profiles the batch loaded.
 */
export async function recomputeOrderAggregates(
  trx: Kysely<CdpDB>,
  dialect: Dialect,
  ws: string,
  profileIds: string[],
  ctx: { currency: string; now: number },
): Promise<void> {
  for (const part of chunks(profileIds.sort(), 1000)) {
    await dialect.forUpdate(trx.selectFrom('profiles').select('id').where('workspace_id', '=', ws).where('id', 'in', part).orderBy('id')).execute();
    const orders = (what: RawBuilder<unknown>, statuses: readonly string[]) =>
      sql<number>`(select ${what} from orders o where o.workspace_id = profiles.workspace_id and o.profile_id = profiles.id
        and o.currency = ${ctx.currency} and o.status in (${statusIn(statuses)}))`;
    await trx
      .updateTable('profiles')
      .set({
        order_count: orders(sql`count(*)`, COUNTED_STATUSES),
        gross_spent_fen: orders(saturated(sql`o.total_fen`), SPENT_STATUSES),
        refunded_fen: orders(saturated(sql`o.refunded_fen`), SPENT_STATUSES),
        total_spent_fen: orders(saturated(sql`o.total_fen - o.refunded_fen`), SPENT_STATUSES),
        first_purchase_at: orders(sql`min(o.ordered_at)`, COUNTED_STATUSES),
        last_purchase_at: orders(sql`max(o.ordered_at)`, COUNTED_STATUSES),
        updated_at: ctx.now,
      })
      .where('workspace_id', '=', ws)
      .where('id', 'in', part)
      .execute();
  }
}
