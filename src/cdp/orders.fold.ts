import type { ChangeOutcome, OrderChange, OrderLine, OrderStatus, PlacedOrder } from './orders.types.js';

/**
 * An order's state as a pure function of its placement and the set of its changes, whatever the
 * order they arrived in: changes are applied by event time (ties by key), so a shuffled history
 * gives the same order as the one sent in sequence (orders.replay.test.ts checks it).
 */

/** A change as kept: its idempotency key, event time and message. */
export interface KeptChange {
  /** `refund:<refund_id or message id>`, `cancel:<message id>`, `update:<message id>`. */
  key: string;
  at: number;
  messageId: string;
  change: OrderChange;
}

/** A line of a placed order with the quantity refunded so far. */
export interface HeldLine extends OrderLine {
  refunded: number;
}

/** An order after its changes. */
export interface FoldedOrder {
  status: OrderStatus;
  totalFen: number;
  refundedFen: number;
  currency: string;
  lines: HeldLine[] | null;
  /** Per change key: what applying it did, and why when it was not applied in full. */
  outcomes: Map<string, { outcome: ChangeOutcome; note: string | null }>;
}

/** The idempotency key of a change: a refund by its refund id (else its message), others by message. */
export function changeKey(change: OrderChange, messageId: string): string {
  if (change.kind === 'refund') return `refund:${change.refundId ?? messageId}`;
  return `${change.kind}:${messageId}`;
}

/** Of two copies of one change (same key), the one kept: the earlier, then the smaller message id. */
export function earlier<T extends KeptChange>(a: T, b: T): T {
  return a.at < b.at || (a.at === b.at && a.messageId <= b.messageId) ? a : b;
}

const yuan = (fen: number) => (fen / 100).toFixed(2);

interface Working {
  placedAt: number;
  totalFen: number;
  refundedFen: number;
  currency: string;
  lines: HeldLine[] | null;
  cancelled: boolean;
  /** A refund of the whole order was applied (an order of amount 0 is then refunded too). */
  wholeRefund: boolean;
}

type Result = { outcome: ChangeOutcome; note: string | null };
const applied: Result = { outcome: 'applied', note: null };

/** Refunds named lines: each capped at its quantity not yet refunded; the amount from the refund's price, else the line's. */
function refundLines(w: Working, lines: NonNullable<Extract<OrderChange, { kind: 'refund' }>['lines']>, notes: string[]): number {
  let fen = 0;
  for (const l of lines) {
    const held = w.lines?.find((h) => h.key === l.key);
    if (!held) {
      if (w.lines !== null) notes.push(`line ${JSON.stringify(l.key)} is not in the order`);
      else fen += (l.priceFen ?? 0) * l.quantity;
      continue;
    }
    const q = Math.min(l.quantity, held.quantity - held.refunded);
    if (q < l.quantity) notes.push(`line ${JSON.stringify(l.key)}: ${l.quantity} asked, ${q} left to refund`);
    held.refunded += q;
    fen += (l.priceFen ?? held.priceFen) * q;
  }
  return fen;
}

/** Per change kind: applies one change to the working order. */
const APPLY: { [K in OrderChange['kind']]: (w: Working, c: Extract<OrderChange, { kind: K }>, at: number) => Result } = {
  cancel: (w) => {
    if (w.cancelled) return { outcome: 'ignored', note: 'already cancelled' };
    w.cancelled = true;
    return applied;
  },
  update: (w, c, at) => {
    if (at < w.placedAt) return { outcome: 'ignored', note: 'older than the order it updates' };
    if (c.currency !== null) w.currency = c.currency;
    if (c.lines !== null) {
      const before = new Map((w.lines ?? []).map((l) => [l.key, l.refunded]));
      w.lines = c.lines.map((l) => ({ ...l, refunded: Math.min(before.get(l.key) ?? 0, l.quantity) }));
    }
    const total = c.totalFen ?? (c.lines !== null ? c.lines.reduce((s, l) => s + l.priceFen * l.quantity, 0) : w.totalFen);
    w.totalFen = total;
    if (w.refundedFen > total) {
      const note = `the new total ${yuan(total)} is below the ${yuan(w.refundedFen)} refunded; refunded capped to the total`;
      w.refundedFen = total;
      return { outcome: 'capped', note };
    }
    return applied;
  },
  refund: (w, c) => {
    const notes: string[] = [];
    const whole = c.amountFen === null && c.lines === null;
    let asked: number;
    if (whole) {
      asked = w.totalFen - w.refundedFen;
      for (const l of w.lines ?? []) l.refunded = l.quantity;
      w.wholeRefund = true;
    } else {
      const fromLines = c.lines === null ? 0 : refundLines(w, c.lines, notes);
      asked = c.amountFen ?? fromLines;
    }
    const left = w.totalFen - w.refundedFen;
    const fen = Math.min(asked, left);
    if (fen < asked) notes.push(`refund of ${yuan(asked)} exceeds the ${yuan(left)} not yet refunded; ${yuan(fen)} refunded`);
    w.refundedFen += fen;
    if (notes.length === 0) return applied;
    return { outcome: fen === 0 && !whole ? 'ignored' : 'capped', note: notes.join('; ') };
  },
};

function statusOf(w: Working): OrderStatus {
  if (w.cancelled) return 'cancelled';
  const allLines = w.lines !== null && w.lines.length > 0 && w.lines.every((l) => l.refunded >= l.quantity);
  if (w.refundedFen >= w.totalFen && (w.totalFen > 0 || w.wholeRefund || allLines)) return 'refunded';
  return w.refundedFen > 0 ? 'partially_refunded' : 'completed';
}

/** Applies an order's changes to its placement, by event time then key. */
export function foldOrder(placed: PlacedOrder, placedAt: number, changes: KeptChange[]): FoldedOrder {
  const w: Working = {
    placedAt,
    totalFen: placed.totalFen,
    refundedFen: 0,
    currency: placed.currency,
    lines: placed.lines ? placed.lines.map((l) => ({ ...l, refunded: 0 })) : null,
    cancelled: false,
    wholeRefund: false,
  };
  const outcomes = new Map<string, Result>();
  const sorted = [...changes].sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const k of sorted) outcomes.set(k.key, (APPLY[k.change.kind] as (w: Working, c: OrderChange, at: number) => Result)(w, k.change, k.at));
  return { status: statusOf(w), totalFen: w.totalFen, refundedFen: w.refundedFen, currency: w.currency, lines: w.lines, outcomes };
}
