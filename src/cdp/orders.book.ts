import { changeKey, earlier, foldOrder, type KeptChange } from './orders.fold.js';
import type { OrderStatus, PlacedOrder } from './orders.types.js';
import type { TrackedEvent } from './tracking.js';

/** An order row as the ingest path needs it. */
export interface LoadedOrder {
  orderId: string;
  profileId: string;
  messageId: string;
  status: OrderStatus;
  totalFen: number;
  currency: string;
  orderedAt: number;
  /** As placed; orders stored before 0023 have none (their total and currency are the placement). */
  placed: PlacedOrder | null;
}

/** A new orders row (profile id before merges: follow with the graph's `live` when writing). */
export interface NewOrderRow {
  orderId: string;
  profileId: string;
  messageId: string;
  orderedAt: number;
  placed: PlacedOrder;
  folded: Folded | null;
}

/** The folded columns of an order. */
export interface Folded {
  status: OrderStatus;
  totalFen: number;
  refundedFen: number;
  currency: string;
  lines: string | null;
}

/** The columns of a pending row: counts nowhere until its order arrives (XXX: ISO-4217's "no currency"). */
const PENDING: Folded = { status: 'pending', totalFen: 0, refundedFen: 0, currency: 'XXX', lines: null };

/** What a batch writes to orders and order_changes, and the profiles whose aggregates are recomputed. */
export interface OrderPlan {
  inserts: NewOrderRow[];
  /** Existing rows refolded (a pending row with the order that arrived for it), written whole. */
  updates: NewOrderRow[];
  changes: (KeptChange & { outcome: string; note: string | null })[];
  /** Profiles (ids before merges) whose order aggregates are recomputed from the orders table. */
  recompute: Set<string>;
}

/**
 * The batch's orders in memory: an `Order Completed` for an order with no change anywhere is the
 * fast path (its profile's aggregates are added to in memory); an order with changes is refolded
 * from its placement and all its changes, and its profile's aggregates recomputed after writing.
 */
export class OrderBook {
  private readonly placedHere = new Map<string, NewOrderRow>();
  private readonly batchChanges = new Map<string, Map<string, KeptChange & { profileId: string }>>();

  /**
   * @param rows the stored rows of the batch's order ids (locked)
   * @param stored the stored changes of those rows that may be refolded
   * @param changedIds order ids that a change event of the batch names
   */
  constructor(
    private readonly rows: Map<string, LoadedOrder>,
    private readonly stored: Map<string, KeptChange[]>,
    private readonly changedIds: Set<string>,
  ) {}

  /** Records an `Order Completed`; true when it is the fast path (a new order nothing changes). */
  complete(e: TrackedEvent, profileId: string): boolean {
    const order = e.order!;
    const row = this.rows.get(order.orderId);
    // Stored once per order id: a resent order under another message id is not counted twice.
    if (this.placedHere.has(order.orderId) || (row && row.status !== 'pending')) return false;
    this.placedHere.set(order.orderId, { orderId: order.orderId, profileId, messageId: e.messageId, orderedAt: e.timestamp, placed: order, folded: null });
    return !row && !this.changedIds.has(order.orderId);
  }

  /** Records a refund, cancellation or update (a repeated key keeps its earlier copy). */
  change(e: TrackedEvent, profileId: string): void {
    const c = e.orderChange!;
    let m = this.batchChanges.get(c.orderId);
    if (!m) this.batchChanges.set(c.orderId, (m = new Map()));
    const kept = { key: changeKey(c, e.messageId), at: e.timestamp, messageId: e.messageId, change: c, profileId };
    const prev = m.get(kept.key);
    m.set(kept.key, prev ? earlier(prev, kept) : kept);
  }

  /** Folds every order with changes; returns what to write. */
  plan(): OrderPlan {
    const plan: OrderPlan = { inserts: [], updates: [], changes: [], recompute: new Set() };
    for (const placed of this.placedHere.values()) if (!this.needsFold(placed.orderId)) plan.inserts.push(placed);
    const ids = new Set([...this.batchChanges.keys(), ...[...this.placedHere.keys()].filter((id) => this.needsFold(id))]);
    for (const orderId of ids) this.planOne(orderId, plan);
    return plan;
  }

  private needsFold(orderId: string): boolean {
    return this.batchChanges.has(orderId) || this.rows.get(orderId)?.status === 'pending';
  }

  private planOne(orderId: string, plan: OrderPlan): void {
    const changes = new Map<string, KeptChange>();
    for (const c of [...(this.stored.get(orderId) ?? []), ...(this.batchChanges.get(orderId)?.values() ?? [])]) {
      const prev = changes.get(c.key);
      changes.set(c.key, prev ? earlier(prev, c) : c);
    }
    const row = this.rows.get(orderId);
    const here = this.placedHere.get(orderId) ?? null;
    if (!here && (!row || row.status === 'pending')) {
      // No order yet: the changes are held, under a pending row that a concurrent Order Completed collides with.
      for (const c of changes.values()) plan.changes.push({ ...c, outcome: 'held', note: null });
      if (!row) {
        const first = [...this.batchChanges.get(orderId)!.values()].reduce(earlier);
        const anchor = { orderId, totalFen: 0, currency: PENDING.currency, lines: null };
        plan.inserts.push({ orderId, profileId: first.profileId, messageId: first.messageId, orderedAt: first.at, placed: anchor, folded: PENDING });
      }
      return;
    }
    const placed = here ? here.placed : (row!.placed ?? { orderId, totalFen: row!.totalFen, currency: row!.currency, lines: null });
    const f = foldOrder(placed, here ? here.orderedAt : row!.orderedAt, [...changes.values()]);
    const folded: Folded = {
      status: f.status,
      totalFen: f.totalFen,
      refundedFen: f.refundedFen,
      currency: f.currency,
      lines: f.lines && JSON.stringify(f.lines),
    };
    for (const c of changes.values()) plan.changes.push({ ...c, ...f.outcomes.get(c.key)! });
    if (here && !row) plan.inserts.push({ ...here, folded });
    else
      plan.updates.push(
        here ? { ...here, folded } : { orderId, profileId: row!.profileId, messageId: row!.messageId, orderedAt: row!.orderedAt, placed, folded },
      );
    plan.recompute.add(here ? here.profileId : row!.profileId);
  }
}
