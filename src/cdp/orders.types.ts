/**
 * The order lifecycle's shapes (docs/tracking-api.md, "Orders"): what the four e-commerce events
 * carry once read, and what an order is after its changes are applied.
 */

/** The e-commerce events that are orders or change one (Segment's e-commerce spec names). */
export const ORDER_EVENTS = Object.freeze({
  completed: 'Order Completed',
  updated: 'Order Updated',
  refunded: 'Order Refunded',
  cancelled: 'Order Cancelled',
} as const);

/** A product line of an order: its key (product_id, else sku, else its position), quantity and unit price in fen. */
export interface OrderLine {
  key: string;
  quantity: number;
  priceFen: number;
}

/** The order an `Order Completed` places. */
export interface PlacedOrder {
  orderId: string;
  totalFen: number;
  currency: string;
  /** The products, when the event lists them readably. */
  lines?: OrderLine[] | null;
}

/** A line named by a refund: how many of it, and at what unit price when the refund says. */
export interface RefundLine {
  key: string;
  quantity: number;
  priceFen: number | null;
}

/** A change to a placed order, read from `Order Refunded`, `Order Cancelled` or `Order Updated`. */
export type OrderChange =
  | { kind: 'refund'; orderId: string; refundId: string | null; amountFen: number | null; lines: RefundLine[] | null }
  | { kind: 'cancel'; orderId: string }
  | { kind: 'update'; orderId: string; totalFen: number | null; currency: string | null; lines: OrderLine[] | null };

/** Where an order stands. `pending`: changes arrived before the order and are held; it counts nowhere. */
export type OrderStatus = 'pending' | 'completed' | 'partially_refunded' | 'refunded' | 'cancelled';

/** Statuses whose order counts in the profile's net order count and purchase times. */
export const COUNTED_STATUSES: readonly OrderStatus[] = ['completed', 'partially_refunded'];
/** Statuses whose amounts count in gross, refunded and net spend (a fully refunded order adds gross and refunded alike). */
export const SPENT_STATUSES: readonly OrderStatus[] = ['completed', 'partially_refunded', 'refunded'];

/** What happened to one change when the order's history was applied. */
export type ChangeOutcome = 'applied' | 'capped' | 'ignored' | 'held';
