import { CdpError } from './errors.js';
import type { OrderChange } from './orders.types.js';

// An orders row's `status` and `refunded` columns (docs/import.md, "Orders"): the order's state at export.

type Obj = Record<string, unknown>;

const CANCELLED = new Set(['cancelled', 'canceled']);
const STATUSES = 'completed, partially_refunded, refunded or cancelled';

function fail(message: string, field: string): never {
  throw new CdpError('VALIDATION_FAILED', message, { field });
}

const text = (v: unknown) => (v === undefined || v === null ? undefined : String(v).trim().toLowerCase() || undefined);

/** `refunded` in currency units, as integer fen (at most the order's total). */
function refundedFen(v: unknown, totalFen: number): number | undefined {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return undefined;
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (!/^\d+(\.\d{1,2})?$/.test(s))
    fail(`refunded ${JSON.stringify(v)} must be a non-negative amount in currency units with at most 2 decimals, such as 20.50`, 'refunded');
  const fen = Math.round(Number(s) * 100);
  if (fen > totalFen) fail(`refunded ${s} is more than the order's total ${(totalFen / 100).toFixed(2)}`, 'refunded');
  return fen;
}

/**
 * The change a row's `status` (completed, partially_refunded, refunded, cancelled) and `refunded`
 * (the amount refunded so far) make to the order it places, and a warning for a status Siyu does
 * not know (such a row is imported as completed, as before these columns were read).
 */
export function importedOrderChange(record: Obj, orderId: string, totalFen: number): { change?: OrderChange; warning?: { field: string; reason: string } } {
  const status = text(record.status);
  const fen = refundedFen(record.refunded, totalFen);
  if (status !== undefined && CANCELLED.has(status)) {
    if (fen) fail('a cancelled order takes no refunded amount: leave refunded empty, or give status refunded', 'refunded');
    return { change: { kind: 'cancel', orderId } };
  }
  const refund = (amountFen: number | null): OrderChange => ({ kind: 'refund', orderId, refundId: 'import', amountFen, lines: null });
  if (status === 'refunded') return { change: refund(fen ? fen : null) };
  if (status === 'partially_refunded' && !fen) fail('status partially_refunded needs the amount refunded in refunded', 'refunded');
  const known = status === undefined || status === 'completed' || status === 'partially_refunded';
  const warning = known
    ? undefined
    : { field: 'status', reason: `status ${JSON.stringify(record.status)} is not ${STATUSES}: the order was imported as completed` };
  return fen ? { change: refund(fen), warning } : { warning };
}
