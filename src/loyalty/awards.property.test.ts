import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, describeEngines } from '../../test/support/engines.js';
import { orderStandings } from '../cdp/index.js';
import { DAY_MS } from '../platform/time.js';
import { clawTarget } from './awards.service.js';
import { loyaltyTestApp } from './test-kit.js';

type Op =
  | { op: 'order'; total: number }
  | { op: 'refund'; order: number; share: number }
  | { op: 'cancel'; order: number }
  | { op: 'days'; days: number }
  | { op: 'pass' };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('order' as const), total: fc.integer({ min: 1, max: 50_000 }).map((f) => f / 100) }),
  fc.record({ op: fc.constant('refund' as const), order: fc.nat(5), share: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ op: fc.constant('cancel' as const), order: fc.nat(5) }),
  fc.record({ op: fc.constant('days' as const), days: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ op: fc.constant('pass' as const) }),
);

describeEngines('order awards over random orders, refunds, cancellations and releases (property)', (engine) => {
  let app: Awaited<ReturnType<typeof loyaltyTestApp>>;
  beforeAll(async () => {
    app = await loyaltyTestApp(engine);
  });
  afterAll(async () => app?.close());

  it('each order ends with its points less the refunded share, nothing created or lost, verify clean', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(arbOp, { minLength: 1, maxLength: 14 }), async (ops) => {
        const w = await app.t.newWorkspace(`run ${run++}`);
        const api = (method: 'POST' | 'GET', url: string, payload?: object) =>
          app.t.app.inject({ method, url, headers: { authorization: `Bearer ${w.secretKey}` }, ...(payload ? { payload } : {}) });
        const track = async (event: string, properties: Record<string, unknown>) => {
          const r = await app.t.app.inject({
            method: 'POST',
            url: '/v1/track',
            headers: { authorization: basic(w.writeKey) },
            payload: { userId: 'buyer', event, properties },
          });
          expect(r.statusCode).toBe(200);
        };
        await api('POST', '/v1/loyalty/rules', { name: 'orders', kind: 'order', definition: { pointsPerYuan: 1, pendingDays: 3 } });
        const orders: { id: string; total: number }[] = [];
        let refunds = 0;
        for (const o of ops) {
          app.t.clock.advance(1000);
          if (o.op === 'order') {
            orders.push({ id: `o${orders.length}`, total: o.total });
            await track('Order Completed', { order_id: `o${orders.length - 1}`, total: o.total });
          } else if (o.op === 'refund' && orders.length) {
            const ord = orders[o.order % orders.length]!;
            await track('Order Refunded', { order_id: ord.id, total: Math.max(0.01, Math.round(ord.total * o.share) / 100), refund_id: `r${refunds++}` });
          } else if (o.op === 'cancel' && orders.length) await track('Order Cancelled', { order_id: orders[o.order % orders.length]!.id });
          else if (o.op === 'days') app.t.clock.advance(o.days * DAY_MS);
          else await app.pass();
        }
        await app.pass();
        app.t.clock.advance(4 * DAY_MS);
        await app.pass();
        const db = app.t.database.db;
        const standings = await orderStandings(
          db,
          w.workspaceId,
          orders.map((o) => o.id),
        );
        const entries = await db.selectFrom('loyalty_entries').select(['source_id', 'amount']).where('workspace_id', '=', w.workspaceId).execute();
        for (const o of orders) {
          const points = Math.floor(o.total + 1e-9);
          const expected = points - clawTarget(points, standings.get(o.id)!);
          const got = entries.filter((e) => e.source_id === o.id).reduce((s, e) => s + Number(e.amount), 0);
          expect(got, `order ${o.id} (¥${o.total}, ${JSON.stringify(standings.get(o.id))})`).toBe(expected);
        }
        const acc = await db.selectFrom('loyalty_accounts').select(['pending']).where('workspace_id', '=', w.workspaceId).execute();
        expect(acc.every((a) => Number(a.pending) === 0)).toBe(true);
        expect(await app.mismatches()).toEqual([]);
      }),
      { numRuns: 12 },
    );
  }, 600_000);
});
