import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacBase64, smsStringToSign } from '../src/messaging/index.js';
import { createWeComCrypto, parseMessageXml } from '../src/wecom/index.js';
import type { BrandCorp } from './brand.js';
import { createDemoSandboxes } from './demo.js';
import { createSmsGateway } from './sms-gateway.js';
import { startSandbox } from './test-helpers.js';

const DAY = 86_400;
const T0 = Date.UTC(2025, 5, 1, 8, 0, 0) / 1000;

/** A small described corp: two members, three customers (one without WeChat), relations with and without a contact way, a group. */
const brand: BrandCorp = {
  staff: [
    { userid: 's01.manager', name: '王芳', position: '店长', gender: '2' },
    { userid: 's01.guide1', name: '李强', department: [4], gender: '1' },
  ],
  customers: [{ name: '陈静', unionid: 'oUnion0001', gender: 2 }, { name: '刘洋', unionid: 'oUnion0002', gender: 1 }, { name: '赵敏' }],
  relations: [
    { customer: 0, userid: 's01.guide1', createTime: T0 - 30 * DAY, state: 'lc_store01', tags: ['咖啡'] },
    { customer: 1, userid: 's01.guide1', createTime: T0 - 10 * DAY, addWay: 2, remark: '刘洋-老客' },
    { customer: 1, userid: 's01.manager', createTime: T0 - 5 * DAY, addWay: 4 },
  ],
  groups: [
    {
      name: '思屿咖啡·静安寺店 福利群',
      owner: 's01.manager',
      createTime: T0 - 60 * DAY,
      members: [
        { userid: 's01.guide1', joinTime: T0 - 59 * DAY },
        { customer: 0, joinTime: T0 - 20 * DAY, joinScene: 3 },
        { customer: 2, joinTime: T0 - 2 * DAY },
        { customer: 2, joinTime: T0 - 1 * DAY },
      ],
    },
  ],
};

describe('a corp described member by member (brand)', () => {
  let h: Awaited<ReturnType<typeof startSandbox>>;
  beforeAll(async () => {
    h = await startSandbox({ brand, tagGroups: [{ name: '兴趣偏好', tags: ['咖啡', '潮玩'] }] });
  });
  afterAll(() => h?.close());

  it('answers WeCom over exactly the described members, customers, relations and groups', async () => {
    expect((await h.ok('user/list_id', { body: {} })).dept_user.map((u: { userid: string }) => u.userid)).toEqual(['s01.manager', 's01.guide1']);
    const simple = await h.ok('user/simplelist', { query: { department_id: '1', fetch_child: '1' } });
    expect(simple.userlist.map((u: { name: string }) => u.name)).toEqual(['王芳', '李强']);

    const byUser = await h.ok('externalcontact/batch/get_by_user', { body: { userid_list: ['s01.guide1'] } });
    expect(byUser.external_contact_list).toHaveLength(2);
    const [first, second] = byUser.external_contact_list;
    expect(first.external_contact).toMatchObject({ name: '陈静', unionid: 'oUnion0001', gender: 2, type: 1 });
    expect(first.follow_info).toMatchObject({ userid: 's01.guide1', add_way: 1, state: 'lc_store01', createtime: T0 - 30 * DAY });
    expect(first.follow_info.tag_id).toEqual([h.sb.corp.tags.liveTags().find((t) => t.name === '咖啡')!.id]);
    expect(second.follow_info).toMatchObject({ add_way: 2, remark: '刘洋-老客' });
    // The customer without WeChat has no unionid and no relation.
    expect(h.sb.corp.customer(2)).toMatchObject({ name: '赵敏', unionid: undefined });

    const chats = await h.ok('externalcontact/groupchat/list', { body: { limit: 10 } });
    expect(chats.group_chat_list).toHaveLength(1);
    const chat = (await h.ok('externalcontact/groupchat/get', { body: { chat_id: chats.group_chat_list[0].chat_id, need_name: 1 } })).group_chat;
    expect(chat).toMatchObject({ name: '思屿咖啡·静安寺店 福利群', owner: 's01.manager' });
    // The owner, the guide and two customers; the repeated customer joined once, at the first time given.
    expect(chat.member_list.map((m: { userid: string; join_time: number }) => [m.userid, m.join_time])).toEqual([
      ['s01.manager', T0 - 60 * DAY],
      ['s01.guide1', T0 - 59 * DAY],
      [h.sb.corp.externalUserid(0), T0 - 20 * DAY],
      [h.sb.corp.externalUserid(2), T0 - 2 * DAY],
    ]);
    expect(chat.member_list[2]).toMatchObject({ unionid: 'oUnion0001', join_scene: 3, name: '陈静' });
  });

  it('refuses a description that names members or customers it does not have', async () => {
    const bad = (b: Partial<BrandCorp>) => startSandbox({ brand: { ...brand, ...b } });
    await expect(bad({ relations: [{ customer: 9, userid: 's01.guide1', createTime: T0 }] })).rejects.toThrow(/customer 9 is not in brand.customers/);
    await expect(bad({ relations: [{ customer: 0, userid: 'nobody', createTime: T0 }] })).rejects.toThrow(/nobody is not in brand.staff/);
    await expect(bad({ staff: [brand.staff[0]!, brand.staff[0]!] })).rejects.toThrow(/listed twice/);
  });

  it('seals a scan of a contact way as WeCom would POST it, and the corp gains the relation', async () => {
    const way = await h.ok('externalcontact/add_contact_way', { body: { type: 1, scene: 2, user: ['s01.guide1'], state: 'lc_scan' } });
    const sealed = h.sb.sealCallback({ scenario: 'add-contact', configId: way.config_id, externalUserid: h.sb.corp.externalUserid(2) });
    const crypto = createWeComCrypto({ token: h.sb.credentials.callbackToken, encodingAesKey: h.sb.credentials.encodingAesKey, receiveId: h.sb.corp.corpId });
    const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(sealed.body)![1]!;
    const event = parseMessageXml(crypto.decrypt(sealed.query.msg_signature, sealed.query.timestamp, sealed.query.nonce, encrypt));
    expect(event).toMatchObject({ ChangeType: 'add_external_contact', UserID: 's01.guide1', ExternalUserID: h.sb.corp.externalUserid(2), State: 'lc_scan' });
    expect(sealed.welcomeCode).toBeTruthy();
    expect(h.sb.corp.relationBetween(1, 2)).toBeGreaterThanOrEqual(0);
  });
});

