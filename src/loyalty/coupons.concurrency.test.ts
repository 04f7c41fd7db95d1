import { createHub } from '../platform/hub.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../../test/support/engines.js';
import { createTokenSigner } from '../platform/crypto.js';
import { type Database, openDatabase } from '../platform/db/database.js';
import type { AppError } from '../platform/errors.js';
import type { KeyResolver } from '../platform/workspaces.js';
import { migrateSiyu } from '../server/migrations.js';
import { redeemCoupon } from './coupons.orders.js';
import { issueCoupon } from './coupons.service.js';
import { createTemplate } from './coupons.templates.js';
import type { LoyaltyDeps } from './deps.js';
import { couponsTestApp } from './testing/coupons-kit.js';

const START = Date.parse('2026-11-03T04:00:00Z');

/** Outcome of many concurrent redemptions of one code: `[key, redemption id | error code]`. */
function checkOneWinner(answers: [string, string][]): void {
  const wins = answers.filter(([, r]) => r.startsWith('cpr_'));
  // One redemption; every success names it (the winner's key sent twice answers it twice).
  expect(new Set(wins.map(([, r]) => r)).size).toBe(1);
  expect(new Set(wins.map(([k]) => k)).size).toBe(1);
  for (const [, r] of answers) if (!r.startsWith('cpr_')) expect(r).toBe('COUPON_ALREADY_REDEEMED');
}

describe('the same code redeemed concurrently succeeds once [sqlite, through the API]', () => {
  it('one redemption, the rest COUPON_ALREADY_REDEEMED; concurrent issues never oversell stock or the per-person limit', async () => {
    const app = await couponsTestApp('sqlite', { clockStart: START });
    try {
      const p = await app.profile('m');
      await app.template({ key: 't', name: 'x', kind: 'fixed', amountFen: 100, validity: { days: 9 }, stock: 100 });
      const c = await app.issue('t', p, 'seed');
      // Every key twice, at the same time, each for its own order.
      const keys = Array.from({ length: 200 }, (_, i) => `k${i % 100}`);
      const answers = await Promise.all(
        keys.map(async (k): Promise<[string, string]> => {
          const r = await app.call('POST', '/v1/loyalty/coupons/redeem', {
            code: c.code,
            profile: p,
            orderId: `o-${k}`,
            orderAmountFen: 1000,
            idempotencyKey: k,
          });
          return [k, r.status === 200 ? r.body.redemption.id : r.body.error.code];
        }),
      );
      checkOneWinner(answers);
      expect(answers.filter(([, r]) => r.startsWith('cpr_'))).toHaveLength(2);

      const others = await Promise.all(Array.from({ length: 150 }, (_, i) => app.profile(`p${i}`)));
      const issued = await Promise.all(
        others.flatMap((q, i) => [0, 1].map((j) => app.call('POST', '/v1/loyalty/coupons/issue', { template: 't', profile: q, idempotencyKey: `i${i}-${j}` }))),
      );
      expect(issued.filter((r) => r.status === 200)).toHaveLength(99); // stock 100, one issued before
      expect(new Set(issued.filter((r) => r.status !== 200).map((r) => r.body.error.code))).toEqual(new Set(['COUPON_OUT_OF_STOCK']));
      await app.template({ key: 'pp', name: 'three each', kind: 'fixed', amountFen: 100, validity: { days: 9 }, perPersonLimit: 3 });
      const mine = await Promise.all(
        Array.from({ length: 20 }, (_, i) => app.call('POST', '/v1/loyalty/coupons/issue', { template: 'pp', profile: p, idempotencyKey: `m${i}` })),
      );
      expect(mine.filter((r) => r.status === 200)).toHaveLength(3);
      expect(new Set(mine.filter((r) => r.status !== 200).map((r) => r.body.error.code))).toEqual(new Set(['COUPON_LIMIT_REACHED']));
      expect((await app.call('GET', '/v1/loyalty/coupon-templates/t/stats')).body).toMatchObject({ created: 100, issued: 100, redeemed: 1 });
    } finally {
      await app.close();
    }
  }, 300_000);
});

if (ENGINES.includes('postgres'))
  describe('the same code redeemed concurrently succeeds once [postgres, three pools]', () => {
    const url = process.env.SIYU_TEST_POSTGRES_URL!;
    const schema = `siyu_cc_${randomBytes(5).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'siyu-coupons-'));
    let pools: Database[] = [];
    const depsOf = (database: Database): LoyaltyDeps => ({
      database,
      now: () => START,
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

    it('one redemption whichever connection; issues across connections never oversell stock or the per-person limit', async () => {
      const ws = 'ws_cc';
      await createTemplate(depsOf(pools[0]!), ws, { key: 't', name: 'x', kind: 'fixed', amountFen: 100, validity: { days: 9 }, stock: 60, perPersonLimit: 2 });
      const { coupon } = await issueCoupon(depsOf(pools[1]!), ws, { template: 't', profile: 'prf_m', idempotencyKey: 'seed' });
      const keys = Array.from({ length: 150 }, (_, i) => `k${i % 75}`);
      const answers = await Promise.all(
        keys.map(async (k, i): Promise<[string, string]> => {
          try {
            const body = { code: coupon.code, profile: 'prf_m', orderId: `o-${k}`, orderAmountFen: 1000, idempotencyKey: k };
            return [k, (await redeemCoupon(depsOf(pools[i % 3]!), ws, body)).redemption.id];
          } catch (err) {
            return [k, (err as AppError).code];
          }
        }),
      );
      checkOneWinner(answers);

      const issues = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          issueCoupon(depsOf(pools[i % 3]!), ws, { template: 't', profile: `prf_${i % 40}`, idempotencyKey: `i${i}` }).then(
            () => 'ok',
            (err: AppError) => err.code,
          ),
        ),
      );
      // 40 members × 2 would be 80; the stock of 60 (one already issued) stops at 59.
      expect(issues.filter((r) => r === 'ok')).toHaveLength(59);
      const held = await pools[2]!.db.selectFrom('coupons').select(['profile_id']).where('workspace_id', '=', ws).execute();
      const perMember = new Map<string, number>();
      for (const h of held) perMember.set(h.profile_id!, (perMember.get(h.profile_id!) ?? 0) + 1);
      expect(Math.max(...perMember.values())).toBeLessThanOrEqual(2);
      expect(held).toHaveLength(60);
    });
  });
