import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../../wecom-sandbox/index.js';
import type { CallbackScenario } from '../../../wecom-sandbox/scenarios.js';
import { describeEngines } from '../../../test/support/engines.js';
import { inboxDeps, processInboxBatch } from '../../scrm/inbox.js';
import { insightTestApp } from './test-kit.js';

const DAY = 86_400_000;

/**
 * Growth metrics and channel attribution driven through scrm's real paths: the WeCom sandbox fires
 * encrypted callbacks at the app (contacts added through channel codes, deleted, group joins and
 * quits), the inbox processor applies them, the conversation archive import puts group messages on
 * timelines, and orders arrive through the tracking API on the contacts' profiles.
 */
describeEngines('insight WeCom growth and channel metrics', (engine) => {
  let k: Awaited<ReturnType<typeof insightTestApp>>;
  let sb: Sandbox;
  let url = '';
  const ext: Record<string, string> = {};

  const fire = async (spec: CallbackScenario) => {
    const fired = await sb.fireCallback(url, spec);
    expect(fired.status).toBe(200);
    for (;;) if ((await processInboxBatch(inboxDeps(k.t.services.scrm))).claimed === 0) break;
    return fired;
  };
  const wecomId = (e: string) => ({ context: { externalIds: [{ type: `external_userid:${sb.credentials.corpId}`, id: e }] } });

  beforeAll(async () => {
    // 10:00 on Saturday 10 October 2026 in Shanghai.
    k = await insightTestApp(engine, Date.parse('2026-10-10T02:00:00Z'));
    sb = createSandbox({ seed: 3, staff: 3, customers: 10, groups: 0, now: () => k.t.clock.now() });
    const sandboxUrl = await sb.listen();
    url = `${await k.t.app.listen({ port: 0, host: '127.0.0.1' })}/wecom/callback/${k.t.workspaceId}`;
    const c = sb.credentials;
    const put = await k.t.app.inject({
      method: 'PUT',
      url: '/v1/wecom/connection',
      headers: { authorization: `Bearer ${k.t.secretKey}` },
      payload: { corpId: c.corpId, secret: c.secret, callbackToken: c.callbackToken, encodingAesKey: c.encodingAesKey, apiBaseUrl: sandboxUrl },
    });
    expect(put.statusCode).toBe(200);
    const [s0, s1] = sb.corp.activeStaff();
    ext.store = (await fire({ scenario: 'add-contact', userid: s0!.userid, state: 'store-sh-01' })).event.ExternalUserID as string;
    ext.poster = (await fire({ scenario: 'add-contact', userid: s1!.userid, state: 'poster-01' })).event.ExternalUserID as string;
    ext.direct = (await fire({ scenario: 'add-contact', userid: s0!.userid })).event.ExternalUserID as string;
    const chatId = (await fire({ scenario: 'group-create', owner: s0!.userid, name: '福利群', members: [] })).event.ChatId as string;
    await fire({ scenario: 'group-join', chatId, members: [ext.store!, ext.poster!], joinScene: 3 });
    // The customer says something in the group (conversation archive), and buys.
    const archived = await k.post(
      '/v1/wecom/archive/import',
      JSON.stringify({
        msgid: 'g1',
        action: 'send',
        from: ext.store,
        tolist: [s0!.userid],
        roomid: chatId,
        msgtime: k.t.clock.now() + 60_000,
        msgtype: 'text',
        text: { content: '有优惠吗' },
      }),
      { 'content-type': 'application/x-ndjson' },
    );
    expect(archived.body).toMatchObject({ imported: 1 });
    await k.track([{ ...k.order('', 'w1', '2026-10-10T06:00:00Z', 88), userId: undefined, anonymousId: 'anon-w1', ...wecomId(ext.store!) }]);
    k.t.clock.advance(DAY);
    await fire({ scenario: 'del-follow-user', userid: s1!.userid, externalUserid: ext.poster! });
    await fire({ scenario: 'group-quit', chatId, members: [ext.poster!] });
    k.t.clock.advance(DAY);
  });
  afterAll(async () => {
    await sb?.close();
    await k?.close();
  });
  const range = 'from=2026-10-01&to=2026-10-31';

  it('new contacts by day and by channel code, deletions and net growth', async () => {
    const byDay = await k.get(`/v1/insight/metrics/contacts?${range}`);
    expect(k.objects(byDay.body)).toEqual([
      { day: '2026-10-10', added: 3, deleted_by_customer: 0, deleted_by_staff: 0, deleted_other: 0, deleted: 0, net: 3 },
      { day: '2026-10-11', added: 0, deleted_by_customer: 1, deleted_by_staff: 0, deleted_other: 0, deleted: 1, net: -1 },
    ]);
    expect(byDay.body.totals).toEqual({ added: 3, deleted: 1, net: 2 });
    const byChannel = await k.get(`/v1/insight/metrics/contacts-by-channel?${range}`);
    expect(k.objects(byChannel.body).map((r) => [r.channel_code, r.added, r.deleted, r.net])).toEqual([
      ['', 1, 0, 1],
      ['poster-01', 1, 1, 0],
      ['store-sh-01', 1, 0, 1],
    ]);
  });

  it('group joins, quits and active members by day; new profiles by day', async () => {
    const groups = await k.get(`/v1/insight/metrics/groups?${range}`);
    expect(k.objects(groups.body)).toEqual([
      { day: '2026-10-10', joins: 2, quits: 0, net: 2, active_members: 1 },
      { day: '2026-10-11', joins: 0, quits: 1, net: -1, active_members: 0 },
    ]);
    const profiles = await k.get(`/v1/insight/metrics/new-profiles?${range}`);
    // Three contacts; the order's anonymous id joined the store contact's profile instead of making a fourth.
    expect(profiles.body.totals).toEqual({ new_profiles: 3 });
  });

  it('revenue by the channel code the buyer first came through, and a funnel broken down by it', async () => {
    const rev = await k.get(`/v1/insight/metrics/revenue-by-channel?${range}`);
    expect(k.objects(rev.body)).toEqual([{ channel_code: 'store-sh-01', channel_name: null, orders: 1, net_fen: 8800, buyers: 1 }]);
    const f = await k.post('/v1/insight/funnels', {
      from: '2026-10-01',
      to: '2026-10-31',
      steps: [{ event: 'WeCom Contact Added' }, { event: 'WeCom Group Joined' }, { event: 'Order Completed' }],
      breakdown: { kind: 'channel' },
    });
    const rows = k.objects(f.body);
    const of = (g: string) => rows.filter((r) => r.group === g).map((r) => r.profiles);
    expect(of('*')).toEqual([3, 2, 1]);
    expect(of('store-sh-01')).toEqual([1, 1, 1]);
    expect(of('poster-01')).toEqual([1, 1, 0]);
    expect(of('')).toEqual([1, 0, 0]);
  });

  it('cohorts by first contact', async () => {
    const r = await k.get(`/v1/insight/cohorts/report?${range}&by=first_contact&period=month&retainedBy=activity`);
    expect(k.objects(r.body)).toEqual([{ cohort: '2026-10', size: 3, p0: 3, r0: 1 }]);
  });
});
