import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { type OpsFixture, startOpsFixture } from './test-helpers.js';

interface Message {
  msgid: string;
  at: string;
  direction: string;
  userid: string | null;
  staffName: string | null;
  externalUserid: string;
  customerName: string | null;
  profileId: string;
  roomid: string | null;
  content: string;
  hits: string[];
}

describeEngines('conversation archive search (GET /v1/wecom/archive/messages)', (engine) => {
  let f: OpsFixture;
  let a: { userid: string; externalUserid: string; profileId: string };
  let b: { userid: string; externalUserid: string; profileId: string };
  // 2026-10-30 10:00 and 2026-10-31 10:00 in Asia/Shanghai.
  const day1 = Date.parse('2026-10-30T02:00:00Z');
  const day2 = Date.parse('2026-10-31T02:00:00Z');

  const get = async (query: string) => {
    const res = await f.app.inject({ method: 'GET', url: `/v1/wecom/archive/messages${query}`, headers: f.auth });
    return { status: res.statusCode, body: res.json() as { data: Message[]; nextCursor: string | null; error?: { code: string } } };
  };
  const ids = async (query: string) => {
    const res = await get(query);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.data.map((m) => m.msgid);
  };

  beforeAll(async () => {
    f = await startOpsFixture(engine);
    a = await f.mirrorRelation(0, 5);
    b = await f.mirrorRelation(1, 6);
    await f.app.inject({ method: 'POST', url: '/v1/wecom/sensitive-words', headers: f.auth, payload: { words: ['返现', 'WeChat Pay'] } });
    const text = (msgid: string, from: string, to: string, msgtime: number, content: string, roomid = '') =>
      JSON.stringify({ msgid, action: 'send', from, tolist: [to], roomid, msgtime, msgtype: 'text', text: { content } });
    const lines = [
      text('m1', a.userid, a.externalUserid, day1, '您好，加微信可以返现哦'),
      text('m2', a.externalUserid, a.userid, day1 + 60_000, 'Can I use WeChat Pay?'),
      text('m3', b.userid, b.externalUserid, day2, '新品到店了，欢迎来看看'),
      text('m4', b.externalUserid, b.userid, day2 + 60_000, '好的，周末过去'),
      JSON.stringify({
        msgid: 'm5',
        action: 'send',
        from: b.userid,
        tolist: [b.externalUserid],
        msgtime: day2 + 120_000,
        msgtype: 'image',
        image: { md5sum: 'x' },
      }),
    ];
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/wecom/archive/import',
      headers: { ...f.auth, 'content-type': 'application/x-ndjson' },
      payload: lines.join('\n'),
    });
    expect(res.json()).toMatchObject({ imported: 5, errorCount: 0 });
  });
  afterAll(async () => f?.close());

  it('lists archived messages newest first with the staff member, the customer and the sensitive words each holds', async () => {
    const res = await get('');
    expect(res.status).toBe(200);
    expect(res.body.data.map((m) => m.msgid)).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
    const m1 = res.body.data.find((m) => m.msgid === 'm1')!;
    expect(m1).toMatchObject({
      at: new Date(day1).toISOString(),
      direction: 'sent',
      userid: a.userid,
      staffName: f.sandbox.corp.staff[0]!.name,
      externalUserid: a.externalUserid,
      customerName: f.sandbox.corp.customer(5).name,
      profileId: a.profileId,
      roomid: null,
      content: '您好，加微信可以返现哦',
      hits: ['返现'],
    });
    expect(res.body.data.find((m) => m.msgid === 'm2')!).toMatchObject({ direction: 'received', hits: ['wechat pay'] });
    expect(res.body.data.find((m) => m.msgid === 'm5')!).toMatchObject({ content: '[image]', hits: [] });
  });

  it('filters by text (case-insensitively), staff member, customer, direction, msgid and local days', async () => {
    expect(await ids('?q=wechat%20PAY')).toEqual(['m2']);
    expect(await ids(`?q=${encodeURIComponent('返现')}`)).toEqual(['m1']);
    expect(await ids(`?userid=${b.userid}`)).toEqual(['m5', 'm4', 'm3']);
    expect(await ids(`?externalUserid=${a.externalUserid}`)).toEqual(['m2', 'm1']);
    expect(await ids('?direction=received')).toEqual(['m4', 'm2']);
    expect(await ids('?msgid=m3')).toEqual(['m3']);
    expect(await ids('?from=2026-10-31&to=2026-10-31')).toEqual(['m5', 'm4', 'm3']);
    expect(await ids('?to=2026-10-30')).toEqual(['m2', 'm1']);
    expect(await ids('?q=%25')).toEqual([]);
    expect((await get('?from=2026-13-01')).status).toBe(400);
  });

  it('pages with the cursor it returns', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((m) => m.msgid));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
    expect((await get('?cursor=nope')).status).toBe(400);
  });
});
