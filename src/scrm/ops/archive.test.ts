import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { type OpsFixture, startOpsFixture } from './test-helpers.js';

describeEngines('conversation archive import', (engine) => {
  let f: OpsFixture;
  afterEach(async () => {
    await f?.close();
  });

  const t0 = Date.parse('2026-10-30T02:00:00Z');
  const ndjson = (records: unknown[]) => records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');
  const importBody = (body: string) =>
    f.app.inject({ method: 'POST', url: '/v1/wecom/archive/import', headers: { ...f.auth, 'content-type': 'application/x-ndjson' }, payload: body });

  it('puts messages on customer timelines once, reports bad lines and unknown customers, and raises keyword alerts', async () => {
    f = await startOpsFixture(engine);
    const a = await f.mirrorRelation(0, 5, { addedAt: t0 - 86_400_000 });
    const staff = a.userid;
    await f.app.inject({ method: 'POST', url: '/v1/wecom/sensitive-words', headers: f.auth, payload: { words: ['返现', 'WeChat Pay'] } });
    const body = ndjson([
      {
        msgid: 'm1',
        action: 'send',
        from: staff,
        tolist: [a.externalUserid],
        roomid: '',
        msgtime: t0,
        msgtype: 'text',
        text: { content: '您好，加微信支付可以返现哦' },
      },
      {
        msgid: 'm2',
        action: 'send',
        from: a.externalUserid,
        tolist: [staff],
        roomid: '',
        msgtime: t0 + 60_000,
        msgtype: 'text',
        text: { content: 'OK, via wechat pay?' },
      },
      '{not json',
      { action: 'send', from: staff, tolist: [a.externalUserid], msgtime: t0, msgtype: 'text', text: { content: 'x' } },
      { msgid: 'm5', action: 'send', from: staff, tolist: ['wmUnknownCustomer'], roomid: '', msgtime: t0, msgtype: 'text', text: { content: 'hi' } },
      { msgid: 'm6', action: 'recall', from: staff, tolist: [a.externalUserid], roomid: '', msgtime: t0, msgtype: 'revoke' },
      {
        msgid: 'm7',
        action: 'send',
        from: a.externalUserid,
        tolist: [staff, 'wmOther'],
        roomid: 'wrRoom1',
        msgtime: t0 + 120_000,
        msgtype: 'text',
        text: { content: 'in the group' },
      },
      { msgid: 'm8', action: 'send', from: staff, tolist: [a.externalUserid], roomid: '', msgtime: t0 + 180_000, msgtype: 'image', image: { md5sum: 'x' } },
      '',
    ]);
    const res = await importBody(body);
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ lines: 9, records: 6, imported: 4, duplicates: 0, skipped: 1, keywordAlerts: 2, errorCount: 2 });
    expect(report.errors).toEqual([
      { line: 3, reason: expect.stringContaining('not JSON') },
      { line: 4, reason: 'msgid is required' },
    ]);
    expect(report.unknownCustomers).toEqual([{ externalUserid: 'wmUnknownCustomer', records: 1, firstLine: 5 }]);

    const events = await f.db
      .selectFrom('events')
      .select(['event', 'message_id', 'timestamp'])
      .where('workspace_id', '=', f.workspaceId)
      .where('profile_id', '=', a.profileId)
      .where('type', '=', 'track')
      .orderBy('timestamp')
      .execute();
    expect(events.map((e) => [e.event, e.message_id])).toEqual([
      ['WeCom Message Sent', `wecom-msg:m1:${a.externalUserid}`],
      ['WeCom Message Received', `wecom-msg:m2:${a.externalUserid}`],
      ['WeCom Message Received', `wecom-msg:m7:${a.externalUserid}`],
      ['WeCom Message Sent', `wecom-msg:m8:${a.externalUserid}`],
    ]);

    const alerts = (await f.app.inject({ method: 'GET', url: '/v1/wecom/alerts?kind=keyword', headers: f.auth })).json().data;
    expect(alerts.map((x: any) => [x.word, x.msgid, x.userid, x.externalUserid])).toEqual(
      expect.arrayContaining([
        ['返现', 'm1', staff, a.externalUserid],
        ['wechat pay', 'm2', staff, a.externalUserid],
      ]),
    );
    expect(alerts.find((x: any) => x.msgid === 'm1').excerpt).toContain('返现');

    // Importing the same file again stores nothing and raises nothing.
    const again = (await importBody(body)).json();
    expect(again).toMatchObject({ imported: 0, duplicates: 4, keywordAlerts: 0 });

    // The workbench sees the archive as the last contact.
    const list = (await f.app.inject({ method: 'GET', url: `/v1/wecom/staff/${staff}/customers`, headers: f.auth })).json().data;
    expect(list.find((c: any) => c.externalUserid === a.externalUserid).lastContactAt).toBe(new Date(t0 + 180_000).toISOString());
  });

  it('refuses a body that is not JSON lines, and a workspace without a WeCom connection', async () => {
    f = await startOpsFixture(engine);
    expect((await importBody('   ')).json().error.code).toBe('ARCHIVE_IMPORT_INVALID');
    const other = await f.newWorkspace();
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/wecom/archive/import',
      headers: { authorization: `Bearer ${other.secretKey}`, 'content-type': 'application/x-ndjson' },
      payload: '{"msgid":"x"}',
    });
    expect(res.json().error).toMatchObject({ code: 'ARCHIVE_IMPORT_INVALID' });
  });
});
