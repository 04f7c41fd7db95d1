import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../../test/support/engines.js';
import { type Database, openDatabase } from '../platform/db/database.js';
import type { AppError } from '../platform/errors.js';
import { migrateSiyu } from '../server/migrations.js';
import type { PostingResult } from './ledger.service.js';
import { postWithRetries } from './points.service.js';
import { loyaltyTestApp } from './test-kit.js';
import { verifyBalances } from './verify.js';

const SPENDS = 1000;
const BALANCE = 500;

/** Checks the outcome of many concurrent one-point spends (some keys sent twice) against a balance of BALANCE. */
function checkOutcome(answers: { key: string; ok: boolean; entryId?: string; code?: string }[]): void {
  const byKey = new Map<string, Set<string>>();
  for (const a of answers) {
    if (!a.ok) expect(a.code).toBe('INSUFFICIENT_POINTS');
    else byKey.set(a.key, (byKey.get(a.key) ?? new Set()).add(a.entryId!));
  }
  // Each key had one effect: every answer that succeeded for it names the same entry.
  for (const ids of byKey.values()) expect(ids.size).toBe(1);
  // Never overdrawn, nothing lost: exactly the balance was spent, by BALANCE different keys.
  expect(byKey.size).toBe(BALANCE);
}

// SQLite: one process, one writer, through the API.
describe('1,000 concurrent redemptions against one member [sqlite, through the API]', () => {
  it('never overdraw, never double-spend, a retried key answers the first answer', async () => {
    const app = await loyaltyTestApp('sqlite');
    try {
      const p = await app.profile('m');
      await app.api('POST', '/v1/loyalty/points/earn', { profile: p, points: BALANCE, reason: 'seed', idempotencyKey: 'seed' });
      // Every tenth key is sent twice, at the same time.
      const keys = [...Array.from({ length: SPENDS }, (_, i) => `k${i}`), ...Array.from({ length: SPENDS / 10 }, (_, i) => `k${i * 10}`)];
      const answers = await Promise.all(
        keys.map(async (key) => {
          const r = await app.api('POST', '/v1/loyalty/points/spend', { profile: p, points: 1, reason: 'redeem', idempotencyKey: key });
          return r.status === 200 ? { key, ok: true, entryId: r.body.entry.id as string } : { key, ok: false, code: r.body.error.code as string };
        }),
      );
      checkOutcome(answers);
      expect((await app.api('GET', `/v1/profiles/${p}/points`)).body.balance).toBe(0);
      expect(await verifyBalances(app.t.database.db)).toEqual({ accounts: 1, mismatches: [] });
    } finally {
      await app.close();
    }
  }, 300_000);
});

// PostgreSQL: three pools on one schema, as three server processes would be (when the run has PostgreSQL).
if (ENGINES.includes('postgres'))
  describe('1,000 concurrent redemptions against one member [postgres, three pools]', () => {
    const url = process.env.SIYU_TEST_POSTGRES_URL!;
    const schema = `siyu_c_${randomBytes(5).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'siyu-loyalty-'));
    let pools: Database[] = [];

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

    const now = () => Date.parse('2026-11-03T04:00:00Z');
    const spend = (db: Database, profileId: string, key: string, kind: 'spend' | 'earn' = 'spend', points = 1) =>
      postWithRetries(db, { workspaceId: 'ws_c', profileId, kind, points, reason: 'redeem', source: { type: 'api', id: null }, idempotencyKey: key }, now);

    it('never overdraw and never double-spend; the same key sent twice at once has one effect', async () => {
      const p = 'prf_member';
      await spend(pools[0]!, p, 'seed', 'earn', BALANCE);
      const keys = [...Array.from({ length: SPENDS }, (_, i) => `k${i}`), ...Array.from({ length: SPENDS / 10 }, (_, i) => `k${i * 10}`)];
      const answers = await Promise.all(
        keys.map(async (key, i) => {
          try {
            const r: PostingResult = await spend(pools[i % 3]!, p, key);
            return { key, ok: true, entryId: r.entry.id };
          } catch (err) {
            return { key, ok: false, code: (err as AppError).code };
          }
        }),
      );
      checkOutcome(answers);
      const account = await pools[1]!.db.selectFrom('loyalty_accounts').select('balance').where('profile_id', '=', p).executeTakeFirstOrThrow();
      expect(Number(account.balance)).toBe(0);
      expect((await verifyBalances(pools[2]!.db)).mismatches).toEqual([]);
    });

    it('one key sent for two members at once: one posting, the other a conflict (the unique key decides)', async () => {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          spend(pools[i % 3]!, `prf_${i % 2}`, `shared-${Math.floor(i / 2)}`, 'earn', 5).then(
            () => 'ok',
            (err: AppError) => err.code,
          ),
        ),
      );
      expect(answers.filter((a) => a === 'ok')).toHaveLength(20);
      expect(answers.filter((a) => a === 'IDEMPOTENCY_CONFLICT')).toHaveLength(20);
      expect((await verifyBalances(pools[0]!.db)).mismatches).toEqual([]);
    });
  });
