import { afterEach, expect, it } from 'vitest';
import { recomputeSegment } from '../segments/index.js';
import { describeEngines } from '../../test/support/engines.js';
import { journeyTestApp } from './test-kit.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const json = (v: unknown): any => (typeof v === 'string' ? JSON.parse(v) : v);

/** Every recipe imported through the API and run end to end with an injected clock. */
describeEngines('journey recipes', (engine) => {
  let app: Awaited<ReturnType<typeof journeyTestApp>>;
  afterEach(async () => app?.close());

  const importRecipe = async (name: string, params: Record<string, unknown> = {}) => {
    const res = await app.api('POST', `/v1/journeys/recipes/${name}/import`, { params, publish: true });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const log = async (id: string) =>
    (await app.t.database.db
      .selectFrom('journey_step_log' as any)
      .select(['step_id', 'outcome'])
      .where('journey_id', '=', id)
      .orderBy('state_id')
      .orderBy('seq')
      .execute()) as { step_id: string; outcome: string }[];

  /** SCRM's customer groups of workspace `ws`: [chat id, name, status?]. */
  const insertGroups = (ws: string, ...groups: [string, string, string?][]) =>
    app.t.database.db
      .insertInto('scrm_groups' as any)
      .values(
        groups.map(([chat_id, name, status = 'active']) => ({
          workspace_id: ws,
          chat_id,
          name,
          owner: 'zhang',
          notice: null,
          status,
          member_count: 3,
          created_at: 1,
          dismissed_at: status === 'dismissed' ? 2 : null,
          updated_at: 2,
        })),
      )
      .execute();

  it("refuses to publish store groups listed by chat id that are not the workspace's active groups (another workspace's, dismissed, unknown)", async () => {
    app = await journeyTestApp(engine);
    const other = await app.t.newWorkspace('Other brand');
    await insertGroups(other.workspaceId, ['wrTheirs', '别家门店']);
    await insertGroups(app.t.workspaceId, ['wrMine', '本店'], ['wrGone', '旧店', 'dismissed']);
    const res = await app.api('POST', '/v1/journeys/recipes/store_group_daily_coupon/import', {
      params: { chatIds: ['wrMine', 'wrTheirs', 'wrGone', 'wrNobody'] },
      publish: true,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('JOURNEY_INVALID');
    const paths = (res.body.error.details.errors as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual([1, 2, 3].map((i) => `definition.trigger.audience.wecomGroups.chatIds[${i}]`));
    // (Its own active groups publish: the Luckin case below.)
  });

  it('lists the recipes and refuses an unknown one', async () => {
    app = await journeyTestApp(engine);
    const list = await app.api('GET', '/v1/journeys/recipes');
    expect(list.body.data.map((r: { name: string }) => r.name)).toEqual([
      'cart_abandonment',
      'birthday_coupon',
      'onboarding',
      'baby_month_age',
      'win_back',
      'store_group_daily_coupon',
    ]);
    const bad = await app.api('POST', '/v1/journeys/recipes/nope/import', {});
    expect([bad.status, bad.body.error.code]).toEqual([404, 'JOURNEY_RECIPE_NOT_FOUND']);
    const missing = await app.api('POST', '/v1/journeys/recipes/win_back/import', {});
    expect(missing.body.error.message).toMatch(/params.segmentId is required/);
  });

  it('cart abandonment: reminders after the delay and a day later; an order converts and stops them', async () => {
    app = await journeyTestApp(engine);
    const id = await importRecipe('cart_abandonment', { delayMinutes: 30 });
    const idle = await app.profile('idle', { name: '小张' });
    const buyer = await app.profile('buyer');
    app.t.clock.advance(MIN);
    await app.track('idle', 'Product Added', { name: '生椰拿铁', price: 19 });
    await app.track('buyer', 'Product Added', { name: '美式', price: 15 });
    expect((await app.tick()).entered).toBe(2);
    app.t.clock.advance(10 * MIN);
    await app.track('buyer', 'Order Completed', { total: 15 });
    await app.tick();
    app.t.clock.advance(20 * MIN);
    await app.tick();
    let msgs = await app.messages(id);
    expect(msgs.map((m) => [m.profile_id, m.source_step])).toEqual([[idle, 'remind']]);
    expect(json(msgs[0].data).event.name).toBe('生椰拿铁');
    app.t.clock.advance(DAY);
    await app.tick();
    msgs = await app.messages(id);
    expect(msgs.map((m) => m.source_step)).toEqual(['remind', 'remind_again']);
    const st = await app.states(id);
    expect(st.map((s) => [s.subject_id, s.status]).sort()).toEqual(
      [
        [buyer, 'converted'],
        [idle, 'completed'],
      ].sort(),
    );
  });

  it('birthday greeting with coupon: at 09:00 on the birthday the loyalty module issues the coupon and the greeting carries its code', async () => {
    app = await journeyTestApp(engine, { clockStart: Date.parse('2026-11-02T16:30:00Z') }); // 00:30 on 11-03 in Shanghai
    const p = await app.profile('bd', { name: '小美', birthday: '1995-11-03' });
    await app.profile('not-today', { birthday: '1995-11-04' });
    // The recipe's default template key: a birthday coupon valid for 7 days.
    const tpl = await app.api('POST', '/v1/loyalty/coupon-templates', {
      key: 'birthday',
      name: '生日券',
      kind: 'fixed',
      amountFen: 2000,
      validity: { days: 7 },
    });
    expect(tpl.status).toBe(201);
    const id = await importRecipe('birthday_coupon');
    expect((await app.api('GET', `/v1/journeys/${id}`)).body.publishWarnings.map((w: { code: string }) => w.code)).toEqual(['CHANNEL_NOT_CONFIGURED']);
    app.t.clock.advance(MIN);
    expect((await app.tick()).entered).toBe(1);
    expect(await app.messages(id)).toHaveLength(0);
    app.t.clock.set(Date.parse('2026-11-03T01:00:00Z'));
    await app.tick();
    const [m] = await app.messages(id);
    expect([m.profile_id, m.source_step, m.channel]).toEqual([p, 'greet', 'wecom']);
    const [coupon] = (await app.api('GET', `/v1/profiles/${p}/coupons`)).body.data;
    expect(coupon).toMatchObject({ templateId: tpl.body.id, status: 'issued', channel: 'journey', reason: 'birthday', validUntil: '2026-11-09T16:00:00.000Z' });
    expect(json(m.data).data.coupon_code).toBe(coupon.code);
    expect((await log(id)).map((l) => `${l.step_id}: ${l.outcome.replace(/queued:.*/, 'queued')}`)).toEqual([
      'morning: waited',
      `coupon: coupon:${coupon.code}`,
      'greet: queued',
    ]);
    // Next day: the profile born on 11-04 (and nobody twice).
    app.t.clock.advance(DAY);
    expect((await app.tick()).entered).toBe(1);
    expect((await app.states(id)).filter((s) => s.subject_id === p)).toHaveLength(1);
    expect((await app.api('GET', `/v1/profiles/${p}/coupons`)).body.data).toHaveLength(1);
  });

  it('onboarding: welcome, tutorial a day later, first-order coupon two days after for those who have not ordered', async () => {
    app = await journeyTestApp(engine);
    const id = await importRecipe('onboarding');
    const a = await app.profile('a');
    const b = await app.profile('b');
    app.t.clock.advance(MIN);
    await app.track('a', 'Signed Up');
    await app.track('b', 'Signed Up');
    await app.tick();
    expect((await app.messages(id)).map((m) => m.source_step)).toEqual(['welcome', 'welcome']);
    app.t.clock.advance(DAY);
    await app.tick();
    app.t.clock.advance(HOUR);
    await app.track('a', 'Order Completed', { total: 30 });
    await app.tick();
    app.t.clock.advance(2 * DAY);
    await app.tick();
    const msgs = await app.messages(id);
    expect(msgs.filter((m) => m.profile_id === a).map((m) => m.source_step)).toEqual(['welcome', 'tutorial']);
    expect(msgs.filter((m) => m.profile_id === b).map((m) => m.source_step)).toEqual(['welcome', 'tutorial', 'coupon_msg']);
    const stats = (await app.api('GET', `/v1/journeys/${id}/stats`)).body;
    expect([stats.entered, stats.converted, stats.completed]).toEqual([2, 1, 1]);
    // reentry "never": signing up again does not restart it.
    await app.track('b', 'Signed Up');
    expect((await app.tick()).entered).toBe(0);
  });

  it('baby month-age: on the day the baby turns N months, at 10:00, content for that month', async () => {
    app = await journeyTestApp(engine, { clockStart: Date.parse('2026-11-02T16:30:00Z') }); // 00:30 on 11-03 in Shanghai
    const three = await app.profile('m3', { baby_birthday: '2026-08-03' });
    const born = await app.profile('m0', { baby_birthday: '2026-11-03' });
    await app.profile('other-day', { baby_birthday: '2026-08-04' });
    const id = await importRecipe('baby_month_age');
    app.t.clock.advance(MIN);
    await app.tick();
    app.t.clock.set(Date.parse('2026-11-03T02:00:00Z'));
    await app.tick();
    const msgs = await app.messages(id);
    expect(msgs.map((m) => [m.profile_id, json(m.data).data.date.months])).toEqual([[three, 3]]);
    // A month later: 4 months.
    app.t.clock.set(Date.parse('2026-12-02T16:30:00Z'));
    await app.tick();
    app.t.clock.set(Date.parse('2026-12-03T02:00:00Z'));
    await app.tick();
    const all = (await app.messages(id)).map((m) => `${m.profile_id}:${json(m.data).data.date.months}`);
    expect(all.sort()).toEqual([`${three}:3`, `${three}:4`, `${born}:1`].sort());
  });

  it('win-back: entering the silent segment (durable cursor over segment_members) starts it; a second offer after 7 days', async () => {
    app = await journeyTestApp(engine);
    const seg = await app.api('POST', '/v1/segments', { name: 'silent', rule: { type: 'trait', key: 'stage', op: 'eq', value: 'silent' } });
    const id = await importRecipe('win_back', { segmentId: seg.body.id });
    const p = await app.profile('s1', { stage: 'silent' });
    await app.profile('active', { stage: 'active' });
    app.t.clock.advance(MIN);
    // A segment no journey listens to: its entries stay out of the entry-time index (listened 0).
    const other = await app.api('POST', '/v1/segments', { name: 'active', rule: { type: 'trait', key: 'stage', op: 'eq', value: 'active' } });
    await recomputeSegment(app.t.services.membership, app.t.workspaceId, seg.body.id, { lagMs: 0 });
    await recomputeSegment(app.t.services.membership, app.t.workspaceId, other.body.id, { lagMs: 0 });
    const marks = await app.t.database.db.selectFrom('segment_members').select(['segment_id', 'listened']).orderBy('segment_id').execute();
    expect(marks.map((m) => [m.segment_id, Number(m.listened)])).toEqual(
      [
        [seg.body.id, 1], // published as the win-back trigger
        [other.body.id, 0],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect((await app.tick()).entered).toBe(1);
    expect((await app.messages(id)).map((m) => [m.profile_id, m.source_step])).toEqual([[p, 'offer']]);
    app.t.clock.advance(7 * DAY);
    await app.tick();
    expect((await app.messages(id)).map((m) => m.source_step)).toEqual(['offer', 'second']);
    // The cursor moved on: another pass enters nobody.
    expect((await app.tick()).entered).toBe(0);
  });

  it('store groups at 08:00 daily (the Luckin case): one WeCom group message per group per day', async () => {
    app = await journeyTestApp(engine, { clockStart: Date.parse('2026-11-02T23:00:00Z') }); // 07:00 in Shanghai
    await insertGroups(app.t.workspaceId, ['wrStoreA', '门店 A'], ['wrStoreB', '门店 B']);
    const id = await importRecipe('store_group_daily_coupon', { chatIds: ['wrStoreA', 'wrStoreB'] });
    app.t.clock.advance(MIN);
    expect((await app.tick()).entered).toBe(0);
    app.t.clock.set(Date.parse('2026-11-03T00:00:00Z')); // 08:00
    await app.tick();
    await app.tick();
    let msgs = await app.messages(id);
    expect(msgs.map((m) => [m.channel, json(m.recipient).chatId, m.profile_id]).sort()).toEqual([
      ['wecom_group', 'wrStoreA', null],
      ['wecom_group', 'wrStoreB', null],
    ]);
    app.t.clock.advance(DAY);
    await app.tick();
    msgs = await app.messages(id);
    expect(msgs).toHaveLength(4);
    expect((await app.api('GET', `/v1/journeys/${id}/stats`)).body.entered).toBe(4);
  });

  it("store groups by name: the active groups whose name contains the text, read through scrm's port; without the port the occurrence waits", async () => {
    app = await journeyTestApp(engine, { clockStart: Date.parse('2026-11-02T23:00:00Z') }); // 07:00 in Shanghai
    const group = (chat_id: string, name: string, status = 'active') => ({
      workspace_id: app.t.workspaceId,
      chat_id,
      name,
      owner: 'zhang',
      notice: null,
      status,
      member_count: 3,
      created_at: 1,
      dismissed_at: status === 'dismissed' ? 2 : null,
      updated_at: 2,
    });
    await app.t.database.db
      .insertInto('scrm_groups' as any)
      .values([group('wrSh1', '上海 静安店'), group('wrSh2', '上海 徐汇店', 'dismissed'), group('wrBj1', '北京 国贸店')])
      .execute();
    const port = app.deps.activeGroupChatIds;
    delete app.deps.activeGroupChatIds;
    const id = await importRecipe('store_group_daily_coupon', { nameContains: '上海' });
    app.t.clock.set(Date.parse('2026-11-03T00:00:00Z')); // 08:00
    expect((await app.tick()).entered).toBe(0);
    app.deps.activeGroupChatIds = port;
    expect((await app.tick()).entered).toBe(1);
    const msgs = await app.messages(id);
    expect(msgs.map((m) => [m.channel, json(m.recipient).chatId])).toEqual([['wecom_group', 'wrSh1']]);
  });
});
