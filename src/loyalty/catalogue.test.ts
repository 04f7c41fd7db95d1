import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeEngines, ENGINES } from '../../test/support/engines.js';
import { createTokenSigner } from '../platform/crypto.js';
import { type Database, openDatabase } from '../platform/db/database.js';
import type { AppError } from '../platform/errors.js';
import { createHub } from '../platform/hub.js';
import type { KeyResolver } from '../platform/workspaces.js';
import { migrateSiyu } from '../server/migrations.js';
import { createItem, redeemItem } from './catalogue.service.js';
import { drawLottery } from './lottery.draw.js';
import { createLottery } from './lottery.service.js';
import { createCouponWorker } from './coupons.worker.js';
import type { LoyaltyDeps } from './deps.js';
import { postWithRetries } from './points.service.js';
import { memberTestApp } from './testing/member-api-kit.js';
import { verifyBalances } from './verify.js';

type App = Awaited<ReturnType<typeof memberTestApp>>;

describeEngines('the reward catalogue', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('redeems a coupon item with points: one spend, one coupon, one unit; replays; refuses short balance, the limit, stock and paused items', async () => {
    app = await memberTestApp(engine);
    const p = await app.profile('m1');
    await app.earn(p, 1000);
    const tpl = (await app.call('POST', '/v1/loyalty/coupon-templates', { name: '¥10 off', kind: 'fixed', amountFen: 1000, validity: { days: 30 } })).body;
    const bad = await app.call('POST', '/v1/loyalty/catalogue-items', { name: 'x', kind: 'coupon', points: 10 });
    expect(bad.body.error.code).toBe('CATALOGUE_ITEM_INVALID');
    const item = await app.call('POST', '/v1/loyalty/catalogue-items', {
      name: '¥10 coupon',
      kind: 'coupon',
      couponTemplateId: tpl.id,
      points: 300,
      stock: 3,
      perMemberLimit: 2,
    });
    expect(item.status, JSON.stringify(item.body)).toBe(201);
    expect(item.body).toMatchObject({ points: 300, stock: 3, redeemed: 0, left: 3 });
    const token = await app.mint(p);
    const first = await app.member(token, 'POST', `/v1/member/catalogue/${item.body.id}/redeem`, { idempotencyKey: 'r1' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.redemption).toMatchObject({ itemId: item.body.id, profileId: p, points: 300, balance: 700 });
    expect(first.body.redemption.couponCode).toMatch(/^[2-9A-Z]{10}$/);
    const again = await app.member(token, 'POST', `/v1/member/catalogue/${item.body.id}/redeem`, { idempotencyKey: 'r1' });
    expect(again.replayed).toBe(true);
    expect(again.body.redemption.id).toBe(first.body.redemption.id);
    expect((await app.member(token, 'GET', '/v1/member/points')).body.balance).toBe(700);
    expect((await app.member(token, 'GET', '/v1/member/coupons')).body.data).toHaveLength(1);
    await app.member(token, 'POST', `/v1/member/catalogue/${item.body.id}/redeem`, { idempotencyKey: 'r2' });
    const limit = await app.member(token, 'POST', `/v1/member/catalogue/${item.body.id}/redeem`, { idempotencyKey: 'r3' });
    expect([limit.status, limit.body.error.code]).toEqual([409, 'CATALOGUE_LIMIT_REACHED']);
    // Another member with too few points: nothing spent, no unit taken.
    const poor = await app.profile('m2');
    await app.earn(poor, 299);
    const short = await app.call('POST', `/v1/loyalty/catalogue-items/${item.body.id}/redeem`, { profile: poor, idempotencyKey: 'p1' });
    expect(short.body.error.code).toBe('INSUFFICIENT_POINTS');
    await app.earn(poor, 400, 'more');
    expect((await app.call('POST', `/v1/loyalty/catalogue-items/${item.body.id}/redeem`, { profile: poor, idempotencyKey: 'p2' })).status).toBe(200);
    const out = await app.call('POST', `/v1/loyalty/catalogue-items/${item.body.id}/redeem`, { profile: poor, idempotencyKey: 'p3' });
    expect(out.body.error.code).toBe('CATALOGUE_OUT_OF_STOCK');
    expect((await app.call('GET', `/v1/loyalty/catalogue-items/${item.body.id}`)).body).toMatchObject({ redeemed: 3, left: 0 });
    // A physical reward, paused: not redeemable, not in the member's catalogue.
    const mug = (await app.call('POST', '/v1/loyalty/catalogue-items', { name: 'Mug', kind: 'physical', points: 50 })).body;
    const paused = await app.call('PATCH', `/v1/loyalty/catalogue-items/${mug.id}`, { status: 'paused' });
    expect(paused.body, JSON.stringify(paused.body)).toMatchObject({ status: 'paused' });
    expect((await app.member(token, 'POST', `/v1/member/catalogue/${mug.id}/redeem`, { idempotencyKey: 'm' })).body.error.code).toBe('CATALOGUE_ITEM_INACTIVE');
    expect((await app.member(token, 'GET', '/v1/member/catalogue')).body.data.map((i: { id: string }) => i.id)).toEqual([item.body.id]);
    expect((await app.call('PATCH', `/v1/loyalty/catalogue-items/${item.body.id}`, { stock: 2 })).body.error.code).toBe('CATALOGUE_ITEM_INVALID');
    const events = await app.timeline(p, 'Reward Redeemed');
    expect(events.map((e) => e.points)).toEqual([300, 300]);
    expect(await app.mismatches()).toEqual([]);
  });

  it('never oversells: 40 members race for the last 5 units [through the API]', async () => {
    app = await memberTestApp(engine);
    const item = (await app.call('POST', '/v1/loyalty/catalogue-items', { name: 'Tote', kind: 'virtual', points: 10, stock: 5 })).body;
    const members: string[] = [];
    for (let i = 0; i < 40; i++) {
      const p = await app.profile(`racer${i}`);
      await app.earn(p, 10);
      members.push(p);
    }
    const answers = await Promise.all(
      members.map((p, i) => app.call('POST', `/v1/loyalty/catalogue-items/${item.id}/redeem`, { profile: p, idempotencyKey: `race${i}` })),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
    expect(new Set(answers.filter((a) => a.status !== 200).map((a) => a.body.error.code))).toEqual(new Set(['CATALOGUE_OUT_OF_STOCK']));
    expect((await app.call('GET', `/v1/loyalty/catalogue-items/${item.id}`)).body).toMatchObject({ redeemed: 5, left: 0 });
    const spent = await app.t.database.db.selectFrom('loyalty_entries').select('id').where('kind', '=', 'spend').execute();
    expect(spent).toHaveLength(5);
    expect(await app.mismatches()).toEqual([]);
  }, 120_000);

  it('deducts points at checkout: quote, apply once per order, cap, and the points come back when the order is cancelled', async () => {
    app = await memberTestApp(engine);
    const p = await app.profile('buyer');
    await app.earn(p, 5000);
    expect((await app.call('POST', '/v1/loyalty/checkout/quote', { profile: p, orderTotalFen: 10000 })).body.error.code).toBe('CHECKOUT_NOT_CONFIGURED');
    await app.call('PUT', '/v1/loyalty/checkout/settings', { pointsPerYuan: 100, maxPercent: 20, maxFen: 1500 });
    // ¥100 order: 20% = ¥20, capped at ¥15 = 1,500 points.
    const q = await app.call('POST', '/v1/loyalty/checkout/quote', { profile: p, orderTotalFen: 10000 });
    expect(q.body).toMatchObject({ balance: 5000, capFen: 1500, maxPoints: 1500, points: 1500, amountFen: 1500 });
    const over = await app.call('POST', '/v1/loyalty/checkout/apply', { profile: p, orderId: 'o1', orderTotalFen: 10000, points: 1501 });
    expect(over.body.error.code).toBe('CHECKOUT_CAP_EXCEEDED');
    const applied = await app.call('POST', '/v1/loyalty/checkout/apply', { profile: p, orderId: 'o1', orderTotalFen: 10000, points: 1200 });
    expect(applied.body.deduction).toMatchObject({ orderId: 'o1', points: 1200, amountFen: 1200, status: 'applied' });
    const replay = await app.call('POST', '/v1/loyalty/checkout/apply', { profile: p, orderId: 'o1', orderTotalFen: 10000, points: 1200 });
    expect([replay.replayed, replay.body.deduction.entryId]).toEqual([true, applied.body.deduction.entryId]);
    expect((await app.call('POST', '/v1/loyalty/checkout/apply', { profile: p, orderId: 'o1', orderTotalFen: 9000, points: 1200 })).body.error.code).toBe(
      'CHECKOUT_ORDER_CONFLICT',
    );
    expect((await app.call('GET', `/v1/profiles/${p}/points`)).body.balance).toBe(3800);
    // The order arrives, then is cancelled: the coupon worker's order watch gives the points back, once.
    await app.track({ userId: 'buyer', event: 'Order Completed', properties: { order_id: 'o1', total: 100 } });
    await app.track({ userId: 'buyer', event: 'Order Cancelled', properties: { order_id: 'o1' } });
    const worker = createCouponWorker({ database: app.t.database, now: () => app.t.clock.now(), log: pino({ level: 'silent' }), hub: app.t.services.hub });
    await worker.runOnce();
    await worker.runOnce();
    await worker.stop();
    expect((await app.call('GET', `/v1/profiles/${p}/points`)).body.balance).toBe(5000);
    const reversed = await app.call('POST', '/v1/loyalty/checkout/reverse', { orderId: 'o1', reason: 'again' });
    expect(reversed.body.deduction).toMatchObject({ status: 'reversed' });
    expect((await app.call('GET', `/v1/profiles/${p}/points`)).body.balance).toBe(5000);
    expect((await app.timeline(p, 'Points Deduction Reversed')).map((e) => e.points)).toEqual([1200]);
    // Rounding at 250 points = ¥1: 101 points pay 40 fen and 100 are spent.
    await app.call('PUT', '/v1/loyalty/checkout/settings', { pointsPerYuan: 250, maxPercent: null, maxFen: null });
    expect(
      (await app.call('POST', '/v1/loyalty/checkout/apply', { profile: p, orderId: 'o2', orderTotalFen: 10000, points: 101 })).body.deduction,
    ).toMatchObject({ points: 100, amountFen: 40 });
    expect(await app.mismatches()).toEqual([]);
  });
});

// PostgreSQL: three pools on one schema, as three server processes would be.
if (ENGINES.includes('postgres'))
  describe('catalogue and lottery stock never oversell [postgres, three pools]', () => {
    const url = process.env.SIYU_TEST_POSTGRES_URL!;
    const schema = `siyu_cat_${randomBytes(5).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'siyu-catalogue-'));
    let pools: Database[] = [];
    const now = () => Date.parse('2026-11-03T04:00:00Z');
    const depsOf = (database: Database): LoyaltyDeps => ({
      database,
      now,
      log: pino({ level: 'silent' }),
      keys: {} as KeyResolver,
      resolveProfile: async (_ws, ref) => ref,
      defaultTimeZone: 'Asia/Shanghai',
      claimTokens: createTokenSigner(Buffer.alloc(32, 1), 'test'),
      memberTokens: (ws) => createTokenSigner(Buffer.alloc(32, 1), `member:${ws}`),
      timeZoneOf: async () => 'Asia/Shanghai',
      hub: createHub(pino({ level: 'silent' })),
    });

    beforeAll(async () => {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      await admin.end();
      pools = [0, 1, 2].map(() => openDatabase({ databaseUrl: url, dataDir, searchPath: schema, poolSize: 6 }));
      await migrateSiyu(pools[0]!.db, 'postgres', { schema });
    });
    afterAll(async () => {
      for (const p of pools) await p?.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('300 redemptions by 100 members over three pools against the last 7 units: exactly 7, each member spends only for what they got', async () => {
      const ws = 'ws_cat';
      const item = await createItem(depsOf(pools[0]!), ws, { name: 'Last units', kind: 'virtual', points: 10, stock: 7 });
      const members = Array.from({ length: 100 }, (_, i) => `prf_m${i}`);
      for (const m of members) {
        await postWithRetries(
          pools[0]!,
          { workspaceId: ws, profileId: m, kind: 'earn', points: 30, reason: 'seed', source: { type: 'api', id: null }, idempotencyKey: `seed-${m}` },
          now,
        );
      }
      // Each member sends three requests: two with one key (a retry sent twice at once) and one with another.
      const reqs = members.flatMap((m, i) => [`${m}:a`, `${m}:a`, `${m}:b`].map((key, j) => ({ m, key, pool: pools[(i + j) % 3]! })));
      const answers = await Promise.all(
        reqs.map((r) =>
          redeemItem(depsOf(r.pool), ws, { profileId: r.m, itemId: item.id, idempotencyKey: r.key }).then(
            (x) => ({ ok: true as const, id: x.redemption.id, key: r.key }),
            (err: AppError) => ({ ok: false as const, code: err.code, key: r.key }),
          ),
        ),
      );
      const won = new Map<string, Set<string>>();
      for (const a of answers) {
        if (a.ok) won.set(a.key, (won.get(a.key) ?? new Set()).add(a.id));
        else expect(a.code).toBe('CATALOGUE_OUT_OF_STOCK');
      }
      expect(won.size).toBe(7);
      for (const ids of won.values()) expect(ids.size).toBe(1);
      const row = await pools[1]!.db.selectFrom('loyalty_catalogue_items').select('redeemed_count').where('id', '=', item.id).executeTakeFirstOrThrow();
      expect(Number(row.redeemed_count)).toBe(7);
      const spends = await pools[2]!.db.selectFrom('loyalty_entries').select('id').where('workspace_id', '=', ws).where('kind', '=', 'spend').execute();
      expect(spends).toHaveLength(7);
      expect((await verifyBalances(pools[0]!.db)).mismatches).toEqual([]);
    }, 300_000);
    it('60 members draw at once over three pools, every roll on a prize with a stock of 3: three win it, the rest get the fallback', async () => {
      const ws = 'ws_lot';
      const lot = await createLottery(depsOf(pools[0]!), ws, {
        name: 'Race',
        costPoints: 0,
        prizes: [
          { id: 'bike', name: 'Bike', kind: 'physical', ppm: 1_000, stock: 3 },
          { id: 'thanks', name: 'Thanks', kind: 'none', ppm: 999_000, fallback: true },
        ],
      });
      const draws = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          drawLottery(depsOf(pools[i % 3]!), ws, { profileId: `prf_d${i}`, lotteryId: lot.id, idempotencyKey: `d${i}`, roll: () => 0 }),
        ),
      );
      expect(draws.filter((d) => d.draw.prizeId === 'bike')).toHaveLength(3);
      expect(draws.filter((d) => d.draw.fellBack)).toHaveLength(57);
      const prizes = await pools[1]!.db
        .selectFrom('loyalty_lottery_prizes')
        .select(['id', 'won_count'])
        .where('lottery_id', '=', lot.id)
        .orderBy('position')
        .execute();
      expect(prizes.map((p) => [p.id, Number(p.won_count)])).toEqual([
        ['bike', 3],
        ['thanks', 57],
      ]);
    }, 300_000);
  });
