import { describe, expect, it } from 'vitest';
import { changeKey, foldOrder, type KeptChange } from './orders.fold.js';
import type { OrderChange } from './orders.types.js';

const kept = (change: OrderChange, at: number, messageId: string): KeptChange => ({ key: changeKey(change, messageId), at, messageId, change });
const placed = { orderId: 'o', totalFen: 1000, currency: 'CNY', lines: null };

describe('folding an order', () => {
  it('ignores an update older than the order, applies a newer one', () => {
    const f = foldOrder(placed, 100, [
      kept({ kind: 'update', orderId: 'o', totalFen: 500, currency: null, lines: null }, 50, 'u1'),
      kept({ kind: 'update', orderId: 'o', totalFen: 700, currency: 'USD', lines: null }, 150, 'u2'),
    ]);
    expect([f.status, f.totalFen, f.currency]).toEqual(['completed', 700, 'USD']);
    expect(f.outcomes.get('update:u1')).toEqual({ outcome: 'ignored', note: 'older than the order it updates' });
  });

  it('orders changes by time, then key, whatever the list order', () => {
    const changes = [
      kept({ kind: 'refund', orderId: 'o', refundId: 'b', amountFen: 800, lines: null }, 10, 'm1'),
      kept({ kind: 'refund', orderId: 'o', refundId: 'a', amountFen: 800, lines: null }, 10, 'm2'),
    ];
    const one = foldOrder(placed, 0, changes);
    const two = foldOrder(placed, 0, [...changes].reverse());
    expect(one).toEqual(two);
    expect(one.outcomes.get('refund:a')!.outcome).toBe('applied');
    expect(one.outcomes.get('refund:b')).toEqual({ outcome: 'capped', note: 'refund of 8.00 exceeds the 2.00 not yet refunded; 2.00 refunded' });
  });

  it('refunds lines of an order without lines at the refund price; a whole refund of a free order refunds it', () => {
    const f = foldOrder(placed, 0, [
      kept({ kind: 'refund', orderId: 'o', refundId: null, amountFen: null, lines: [{ key: 'A', quantity: 2, priceFen: 150 }] }, 1, 'm'),
    ]);
    expect([f.status, f.refundedFen]).toEqual(['partially_refunded', 300]);
    const free = foldOrder({ ...placed, totalFen: 0 }, 0, [kept({ kind: 'refund', orderId: 'o', refundId: null, amountFen: null, lines: null }, 1, 'm')]);
    expect(free.status).toBe('refunded');
  });

  it('a cancellation wins over later refunds and updates', () => {
    const f = foldOrder(placed, 0, [
      kept({ kind: 'cancel', orderId: 'o' }, 1, 'c'),
      kept({ kind: 'refund', orderId: 'o', refundId: null, amountFen: 100, lines: null }, 2, 'r'),
      kept({ kind: 'cancel', orderId: 'o' }, 3, 'c2'),
    ]);
    expect([f.status, f.refundedFen]).toEqual(['cancelled', 100]);
    expect(f.outcomes.get('cancel:c2')).toEqual({ outcome: 'ignored', note: 'already cancelled' });
  });
});
