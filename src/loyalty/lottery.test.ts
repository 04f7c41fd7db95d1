import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import { afterEach, describe, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { pickPrize, rollPpm } from './lottery.draw.js';
import { checkPrizes, type PrizeBody } from './lottery.service.js';
import { memberTestApp } from './testing/member-api-kit.js';

type App = Awaited<ReturnType<typeof memberTestApp>>;

/**
 * The chi-square test of observed counts against a table in ppm: the p-value of the statistic with
 * (lines − 1) degrees of freedom. The threshold: a test fails when p < 0.001, so a correct draw
 * fails one run in a thousand, and a table off by a few percent over these N fails nearly always.
 */
function chiSquareP(counts: number[], ppm: number[], n: number): number {
  const stat = counts.reduce((s, c, i) => {
    const expected = (n * ppm[i]!) / 1_000_000;
    return s + (c - expected) ** 2 / expected;
  }, 0);
  return 1 - chisquareCdf(stat, counts.length - 1);
}
const P_THRESHOLD = 0.001;

const TABLE: PrizeBody[] = [
  { id: 'grand', name: 'Grand prize', kind: 'physical', ppm: 10_000 },
  { id: 'p100', name: '100 points', kind: 'points', ppm: 90_000, points: 100 },
  { id: 'p10', name: '10 points', kind: 'points', ppm: 300_000, points: 10 },
  { id: 'none', name: 'Thanks for playing', kind: 'none', ppm: 600_000, fallback: true },
];

describe('the prize table and the roll', () => {
  it('validates tables: ppm summing to 1,000,000, one fallback that cannot run out, unique ids', () => {
    expect(() => checkPrizes(TABLE)).not.toThrow();
    const code = (t: PrizeBody[]) => {
      try {
        checkPrizes(t);
        return 'ok';
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    expect(code(TABLE.map((p) => (p.id === 'none' ? { ...p, ppm: 599_999 } : p)))).toBe('LOTTERY_INVALID');
    expect(code(TABLE.map((p) => ({ ...p, fallback: false })))).toBe('LOTTERY_INVALID');
    expect(code(TABLE.map((p) => ({ ...p, fallback: true })))).toBe('LOTTERY_INVALID');
    expect(code(TABLE.map((p) => (p.id === 'none' ? { ...p, stock: 5 } : p)))).toBe('LOTTERY_INVALID');
    expect(code([...TABLE.slice(0, 3), { ...TABLE[3]!, id: 'p10' }])).toBe('LOTTERY_INVALID');
    expect(code(TABLE.map((p) => (p.id === 'p10' ? { ...p, points: null } : p)))).toBe('LOTTERY_INVALID');
  });

  it('maps rolls onto the table edges exactly (integers, no float drift)', () => {
    expect([0, 9_999, 10_000, 99_999, 100_000, 399_999, 400_000, 999_999].map((r) => pickPrize(TABLE, r).id)).toEqual([
      'grand',
      'grand',
      'p100',
      'p100',
      'p10',
      'p10',
      'none',
      'none',
    ]);
  });

  it('draws with the declared frequencies: 400,000 crypto rolls, chi-square p ≥ 0.001', () => {
    const n = 400_000;
    const counts = new Map(TABLE.map((p) => [p.id, 0]));
    for (let i = 0; i < n; i++) {
      const id = pickPrize(TABLE, rollPpm()).id;
      counts.set(id, counts.get(id)! + 1);
    }
    const p = chiSquareP(
      TABLE.map((x) => counts.get(x.id)!),
      TABLE.map((x) => x.ppm),
      n,
    );
    expect(p).toBeGreaterThanOrEqual(P_THRESHOLD);
    // The test has power: the same counts against a table shifted by 1 point of percentage are refused.
    const shifted = [10_000, 90_000, 310_000, 590_000];
    expect(
      chiSquareP(
        TABLE.map((x) => counts.get(x.id)!),
        shifted,
        n,
      ),
    ).toBeLessThan(P_THRESHOLD);
  });
});

describeEngines('lottery draws', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('spends the cost, gives the prize, records every draw; a prize out of stock gives the fallback; daily limit; replays', async () => {
    app = await memberTestApp(engine);
    const p = await app.profile('player');
    await app.earn(p, 1000);
    const bad = await app.call('POST', '/v1/loyalty/lotteries', {
      name: 'x',
      costPoints: 10,
      prizes: [{ id: 'a', name: 'a', kind: 'none', ppm: 999_999, fallback: true }],
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'LOTTERY_INVALID']);
    // A 50% prize of 20 points with a stock of 2; the fallback is 1 point.
    const created = await app.call('POST', '/v1/loyalty/lotteries', {
      name: 'Spin',
      costPoints: 10,
      dailyLimit: 6,
      prizes: [
        { id: 'twenty', name: '20 points', kind: 'points', ppm: 500_000, points: 20, stock: 2 },
        { id: 'one', name: '1 point', kind: 'points', ppm: 500_000, points: 1, fallback: true },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const lot = created.body;
    const token = await app.mint(p);
    const draws = [];
    for (let i = 0; i < 6; i++) {
      const r = await app.member(token, 'POST', `/v1/member/lotteries/${lot.id}/draws`, { idempotencyKey: `d${i}` });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      draws.push(r.body.draw);
    }
    const limited = await app.member(token, 'POST', `/v1/member/lotteries/${lot.id}/draws`, { idempotencyKey: 'd6' });
    expect([limited.status, limited.body.error.code]).toEqual([409, 'LOTTERY_DAILY_LIMIT']);
    const replay = await app.member(token, 'POST', `/v1/member/lotteries/${lot.id}/draws`, { idempotencyKey: 'd0' });
    expect([replay.replayed, replay.body.draw.id]).toEqual([true, draws[0].id]);
    const twenties = draws.filter((d) => d.prizeId === 'twenty').length;
    expect(twenties).toBeLessThanOrEqual(2);
    // Every roll on "twenty" past its stock fell back to "one".
    const rolledTwenty = draws.filter((d) => d.rolledPrizeId === 'twenty').length;
    expect(draws.filter((d) => d.fellBack)).toHaveLength(Math.max(0, rolledTwenty - 2));
    const balance = 1000 - 6 * 10 + twenties * 20 + (6 - twenties) * 1;
    expect((await app.member(token, 'GET', '/v1/member/points')).body.balance).toBe(balance);
    const view = (await app.call('GET', `/v1/loyalty/lotteries/${lot.id}`)).body;
    expect(view.prizes.map((x: { won: number }) => x.won)).toEqual([twenties, 6 - twenties]);
    const listed = await app.call('GET', `/v1/loyalty/lotteries/${lot.id}/draws?limit=100&profile=${p}`);
    expect(listed.body.data).toHaveLength(6);
    expect((await app.timeline(p, 'Lottery Drawn')).length).toBe(6);
    // The next local day the limit starts again; paused lotteries refuse.
    app.t.clock.advance(86_400_000);
    const tomorrow = await app.mint(p);
    expect((await app.member(tomorrow, 'POST', `/v1/member/lotteries/${lot.id}/draws`, { idempotencyKey: 'next-day' })).status).toBe(200);
    await app.call('PATCH', `/v1/loyalty/lotteries/${lot.id}`, { status: 'paused' });
    expect((await app.member(tomorrow, 'POST', `/v1/member/lotteries/${lot.id}/draws`, { idempotencyKey: 'paused' })).body.error.code).toBe('LOTTERY_INACTIVE');
    // Too few points: nothing drawn, nothing spent.
    const poor = await app.profile('poor');
    await app.call('PATCH', `/v1/loyalty/lotteries/${lot.id}`, { status: 'active' });
    const pt = await app.mint(poor);
    expect((await app.member(pt, 'POST', `/v1/member/lotteries/${lot.id}/draws`, { idempotencyKey: 'x' })).body.error.code).toBe('INSUFFICIENT_POINTS');
    expect(await app.mismatches()).toEqual([]);
  });

  it('edits the prize table: probabilities must sum to 1, stock not below what was given, drawn lines kept; later draws follow the new table', async () => {
    app = await memberTestApp(engine);
    const p = await app.profile('player');
    await app.earn(p, 1000);
    const lot = (
      await app.call('POST', '/v1/loyalty/lotteries', {
        name: 'Spin',
        costPoints: 1,
        prizes: [
          { id: 'ten', name: '10 points', kind: 'points', ppm: 1_000_000, points: 10, stock: 5 },
          { id: 'none', name: 'Thanks', kind: 'none', ppm: 0, fallback: true },
        ],
      })
    ).body;
    const token = await app.mint(p);
    for (const k of ['a', 'b'])
      expect((await app.member(token, 'POST', `/v1/member/lotteries/${lot.id}/draws`, { idempotencyKey: k })).body.draw.prizeId).toBe('ten');
    const put = (prizes: unknown[]) => app.call('PUT', `/v1/loyalty/lotteries/${lot.id}/prizes`, { prizes });
    const sum = await put([
      { id: 'ten', name: '10 points', kind: 'points', ppm: 400_000, points: 10, stock: 5 },
      { id: 'none', name: 'Thanks', kind: 'none', ppm: 500_000, fallback: true },
    ]);
    expect([sum.status, sum.body.error.code, sum.body.error.message]).toEqual([
      400,
      'LOTTERY_INVALID',
      'prize probabilities must sum to 1000000 ppm (1), they sum to 900000',
    ]);
    const low = await put([
      { id: 'ten', name: '10 points', kind: 'points', ppm: 0, points: 10, stock: 1 },
      { id: 'none', name: 'Thanks', kind: 'none', ppm: 1_000_000, fallback: true },
    ]);
    expect([low.status, low.body.error.code, low.body.error.details]).toEqual([400, 'LOTTERY_INVALID', { prizeId: 'ten', won: 2 }]);
    const gone = await put([{ id: 'none', name: 'Thanks', kind: 'none', ppm: 1_000_000, fallback: true }]);
    expect([gone.status, gone.body.error.details]).toEqual([400, { prizeId: 'ten', draws: 2 }]);
    // A valid table: "ten" off (ppm 0, keeps what it gave), a new 5-point line at 100%.
    const ok = await put([
      { id: 'five', name: '5 points', kind: 'points', ppm: 1_000_000, points: 5, stock: null },
      { id: 'ten', name: '10 points', kind: 'points', ppm: 0, points: 10, stock: 2 },
      { id: 'none', name: 'Thanks for playing', kind: 'none', ppm: 0, fallback: true },
    ]);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.prizes.map((x: any) => [x.id, x.ppm, x.won, x.left, x.fallback])).toEqual([
      ['five', 1_000_000, 0, null, false],
      ['ten', 0, 2, 0, false],
      ['none', 0, 0, null, true],
    ]);
    expect((await app.member(token, 'POST', `/v1/member/lotteries/${lot.id}/draws`, { idempotencyKey: 'c' })).body.draw.prizeId).toBe('five');
    expect((await app.call('GET', `/v1/loyalty/lotteries/${lot.id}/draws?limit=10`)).body.data).toHaveLength(3);
    expect(await app.mismatches()).toEqual([]);
  });

  it('recorded draws match the table (1,200 draws through the service, chi-square p ≥ 0.001)', async () => {
    app = await memberTestApp(engine);
    const p = await app.profile('many');
    const lot = (
      await app.call('POST', '/v1/loyalty/lotteries', {
        name: 'Free spin',
        costPoints: 0,
        prizes: [
          { id: 'a', name: 'A', kind: 'physical', ppm: 200_000 },
          { id: 'b', name: 'B', kind: 'physical', ppm: 300_000 },
          { id: 'c', name: 'C', kind: 'none', ppm: 500_000, fallback: true },
        ],
      })
    ).body;
    const { drawLottery } = await import('./lottery.draw.js');
    const deps = { ...app.deps(), keys: app.t.services.keys };
    const n = 1200;
    for (let i = 0; i < n; i++) await drawLottery(deps, app.t.workspaceId, { profileId: p, lotteryId: lot.id, idempotencyKey: `k${i}` });
    const rows = await app.t.database.db.selectFrom('loyalty_lottery_draws').select('prize_id').where('lottery_id', '=', lot.id).execute();
    expect(rows).toHaveLength(n);
    const counts = ['a', 'b', 'c'].map((id) => rows.filter((r) => r.prize_id === id).length);
    expect(chiSquareP(counts, [200_000, 300_000, 500_000], n)).toBeGreaterThanOrEqual(P_THRESHOLD);
  }, 300_000);

  it('a prize out of stock gives the declared fallback (rolls fixed on the prize)', async () => {
    app = await memberTestApp(engine);
    const p = await app.profile('lucky');
    await app.earn(p, 100);
    const lot = (
      await app.call('POST', '/v1/loyalty/lotteries', {
        name: 'Stocked',
        costPoints: 5,
        prizes: [
          { id: 'bag', name: 'Bag', kind: 'physical', ppm: 10_000, stock: 2 },
          { id: 'consolation', name: '2 points', kind: 'points', ppm: 990_000, points: 2, fallback: true },
        ],
      })
    ).body;
    const { drawLottery } = await import('./lottery.draw.js');
    const deps = { ...app.deps(), keys: app.t.services.keys };
    const given = [];
    for (let i = 0; i < 4; i++)
      given.push((await drawLottery(deps, app.t.workspaceId, { profileId: p, lotteryId: lot.id, idempotencyKey: `s${i}`, roll: () => 0 })).draw);
    expect(given.map((d) => [d.rolledPrizeId, d.prizeId, d.fellBack])).toEqual([
      ['bag', 'bag', false],
      ['bag', 'bag', false],
      ['bag', 'consolation', true],
      ['bag', 'consolation', true],
    ]);
    const view = (await app.call('GET', `/v1/loyalty/lotteries/${lot.id}`)).body;
    expect(view.prizes.map((x: { won: number; left: number | null }) => [x.won, x.left])).toEqual([
      [2, 0],
      [2, null],
    ]);
    expect((await app.call('GET', `/v1/profiles/${p}/points`)).body.balance).toBe(100 - 4 * 5 + 2 * 2);
    expect(await app.mismatches()).toEqual([]);
  });
});
