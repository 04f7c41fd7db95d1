import { ORDER_EVENTS, type OrderChange, type OrderLine, type PlacedOrder, type RefundLine } from './orders.types.js';
import { fail, idString, INPUT_LIMITS } from './tracking.guard.js';

// Reads the properties of the four order events (docs/tracking-api.md, "Orders").

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Largest quantity of one product line. */
const MAX_QUANTITY = 1_000_000;

/** Converts a decimal amount in currency units (99.9 or "99.90") to integer fen/cents. */
export function toFen(where: string, field: string, v: unknown): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) n = Number(v.trim());
  else fail(where, `${field} must be a number in currency units (e.g. 99.90)`);
  if (!Number.isFinite(n) || n < 0) fail(where, `${field} must be a non-negative amount, got ${String(v)}`);
  if (n > INPUT_LIMITS.maxAmount) fail(where, `${field} is ${String(v)}; the largest amount accepted is ${INPUT_LIMITS.maxAmount}`);
  return Math.round(n * 100);
}

function currencyOf(where: string, p: Obj, fallback: string | null): string | null {
  if (p.currency === undefined || p.currency === null) return fallback;
  const currency = String(p.currency).toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) fail(where, `properties.currency must be an ISO-4217 code such as CNY, got ${JSON.stringify(p.currency)}`);
  return currency;
}

/** The amount in `total` (else `revenue`), in fen, or null when neither is given. */
function amountOf(where: string, p: Obj): number | null {
  if (p.total !== undefined && p.total !== null) return toFen(where, 'properties.total', p.total);
  if (p.revenue !== undefined && p.revenue !== null) return toFen(where, 'properties.revenue', p.revenue);
  return null;
}

/** `properties.products` as lines: key product_id, else sku, else the position; quantity 1 and price 0 when absent. */
function readLines(where: string, p: Obj): { key: string; quantity: number; priceFen: number | null }[] | null {
  if (p.products === undefined || p.products === null) return null;
  if (!Array.isArray(p.products)) fail(where, 'properties.products must be an array');
  const seen = new Set<string>();
  return p.products.map((item: unknown, i) => {
    const at = `properties.products[${i}]`;
    if (!isObj(item)) fail(where, `${at} must be an object`);
    const key = idString(where, `${at}.product_id`, item.product_id) ?? idString(where, `${at}.sku`, item.sku) ?? `#${i}`;
    if (seen.has(key)) fail(where, `${at} repeats product ${JSON.stringify(key)}; list each product once with its quantity`);
    seen.add(key);
    const q = item.quantity ?? 1;
    if (typeof q !== 'number' || !Number.isInteger(q) || q < 1 || q > MAX_QUANTITY)
      fail(where, `${at}.quantity must be a whole number from 1 to ${MAX_QUANTITY}`);
    const priceFen = item.price === undefined || item.price === null ? null : toFen(where, `${at}.price`, item.price);
    return { key, quantity: q, priceFen };
  });
}

const placedLines = (lines: RefundLine[] | null): OrderLine[] | null => lines && lines.map((l) => ({ ...l, priceFen: l.priceFen ?? 0 }));

/** The order of an `Order Completed` event (its id defaults to the message id; currency to the workspace's). */
export function readOrder(where: string, p: Obj, messageId: string, defaultCurrency: string): PlacedOrder {
  const orderId = idString(where, 'properties.order_id', p.order_id) ?? messageId;
  const totalFen = amountOf(where, p);
  if (totalFen === null) fail(where, 'Order Completed needs properties.total (or properties.revenue)');
  const currency = currencyOf(where, p, defaultCurrency)!;
  if (p.products !== undefined && p.products !== null && !Array.isArray(p.products)) fail(where, 'properties.products must be an array');
  let lines: OrderLine[] | null = null;
  try {
    lines = placedLines(readLines(where, p));
  } catch {
    // Completed orders were accepted with any products before lines were read; such an order keeps no lines.
  }
  return { orderId, totalFen, currency, lines };
}

const requiredOrderId = (where: string, p: Obj, event: string): string => {
  const orderId = idString(where, 'properties.order_id', p.order_id);
  if (orderId === null || orderId === '') fail(where, `${event} needs properties.order_id, the id of the order it changes`);
  return orderId;
};

/** Per change event: reads its properties. */
const CHANGE_READERS = new Map<string, (where: string, p: Obj) => OrderChange>([
  [
    ORDER_EVENTS.refunded,
    (where, p) => ({
      kind: 'refund',
      orderId: requiredOrderId(where, p, ORDER_EVENTS.refunded),
      refundId: idString(where, 'properties.refund_id', p.refund_id),
      amountFen: amountOf(where, p),
      lines: readLines(where, p),
    }),
  ],
  [ORDER_EVENTS.cancelled, (where, p) => ({ kind: 'cancel', orderId: requiredOrderId(where, p, ORDER_EVENTS.cancelled) })],
  [
    ORDER_EVENTS.updated,
    (where, p) => ({
      kind: 'update',
      orderId: requiredOrderId(where, p, ORDER_EVENTS.updated),
      totalFen: amountOf(where, p),
      currency: currencyOf(where, p, null),
      lines: placedLines(readLines(where, p)),
    }),
  ],
]);

/** The change an `Order Refunded`, `Order Cancelled` or `Order Updated` event makes, or undefined for other events. */
export function readOrderChange(where: string, event: string | null, p: Obj): OrderChange | undefined {
  const read = event === null ? undefined : CHANGE_READERS.get(event);
  return read?.(where, p);
}
