import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, ENGINES, type TestApp } from '../../test/support/engines.js';

/**
 * A random order history (completes, refunds by amount, line or whole order, duplicate refunds,
 * cancellations, updates) sent in random order and random batch splits ends with the same orders
 * and profile aggregates as the same history sent one event at a time in time order.
 */

const T0 = Date.parse('2026-10-01T00:00:00Z');
type Msg = { userId?: string; anonymousId?: string; event: string; properties: Record<string, unknown>; messageId: string; timestamp: string };

const products = [
  { product_id: 'A', quantity: 2, price: 5 },
  { product_id: 'B', quantity: 1, price: 20 },
];

const changeArb = fc.oneof(
  fc.record({ kind: fc.constant('refund-amount' as const), amount: fc.integer({ min: 1, max: 60 }), dup: fc.boolean() }),
  fc.record({ kind: fc.constant('refund-line' as const), line: fc.constantFrom('A', 'B'), quantity: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('refund-whole' as const) }),
  fc.record({ kind: fc.constant('cancel' as const) }),
  fc.record({ kind: fc.constant('update' as const), total: fc.integer({ min: 0, max: 80 }) }),
);
const orderArb = fc.record({
  user: fc.constantFrom('u0', 'u1'),
  total: fc.integer({ min: 0, max: 80 }),
  withLines: fc.boolean(),
  completed: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
  changes: fc.array(changeArb, { maxLength: 4 }),
  // Changes sent from a device the buyer never identified on: they still change the buyer's order.
  changesFromKiosk: fc.boolean(),
});
const historyArb = fc.array(orderArb, { minLength: 1, maxLength: 4 }).chain((orders) => {
  const n = orders.reduce((s, o) => s + 1 + o.changes.length * 2, 0);
  // Distinct event times (minutes), shuffled over the history; the permutation of sending and the batch cuts.
  return fc.record({
    orders: fc.constant(orders),
    times: fc.shuffledSubarray([...Array(n * 3).keys()], { minLength: n, maxLength: n }),
    order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
    cuts: fc.array(fc.integer({ min: 1, max: n }), { maxLength: 4 }),
  });
});

type OrderSpec = typeof orderArb extends fc.Arbitrary<infer T> ? T : never;
let run = 0;
/** The messages of a history, each with its own time. */
function messages(h: { orders: OrderSpec[]; times: number[] }, prefix: string): Msg[] {
  const out: Msg[] = [];
  let k = 0;
  const time = () => new Date(T0 + h.times[k++]! * 60_000).toISOString();
  h.orders.forEach((o, i) => {
    const order_id = `${prefix}-o${i}`;
    const base = { userId: `${prefix}-${o.user}` };
    const t = time();
    if (o.completed) {
      const properties = { order_id, total: o.total, ...(o.withLines ? { products } : {}) };
      out.push({ ...base, event: 'Order Completed', properties, messageId: `${order_id}-c`, timestamp: t });
    }
    const from = o.changesFromKiosk ? { anonymousId: `${prefix}-kiosk` } : base;
    o.changes.forEach((c, j) => {
      const messageId = `${order_id}-${j}`;
      const t1 = time();
      const t2 = time();
      if (c.kind === 'refund-amount') {
        const properties = { order_id, total: c.amount, refund_id: `rf${j}` };
        out.push({ ...from, event: 'Order Refunded', properties, messageId, timestamp: t1 });
        // A resend under a new message id: the same refund, counted once.
        if (c.dup) out.push({ ...from, event: 'Order Refunded', properties, messageId: `${messageId}-again`, timestamp: t2 });
      } else if (c.kind === 'refund-line') {
        out.push({
          ...from,
          event: 'Order Refunded',
          properties: { order_id, products: [{ product_id: c.line, quantity: c.quantity }] },
          messageId,
          timestamp: t1,
        });
      } else if (c.kind === 'refund-whole') out.push({ ...from, event: 'Order Refunded', properties: { order_id }, messageId, timestamp: t1 });
      else if (c.kind === 'cancel') out.push({ ...from, event: 'Order Cancelled', properties: { order_id }, messageId, timestamp: t1 });
      else out.push({ ...from, event: 'Order Updated', properties: { order_id, total: c.total }, messageId, timestamp: t1 });
    });
  });
  return out;
}

