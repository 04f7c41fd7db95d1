import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import type { LoyaltyPort } from '../journeys/index.js';
import { journeyTestApp } from '../journeys/test-kit.js';
import { awardPointsWith } from './port.js';
import { verifyBalances } from './verify.js';

type App = Awaited<ReturnType<typeof journeyTestApp>>;

describeEngines("journeys' award step through the points ledger and coupons", (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  const balance = async (p: string) => (await app.api('GET', `/v1/profiles/${p}/points`)).body.balance as number;

  it('gives the points once, even when the step is run again after its transaction rolled back, and publishes without a points warning', async () => {
    let calls = 0;
    let failOnce = true;
    const real: LoyaltyPort['awardPoints'] = (trx, input) => awardPointsWith(app.t.database.dialect)(trx, input);
    // The root's port, wrapped: the first call awards and then fails, as a crash after the award would;
    // the executor's transaction rolls back and the step runs again.
    const loyalty: LoyaltyPort = {
      awardPoints: async (trx, input) => {
        calls++;
        const r = await real(trx, input);
        if (failOnce) {
          failOnce = false;
          throw new Error('crashed after the award');
        }
        return r;
      },
    };
    app = await journeyTestApp(engine, { deps: { loyalty } });
    const p = await app.profile('u1');
    const c = await app.api('POST', '/v1/journeys', {
      name: 'welcome points',
      definition: { trigger: { type: 'manual' }, steps: [{ id: 'award', type: 'award', points: 25, reason: 'welcome' }] },
    });
    const published = await app.api('POST', `/v1/journeys/${c.body.id}/publish`);
    // The route's deps are the root's, which install the ledger: points award without a warning.
    expect(published.body.warnings).toEqual([]);
    await app.api('POST', `/v1/journeys/${c.body.id}/enter`, { profileIds: [p] });
    await app.tick();
    expect(calls).toBe(2);
    expect(await balance(p)).toBe(25);
    const history = (await app.api('GET', `/v1/profiles/${p}/points/history`)).body.data;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      kind: 'earn',
      points: 25,
      reason: 'welcome',
      source: { type: 'journey', id: expect.stringMatching(/^journey:jst_.*:award:1:points$/) },
    });
    const [state] = await app.states(c.body.id);
    expect(state.status).toBe('completed');
    // The port called again with the step's key after the commit (a worker re-running it): one effect.
    const again = await app.t.database.db.transaction().execute((trx) =>
      real(trx, {
        workspaceId: app.t.workspaceId,
        profileId: p,
        points: 25,
        reason: 'welcome',
        idempotencyKey: history[0].idempotencyKey,
        now: app.t.clock.now(),
      }),
    );
    expect(again).toEqual({ ok: true, detail: `entry ${history[0].id}, balance 25` });
    expect(await balance(p)).toBe(25);
    expect((await verifyBalances(app.t.database.db)).mismatches).toEqual([]);
  });

  it("the root's journeys engine gives the points and issues the coupon, without a publish warning; a template that cannot issue warns", async () => {
    app = await journeyTestApp(engine);
    const p = await app.profile('u1');
    const tpl = await app.api('POST', '/v1/loyalty/coupon-templates', { key: 'c1', name: '¥10', kind: 'fixed', amountFen: 1000, validity: { days: 7 } });
    const c = await app.api('POST', '/v1/journeys', {
      name: 'both',
      definition: { trigger: { type: 'manual' }, steps: [{ id: 'award', type: 'award', points: 40, couponTemplateId: 'c1' }] },
    });
    const published = await app.api('POST', `/v1/journeys/${c.body.id}/publish`);
    expect(published.body.warnings).toEqual([]);
    await app.api('POST', `/v1/journeys/${c.body.id}/enter`, { profileIds: [p] });
    await app.tick();
    expect(await balance(p)).toBe(40);
    const [coupon] = (await app.api('GET', `/v1/profiles/${p}/coupons`)).body.data;
    expect(coupon).toMatchObject({ templateId: tpl.body.id, status: 'issued', channel: 'journey', reason: `journey ${c.body.id}` });
    const log = await app.t.database.db
      .selectFrom('journey_step_log' as any)
      .select(['outcome'])
      .where('journey_id', '=', c.body.id)
      .execute();
    expect(log.map((l: any) => l.outcome)).toEqual([`points:40, coupon:${coupon.code}`]);

    // Paused, the template warns at publish; the points are still given.
    const paused = await app.api('POST', '/v1/loyalty/coupon-templates', { key: 'c2', name: 'paused', kind: 'fixed', amountFen: 1, validity: { days: 1 } });
    await app.t.app.inject({
      method: 'PATCH',
      url: `/v1/loyalty/coupon-templates/${paused.body.id}`,
      headers: { authorization: `Bearer ${app.t.secretKey}` },
      payload: { status: 'paused' },
    });
    const d = await app.api('POST', '/v1/journeys', {
      name: 'paused',
      definition: { trigger: { type: 'manual' }, steps: [{ id: 'award', type: 'award', points: 5, couponTemplateId: 'c2' }] },
    });
    expect((await app.api('POST', `/v1/journeys/${d.body.id}/publish`)).body.warnings).toEqual([
      {
        code: 'AWARD_WITHOUT_LOYALTY',
        stepId: 'award',
        message: 'step "award" issues coupons of template "c2", which is paused: the points are given and the coupon is refused until it can issue',
      },
    ]);
  });
});
