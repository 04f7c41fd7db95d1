import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import type { LoyaltyPort } from './deps.js';
import { createExecutor } from './executor.js';
import { getJourney } from './journeys.service.js';
import { publishJourney } from './publish.service.js';
import { recipeByName } from './recipes.js';
import { journeyTestApp } from './test-kit.js';
import { journeyTimelineSource } from './timeline.js';

const MIN = 60_000;
/** A JSON column (text on SQLite, parsed on PostgreSQL). */
const json = (v: unknown): any => (typeof v === 'string' ? JSON.parse(v) : v);

/** Issue #15 §1: a step that cannot do its job does not look done (statistics, timeline), and publishing says so beforehand. */
describeEngines('honest step outcomes and publish warnings', (engine) => {
  let app: Awaited<ReturnType<typeof journeyTestApp>>;
  afterEach(async () => app?.close());

  const stats = async (id: string) => (await app.api('GET', `/v1/journeys/${id}/stats`)).body;
  const log = async (id: string) =>
    (await app.t.database.db
      .selectFrom('journey_step_log' as any)
      .select(['step_id', 'outcome'])
      .where('journey_id', '=', id)
      .orderBy('state_id')
      .orderBy('seq')
      .execute()) as { step_id: string; outcome: string }[];

  it('birthday recipe before its coupon template exists: publish warns, the coupon step counts as failed in the statistics and on the timeline, the greeting promises no coupon', async () => {
    app = await journeyTestApp(engine, { clockStart: Date.parse('2026-11-02T16:30:00Z') }); // 00:30 on 11-03 in Shanghai
    const p = await app.profile('bd', { name: '小美', birthday: '1995-11-03' });
    const res = await app.api('POST', '/v1/journeys/recipes/birthday_coupon/import', { publish: true });
    expect(res.status).toBe(201);
    const warning = {
      code: 'AWARD_WITHOUT_LOYALTY',
      stepId: 'coupon',
      message:
        'step "coupon" issues coupons of template "birthday", which does not exist in this workspace (create it with that key: POST /v1/loyalty/coupon-templates): the step will fail (counted as failed in the statistics) and the journey will go on until it can issue',
    };
    // The route's deps are the root's: its channel check (messaging's configurations, the SCRM
    // connection for wecom) finds no WeCom connection in this workspace, so the greeting warns too.
    const channel = { code: 'CHANNEL_NOT_CONFIGURED', stepId: 'greet', message: expect.stringContaining('sends on wecom, which is not configured') };
    expect(res.body.warnings).toEqual([warning, channel]);
    const id = res.body.id as string;
    expect((await app.api('GET', `/v1/journeys/${id}`)).body.publishWarnings).toEqual([warning, channel]);
    expect((await app.api('GET', '/v1/journeys')).body.data[0].publishWarnings).toEqual([warning, channel]);

    app.t.clock.advance(MIN);
    await app.tick();
    app.t.clock.set(Date.parse('2026-11-03T01:00:00Z')); // 09:00
    await app.tick();
    const s = await stats(id);
    const refused = 'failed: coupon refused: COUPON_TEMPLATE_NOT_FOUND: no coupon template with id or key "birthday" in this workspace';
    expect([s.passed, s.skipped, s.failedSteps, s.reasons]).toEqual([{ morning: 1, greet: 1 }, {}, { coupon: 1 }, { coupon: { [refused]: 1 } }]);

    // The profile's timeline (the journeys source the root adds to cdp's timeline), newest first, a page at a time.
    const source = journeyTimelineSource();
    const all = await source(app.t.database.db, app.t.workspaceId, [p], { limit: 10 });
    expect(all.map((r) => [r.event, (r.payload.properties as any).step_id, (r.payload.properties as any).result])).toEqual([
      ['Journey Step', 'greet', 'passed'],
      ['Journey Step', 'coupon', 'failed'],
      ['Journey Step', 'morning', 'passed'],
    ]);
    expect(all[1]!.payload.properties).toMatchObject({
      journey_id: id,
      journey_name: 'Birthday greeting with coupon',
      outcome: refused,
    });
    const first = await source(app.t.database.db, app.t.workspaceId, [p], { limit: 1 });
    const next = await source(app.t.database.db, app.t.workspaceId, [p], {
      limit: 2,
      before: { timestamp: first[0]!.timestamp, messageId: first[0]!.messageId },
    });
    expect([...first, ...next].map((r) => r.messageId)).toEqual(all.map((r) => r.messageId));
    expect(await source(app.t.database.db, app.t.workspaceId, [p], { limit: 10, event: 'Segment Entered' })).toEqual([]);

    // The greeting mentions a coupon only when one was issued.
    const greet = recipeByName('birthday_coupon')
      .build({})
      .steps.find((x) => x.id === 'greet') as { content: Record<string, unknown> };
    const tpl = await app.api('POST', '/v1/templates', { name: 'greet', channel: 'wecom', variants: { 'zh-CN': greet.content } });
    const preview = async (data: Record<string, unknown>) =>
      JSON.stringify((await app.api('POST', `/v1/templates/${tpl.body.id}/preview`, { profileId: p, data })).body);
    expect(await preview({})).toContain('小美，生日快乐！');
    expect(await preview({})).not.toContain('优惠券');
    expect(await preview({ coupon_code: 'BD-7' })).toContain('送您一张生日专属优惠券（券码 BD-7）');
  });

  it("with a loyalty module: no warning, the coupon's code reaches the later send, a refusal counts as a failed step and the journey goes on", async () => {
    let refuse = false;
    const loyalty: LoyaltyPort = {
      awardPoints: async () => ({ ok: true }),
      issueCoupon: async () => (refuse ? { ok: false, reason: 'out of stock' } : { ok: true, couponCode: 'C-42' }),
    };
    app = await journeyTestApp(engine, { deps: { loyalty, channelConfigured: async () => true } });
    const a = await app.profile('a');
    const b = await app.profile('b');
    const c = await app.api('POST', '/v1/journeys', {
      name: 'coupon',
      definition: {
        trigger: { type: 'manual' },
        steps: [
          { id: 'award', type: 'award', couponTemplateId: 'c1', next: 'send' },
          { id: 'send', type: 'send', channel: 'sms', content: { templateCode: 'SMS_1', params: { code: '{{ data.coupon_code }}' } } },
        ],
      },
    });
    const published = await publishJourney(app.deps, app.t.workspaceId, c.body.id);
    expect([published.version, published.warnings]).toEqual([1, []]);
    expect((await getJourney(app.deps, app.t.workspaceId, c.body.id)).publishWarnings).toEqual([]);
    const executor = createExecutor(app.deps);
    await app.api('POST', `/v1/journeys/${c.body.id}/enter`, { profileIds: [a] });
    while ((await executor.runOnce()).claimed > 0);
    refuse = true;
    await app.api('POST', `/v1/journeys/${c.body.id}/enter`, { profileIds: [b] });
    while ((await executor.runOnce()).claimed > 0);
    const msgs = await app.messages(c.body.id);
    // Both entered at the same clock reading: compared by profile, not by order.
    expect(Object.fromEntries(msgs.map((m) => [m.profile_id, json(m.data).data.coupon_code ?? null]))).toEqual({ [a]: 'C-42', [b]: null });
    const states = await app.states(c.body.id);
    expect(Object.fromEntries(states.map((s) => [s.subject_id, `${s.status} ${json(s.context).coupon_code ?? '-'}`]))).toEqual({
      [a]: 'completed C-42',
      [b]: 'completed -',
    });
    const s = await stats(c.body.id);
    expect([s.passed, s.skipped, s.failedSteps, s.reasons]).toEqual([
      { award: 1, send: 2 },
      {},
      { award: 1 },
      { award: { 'failed: coupon refused: out of stock': 1 } },
    ]);
  });

  it('publishing warns about a channel with no configuration and variables nothing provides, and publishes anyway', async () => {
    app = await journeyTestApp(engine, { deps: { channelConfigured: async (_db, _ws, channel) => channel === 'email' } });
    const tpl = await app.api('POST', '/v1/templates', {
      name: 'welcome mail',
      channel: 'email',
      variants: { 'zh-CN': { subject: '欢迎 {{ profile.name }}', text: '{{ data.missing }} {{ message.id }}' } },
    });
    expect(tpl.status).toBe(201);
    const text = [
      '{{ coupon_code }} {{ data.coupon_code }} {{ data.segment.id }}', // no source: no award step, an event trigger
      '{{ data.event.name }} {{ event.sku }} {{ profile.name }} {{ computed.order_count }} {{ unsubscribe_url }} {{ data.extra }}', // provided
      '{% if data.vip %}{{ data.vip }}{% endif %} {{ order.total | default: 0 }} {% assign n = 1 %}{{ n }} {{ "text" }}', // handled
    ].join(' ');
    const definition = {
      trigger: { type: 'event', event: 'Signed Up' },
      steps: [
        { id: 'sms', type: 'send', channel: 'sms', content: { templateCode: 'SMS_1', params: { text } }, data: { extra: 1 }, next: 'mail' },
        { id: 'mail', type: 'send', channel: 'email', templateId: tpl.body.id },
      ],
    };
    const c = await app.api('POST', '/v1/journeys', { name: 'checks', definition });
    const published = await publishJourney(app.deps, app.t.workspaceId, c.body.id);
    expect(published.status).toBe('active');
    expect(published.warnings.map((w) => [w.code, w.stepId, w.message.match(/\{\{ [^}]+ \}\}/)?.[0] ?? w.message.match(/on (\w+)/)?.[1]])).toEqual([
      ['CHANNEL_NOT_CONFIGURED', 'sms', 'sms'],
      ['TEMPLATE_VARIABLE_UNSOURCED', 'sms', '{{ coupon_code }}'],
      ['TEMPLATE_VARIABLE_UNSOURCED', 'sms', '{{ data.coupon_code }}'],
      ['TEMPLATE_VARIABLE_UNSOURCED', 'sms', '{{ data.segment.id }}'],
      ['TEMPLATE_VARIABLE_UNSOURCED', 'mail', '{{ data.missing }}'],
    ]);
    expect(published.warnings[4]!.message).toContain(`template ${tpl.body.id} variants.zh-CN.text`);
    expect((await getJourney(app.deps, app.t.workspaceId, c.body.id)).publishWarnings).toEqual(published.warnings);
    // Fixed and published again: the view keeps the last publish's warnings only.
    await app.api('PATCH', `/v1/journeys/${c.body.id}`, { definition: { ...definition, steps: [{ ...definition.steps[1], id: 'mail' }] } });
    const again = await publishJourney(app.deps, app.t.workspaceId, c.body.id);
    expect(again.warnings.map((w) => w.code)).toEqual(['TEMPLATE_VARIABLE_UNSOURCED']);
    expect((await app.api('GET', `/v1/journeys/${c.body.id}`)).body.publishWarnings).toEqual(again.warnings);
  });

  it('a step that keeps throwing is failed after the last retry: a failed row in the step log, counted in failedSteps', async () => {
    const loyalty: LoyaltyPort = {
      awardPoints: async () => {
        throw new Error('loyalty down');
      },
      issueCoupon: async () => ({ ok: true }),
    };
    app = await journeyTestApp(engine, { deps: { loyalty, channelConfigured: async () => true } });
    const p = await app.profile('p');
    const id = await app.journey('throws', { trigger: { type: 'manual' }, steps: [{ id: 'award', type: 'award', points: 5 }] });
    await app.api('POST', `/v1/journeys/${id}/enter`, { profileIds: [p] });
    for (let i = 0; i < 6; i++) {
      await app.tick();
      app.t.clock.advance(MIN);
    }
    const [st] = await app.states(id);
    expect([st.status, st.end_reason, st.steps_taken]).toEqual(['failed', 'error: loyalty down', 1]);
    expect(await log(id)).toEqual([{ step_id: 'award', outcome: 'failed: error: loyalty down' }]);
    const s = await stats(id);
    expect([s.failed, s.passed, s.failedSteps]).toEqual([1, {}, { award: 1 }]);
  });
});