describe('the SMS gateway stand-in', () => {
  const now = () => Date.UTC(2026, 10, 1, 2, 0, 0);
  const send = (
    gw: ReturnType<typeof createSmsGateway>,
    account: { endpoint: string; accessKeyId: string; accessKeySecret: string },
    phone: string,
    outId: string,
    sign = true,
  ) => {
    const body = JSON.stringify({
      phoneNumber: phone,
      signName: '思屿咖啡',
      templateCode: 'SMS_DEMO',
      templateParam: { text: `早安 https://x.example/r/${outId}` },
      outId,
    });
    const ts = String(Math.floor(now() / 1000));
    const nonce = randomBytes(16).toString('hex');
    const signature = hmacBase64(account.accessKeySecret, smsStringToSign(new URL(account.endpoint).pathname, ts, nonce, body));
    return gw.fetch(account.endpoint, {
      method: 'POST',
      headers: { 'x-siyu-key-id': account.accessKeyId, 'x-siyu-timestamp': ts, 'x-siyu-nonce': nonce, 'x-siyu-signature': sign ? signature : 'forged' },
      body,
    })!;
  };

  it('answers only its own host, checks the signature as Siyu signs it, and decides each message by its phone number alone', async () => {
    const gw = createSmsGateway({ now });
    const account = gw.account('ws_1');
    expect(gw.account('ws_1')).toEqual(account);
    expect(gw.fetch('https://example.com/send')).toBeUndefined();
    expect((await send(gw, account, '+8613800000000', 'm0', false)).status).toBe(403);

    const phones = Array.from({ length: 400 }, (_, i) => `+86138${String(i).padStart(8, '0')}`);
    const answers = await Promise.all(phones.map(async (p, i) => (await (await send(gw, account, p, `m${i}`)).json()) as { code: string }));
    const refused = answers.filter((a) => a.code !== 'OK').length;
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(25);
    // The same numbers through another gateway: the same fates.
    const again = createSmsGateway({ now });
    const other = again.account('ws_1');
    const second = await Promise.all(phones.map(async (p, i) => ((await (await send(again, other, p, `m${i}`)).json()) as { code: string }).code));
    expect(second).toEqual(answers.map((a) => a.code));

    // Receipts for every message taken (delivered or failed on the handset), signed; then nothing more.
    const batches = gw.takeReceipts(account.accessKeyId);
    const receipts = batches.flatMap((b) => {
      expect(b.signature).toBe(hmacBase64(account.accessKeySecret, `${b.timestamp}\n${b.body}`));
      return (JSON.parse(b.body) as { receipts: { status: string; outId: string }[] }).receipts;
    });
    expect(receipts).toHaveLength(400 - refused);
    const failed = receipts.filter((r) => r.status === 'FAILED').length;
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(40);
    expect(gw.takeReceipts(account.accessKeyId)).toEqual([]);
    // Customers open the link of some delivered messages.
    const clicks = gw.takeClicks(account.accessKeyId);
    expect(clicks.length).toBeGreaterThan(60);
    expect(clicks.length).toBeLessThan(180);
    expect(clicks.every((u) => u.startsWith('https://x.example/r/m'))).toBe(true);
  });
});

describe('the demo stand-ins', () => {
  it('report receipts and clicks on their own to the sinks, by workspace, not while the account is held, and stop on close', async () => {
    const sandboxes = createDemoSandboxes(() => Date.UTC(2026, 10, 1, 2, 0, 0));
    const account = sandboxes.sms.account('ws_demo');
    const release = sandboxes.sms.hold(account.accessKeyId);
    const got: string[] = [];
    sandboxes.report(
      { receipts: async (ws) => void got.push(`receipts:${ws}`), click: async () => void got.push('click'), error: (e) => got.push(String(e)) },
      20,
    );
    const body = JSON.stringify({ phoneNumber: '+8613800000001', templateParam: { text: 'hi' }, outId: 'm1' });
    const ts = String(Math.floor(Date.UTC(2026, 10, 1, 2, 0, 0) / 1000));
    const res = await sandboxes.fetch(account.endpoint, {
      method: 'POST',
      headers: {
        'x-siyu-key-id': account.accessKeyId,
        'x-siyu-timestamp': ts,
        'x-siyu-nonce': 'n',
        'x-siyu-signature': hmacBase64(account.accessKeySecret, smsStringToSign('/v1/sms/send', ts, 'n', body)),
      },
      body,
    })!;
    expect(((await res.json()) as { code: string }).code).toBe('OK');
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([]);
    release();
    await new Promise((r) => setTimeout(r, 100));
    await sandboxes.close();
    expect(got).toEqual(['receipts:ws_demo']);
  });
});
