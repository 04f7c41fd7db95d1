import { afterEach, expect, it, vi } from 'vitest';
import { describeEngines, openTestDatabase } from '../../test/support/engines.js';
import { postWithRetries } from '../loyalty/index.js';
import { loyaltyExpireCommand, loyaltyVerifyCommand } from './loyalty.js';

const T0 = Date.parse('2026-11-03T04:00:00Z');

describeEngines('siyu loyalty expire', (engine) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await close?.();
  });

  it('expires what is due (only in the workspace asked for), once, and leaves verify clean; verify names a pending that holds do not explain', async () => {
    const d = await openTestDatabase(engine);
    close = d.close;
    const earn = (ws: string, profileId: string, points: number, key: string, expiresAt: number | null) =>
      postWithRetries(
        d,
        { workspaceId: ws, profileId, kind: 'earn', points, reason: 't', source: { type: 'api', id: null }, idempotencyKey: key, expiresAt },
        () => T0,
      );
    await earn('ws_a', 'prf_1', 30, 'a1', T0 + 1000);
    await earn('ws_a', 'prf_1', 5, 'a2', null);
    await earn('ws_b', 'prf_2', 40, 'b1', T0 + 1000);
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    expect(await loyaltyExpireCommand(d, { workspace: 'ws_a', json: true }, T0 + 2000)).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({ ok: true, accounts: 1, lots: 1, points: 30, notices: 0 });
    out.length = 0;
    expect(await loyaltyExpireCommand(d, {}, T0 + 2000)).toBe(0);
    expect(out.join('')).toMatch(/expired 1 lot\(s\), 40 points, in 1 account\(s\)/);
    out.length = 0;
    await loyaltyExpireCommand(d, {}, T0 + 3000);
    expect(out.join('')).toMatch(/expired 0 lot\(s\)/);
    const balances = await d.db.selectFrom('loyalty_accounts').select(['profile_id', 'balance']).orderBy('profile_id').execute();
    expect(balances.map((b) => [b.profile_id, Number(b.balance)])).toEqual([
      ['prf_1', 5],
      ['prf_2', 0],
    ]);
    out.length = 0;
    expect(await loyaltyVerifyCommand(d, {})).toBe(0);
    // Planted: pending points no held award explains.
    await d.db.updateTable('loyalty_accounts').set({ pending: 7 }).where('profile_id', '=', 'prf_2').execute();
    out.length = 0;
    expect(await loyaltyVerifyCommand(d, {})).toBe(1);
    expect(out.join('')).toMatch(/MISMATCH ws_b prf_2: .*pending 7 but holds keep 0/);
  });
});
