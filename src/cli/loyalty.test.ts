import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeEngines, openTestDatabase } from '../../test/support/engines.js';
import { postWithRetries } from '../loyalty/index.js';
import { openDatabase, type Database } from '../platform/db/database.js';
import { loyaltyVerifyCommand } from './loyalty.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const now = () => Date.parse('2026-11-03T04:00:00Z');

/** Two members with a few postings each, through the ledger. */
async function seed(database: Database, ws: string): Promise<void> {
  const post = (profileId: string, kind: 'earn' | 'spend', points: number, key: string) =>
    postWithRetries(database, { workspaceId: ws, profileId, kind, points, reason: 'test', source: { type: 'api', id: null }, idempotencyKey: key }, now);
  await post('prf_a', 'earn', 100, 'a1');
  await post('prf_a', 'spend', 30, 'a2');
  await post('prf_b', 'earn', 50, 'b1');
}

describeEngines('siyu loyalty verify', (engine) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await close?.();
  });

  it('reports nothing and answers 0 on a sound ledger; names the account and answers 1 when a balance was changed behind its back', async () => {
    const d = await openTestDatabase(engine);
    close = d.close;
    await seed(d, 'ws_v');
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    expect(await loyaltyVerifyCommand(d, {})).toBe(0);
    expect(out.join('')).toMatch(/2 accounts checked .*: every balance equals the sum of its entries/);
    // Planted: a cached balance changed by direct SQL, as a bug or a hand edit would.
    await d.db.updateTable('loyalty_accounts').set({ balance: 71 }).where('profile_id', '=', 'prf_a').execute();
    out.length = 0;
    expect(await loyaltyVerifyCommand(d, { json: true })).toBe(1);
    expect(JSON.parse(out.join(''))).toEqual({
      ok: false,
      accounts: 2,
      mismatches: [{ workspaceId: 'ws_v', profileId: 'prf_a', cached: 71, entries: 70, lots: 70, lastSeq: 2, entryCount: 2 }],
    });
    // A lost entry shows too (the seq count and the sums no longer agree).
    await d.db.updateTable('loyalty_accounts').set({ balance: 70 }).where('profile_id', '=', 'prf_a').execute();
    await d.db.deleteFrom('loyalty_entries').where('idempotency_key', '=', 'b1').execute();
    out.length = 0;
    expect(await loyaltyVerifyCommand(d, { workspace: 'ws_v' })).toBe(1);
    expect(out.join('')).toMatch(/MISMATCH ws_v prf_b: cached 50, entries sum 0, lots hold 0, last seq 1 for 0 entries/);
  });
});

describe('siyu loyalty verify (the command, SQLite)', () => {
  it('exits 0 on a sound ledger and 1 with a planted mismatch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'siyu-cli-loyalty-'));
    try {
      const env = { ...process.env, SIYU_DATA_DIR: dir, SIYU_LOG_LEVEL: 'warn', DATABASE_URL: '', SIYU_ENCRYPTION_KEY: '' };
      const siyu = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/siyu.js'), ...args], { env, cwd: dir, encoding: 'utf8' });
      const empty = siyu('loyalty', 'verify');
      expect(empty.status, empty.stderr).toBe(0);
      expect(empty.stdout).toContain('0 accounts checked');
      const d = openDatabase({ dataDir: dir });
      await seed(d, 'ws_cli');
      await d.db.updateTable('loyalty_accounts').set({ balance: 49 }).where('profile_id', '=', 'prf_b').execute();
      await d.close();
      const bad = siyu('loyalty', 'verify');
      expect(bad.status, bad.stderr).toBe(1);
      expect(bad.stdout).toContain('MISMATCH ws_cli prf_b: cached 49, entries sum 50, lots hold 50');
      expect(bad.stdout).toMatch(/2 accounts checked .*: 1 mismatch/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Two processes start from the TypeScript sources when the build is older than them: seconds each on a loaded machine.
  }, 180_000);
});