describeEngines('order history replayed out of order', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  const sendBatch = async (batch: Msg[]) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basic(t.writeKey), 'content-type': 'application/json' },
      payload: { batch: batch.map((m) => ({ type: 'track', ...m })) },
    });
    expect(res.statusCode, res.body).toBe(200);
  };

  /** The orders and aggregates of one replay, with the replay's prefix taken out of ids. */
  const state = async (prefix: string) => {
    const db = t.database.db;
    const orders = await db
      .selectFrom('orders')
      .select(['order_id', 'status', 'total_fen', 'refunded_fen', 'currency', 'lines', 'ordered_at'])
      .where('workspace_id', '=', t.workspaceId)
      .where('order_id', 'like', `${prefix}-%`)
      .where('status', '!=', 'pending')
      .orderBy('order_id')
      .execute();
    const changes = await db
      .selectFrom('order_changes')
      .select(['order_id', 'change_key', 'outcome', 'note'])
      .where('workspace_id', '=', t.workspaceId)
      .where('order_id', 'like', `${prefix}-%`)
      .orderBy('order_id')
      .orderBy('change_key')
      .execute();
    const profiles = await db
      .selectFrom('identities as i')
      .innerJoin('profiles as p', (j) => j.onRef('p.workspace_id', '=', 'i.workspace_id').onRef('p.id', '=', 'i.profile_id'))
      .select(['i.id_key', 'p.order_count', 'p.total_spent_fen', 'p.gross_spent_fen', 'p.refunded_fen', 'p.first_purchase_at', 'p.last_purchase_at'])
      .where('i.workspace_id', '=', t.workspaceId)
      .where('i.id_type', '=', 'user_id')
      .where('i.id_key', 'like', `${prefix}-%`)
      .orderBy('i.id_key')
      .execute();
    for (const p of profiles) expect(Number(p.total_spent_fen)).toBe(Number(p.gross_spent_fen) - Number(p.refunded_fen));
    // The device the changes came from bought nothing: orders stay with the profile that placed them.
    const kiosk = await db
      .selectFrom('identities as i')
      .innerJoin('profiles as p', (j) => j.onRef('p.workspace_id', '=', 'i.workspace_id').onRef('p.id', '=', 'i.profile_id'))
      .select(['p.order_count', 'p.gross_spent_fen'])
      .where('i.workspace_id', '=', t.workspaceId)
      .where('i.id_type', '=', 'anonymous_id')
      .where('i.id_key', '=', `${prefix}-kiosk`)
      .executeTakeFirst();
    if (kiosk) expect([Number(kiosk.order_count), Number(kiosk.gross_spent_fen)]).toEqual([0, 0]);
    const strip = (s: string) => s.slice(prefix.length + 1);
    return JSON.parse(
      JSON.stringify({
        orders: orders.map((o) => ({ ...o, order_id: strip(o.order_id), lines: typeof o.lines === 'string' ? JSON.parse(o.lines) : o.lines })),
        changes: changes.map((c) => ({ ...c, order_id: strip(c.order_id), change_key: c.change_key.replace(prefix, '') })),
        profiles: profiles.map((p) => ({ ...p, id_key: strip(p.id_key) })),
      }),
      (_k, v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
    );
  };

  it('gives the same orders and aggregates whatever the order and batching of the events', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, async (h) => {
        const n = ++run;
        const inOrder = messages(h, `a${n}`).sort((x, y) => Date.parse(x.timestamp) - Date.parse(y.timestamp));
        for (const m of inOrder) await sendBatch([m]);
        const shuffledSource = messages(h, `b${n}`);
        const shuffled = h.order.map((i) => shuffledSource[i]!).filter((m) => m !== undefined);
        const cuts = [...new Set([0, ...h.cuts.filter((c) => c < shuffled.length), shuffled.length])].sort((a, b) => a - b);
        for (let i = 1; i < cuts.length; i++) await sendBatch(shuffled.slice(cuts[i - 1], cuts[i]));
        expect(await state(`b${n}`)).toEqual(await state(`a${n}`));
      }),
      { numRuns: ENGINES.length > 1 ? 40 : 60, seed: Number(process.env.FC_SEED ?? Date.now() % 1e9) },
    );
  });
});
