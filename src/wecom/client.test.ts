import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTokenCache,
  createWeComClient,
  WeComBadResponseError,
  WeComError,
  WeComNetworkError,
  type WeComClient,
  type WeComClientOptions,
  type WeComLogger,
} from './client.js';
import { errcodeMeaning, WECOM_ERRCODES } from './errcodes.js';
import type { Attachment, WeComOk } from './types.js';
import { applyScenario, createSandbox, ERRCODES, type Sandbox, type SandboxOptions } from '../../wecom-sandbox/index.js';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const noSleep = { sleep: async () => {}, random: () => 0 };

describe('errcode table', () => {
  it('explains the codes the client retries on or surfaces, in English and Chinese', () => {
    for (const code of [-1, 40001, 40014, 42001, 45009, 45033, 41050, 41051, 84061, 40096, 60111]) {
      expect(WECOM_ERRCODES[code]?.en, `errcode ${code}`).toBeTruthy();
      expect(WECOM_ERRCODES[code]?.zh, `errcode ${code}`).toBeTruthy();
    }
    expect(errcodeMeaning(40001).zh).toBe('不合法的secret参数');
    expect(errcodeMeaning(123456).en).toContain('devtool/query?e=123456');
  });
});

describe('answers that are not WeCom JSON', () => {
  it('types a non-JSON body as WeComBadResponseError with the status and no secret in it', async () => {
    const secret = 's3cr3t-value';
    const fetch: typeof globalThis.fetch = async (input) =>
      new Response(`<html>502 Bad Gateway for ${String(input)}</html>`, { status: 502, headers: { 'content-type': 'text/html' } });
    const client = createWeComClient({ baseUrl: 'http://wecom.invalid', corpId: 'ww1', secret, fetch, maxRetries: 2, ...noSleep });
    const err = await client.accessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeComBadResponseError);
    const bad = err as WeComBadResponseError;
    expect(bad.api).toBe('gettoken');
    expect(bad.status).toBe(502);
    expect(bad.message).not.toContain(secret);
    expect(bad.bodyStart).toContain('[redacted]');
  });

  it('types a refused connection as WeComNetworkError after retrying an idempotent call', async () => {
    let calls = 0;
    const port = await closedPort();
    const fetch: typeof globalThis.fetch = (input, init) => {
      calls++;
      return globalThis.fetch(input, init);
    };
    const client = createWeComClient({ baseUrl: `http://127.0.0.1:${port}`, corpId: 'ww1', secret: 'x', fetch, maxRetries: 2, ...noSleep });
    const err = await client.accessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeComNetworkError);
    expect((err as WeComNetworkError).timedOut).toBe(false);
    expect(calls).toBe(3);
  });

  it('retries reads after a network error but never a send, which may have gone through', async () => {
    const sent = new Map<string, number>();
    const fetch: typeof globalThis.fetch = async (input) => {
      const api = new URL(String(input)).pathname.replace('/cgi-bin/', '');
      sent.set(api, (sent.get(api) ?? 0) + 1);
      if (api === 'gettoken') return Response.json({ errcode: 0, errmsg: 'ok', access_token: 'tok-0123456789abcdef', expires_in: 7200 });
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    };
    const client = createWeComClient({ baseUrl: 'http://wecom.invalid', corpId: 'ww1', secret: 'x'.repeat(43), fetch, maxRetries: 3, ...noSleep });
    await expect(client.getCorpTagList()).rejects.toThrow(/ECONNRESET/);
    expect(sent.get('externalcontact/get_corp_tag_list')).toBe(4);
    await expect(client.sendWelcomeMsg({ welcome_code: 'C', text: { content: 'hi' } })).rejects.toBeInstanceOf(WeComNetworkError);
    expect(sent.get('externalcontact/send_welcome_msg')).toBe(1);
  });

  it('types a request that outlives timeoutMs as a timed-out WeComNetworkError', async () => {
    const fetch: typeof globalThis.fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    const client = createWeComClient({ baseUrl: 'http://wecom.invalid', corpId: 'ww1', secret: 'x', fetch, timeoutMs: 20, maxRetries: 0 });
    const err = await client.accessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeComNetworkError);
    expect(err).toMatchObject({ api: 'gettoken', timedOut: true });
  });

  it('surfaces a WeComError with the meaning from the table', async () => {
    const fetch: typeof globalThis.fetch = async () => Response.json({ errcode: 60020, errmsg: 'not allow to access from your ip' });
    const client = createWeComClient({ baseUrl: 'http://wecom.invalid', corpId: 'ww1', secret: 'x', fetch, ...noSleep });
    const err = (await client.accessToken().catch((e: unknown) => e)) as WeComError;
    expect(err).toBeInstanceOf(WeComError);
    expect(err).toMatchObject({ api: 'gettoken', errcode: 60020, meaning: { zh: '访问ip不在白名单之中' } });
  });
});

// ── Against the sandbox, over real HTTP ──────────────────────────────────────────────────

interface Harness {
  sandbox: Sandbox;
  url: string;
  /** Requests the clients sent, by api path (`gettoken`, `externalcontact/get`, …). */
  calls: Map<string, number>;
  /** A fetch that counts into `calls` and can rewrite a request first. */
  fetch: typeof globalThis.fetch;
  rewrite?: (url: URL) => void;
  clock: { t: number };
  client(opts?: Partial<WeComClientOptions>): WeComClient;
}

const running: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function harness(opts: SandboxOptions = {}): Promise<Harness> {
  const clock = { t: Date.UTC(2025, 5, 1, 9, 0, 0) };
  const sandbox = createSandbox({ seed: 'client-test', staff: 8, customers: 60, now: () => clock.t, ...opts });
  running.push(sandbox);
  const url = await sandbox.listen();
  const calls = new Map<string, number>();
  const h: Harness = {
    sandbox,
    url,
    calls,
    clock,
    fetch: (input, init) => {
      const u = new URL(String(input));
      h.rewrite?.(u);
      const api = u.pathname.replace('/cgi-bin/', '');
      calls.set(api, (calls.get(api) ?? 0) + 1);
      return globalThis.fetch(u, init);
    },
    client: (o = {}) =>
      createWeComClient({
        baseUrl: url,
        corpId: sandbox.credentials.corpId,
        secret: sandbox.credentials.secret,
        fetch: h.fetch,
        now: () => clock.t,
        ...noSleep,
        ...o,
      }),
  };
  return h;
}

function capturingLog() {
  const lines: Array<{ obj: object; msg: string }> = [];
  const log: WeComLogger = { debug: (obj, msg) => lines.push({ obj, msg }), warn: (obj, msg) => lines.push({ obj, msg }) };
  return { log, lines };
}

describe('access tokens', () => {
  it('fetches one token for many concurrent calls and reuses it', async () => {
    const h = await harness();
    const client = h.client();
    const answers = await Promise.all(Array.from({ length: 25 }, () => client.getFollowUserList()));
    expect(answers.every((a) => a.follow_user.length > 0)).toBe(true);
    expect(h.calls.get('gettoken')).toBe(1);
    await client.listDepartmentUsers(1);
    expect(h.calls.get('gettoken')).toBe(1);
  });

  it('shares one gettoken between clients built on one token cache', async () => {
    const h = await harness();
    const tokens = createTokenCache();
    const [a, b] = [h.client({ tokens }), h.client({ tokens })];
    await Promise.all([a.getFollowUserList(), b.getFollowUserList(), a.getFollowUserList()]);
    expect(h.calls.get('gettoken')).toBe(1);
  });

  it('refreshes the token five minutes before it expires', async () => {
    const h = await harness();
    const client = h.client();
    const first = await client.accessToken();
    h.clock.t += (7200 - 301) * 1000;
    await client.getFollowUserList();
    expect(h.calls.get('gettoken')).toBe(1);
    h.clock.t += 2_000; // now inside the last five minutes
    await client.getFollowUserList();
    expect(h.calls.get('gettoken')).toBe(2);
    // WeCom hands out the same token while it is valid; past its expiry, a new one.
    expect(await client.accessToken()).toBe(first);
    h.clock.t += 300_000;
    expect(await client.accessToken()).not.toBe(first);
  });

  it('after a forced expiry (42001), refreshes once for all concurrent callers and retries them', async () => {
    const h = await harness();
    const client = h.client();
    const before = await client.accessToken();
    h.sandbox.expireTokens();
    const userids = (await client.getFollowUserList()).follow_user;
    expect(h.calls.get('gettoken')).toBe(2);
    h.sandbox.expireTokens();
    const lists = await Promise.all(userids.map((u) => client.listExternalContacts(u).catch((e: unknown) => e)));
    expect(lists.filter((l) => l instanceof Error && !(l instanceof WeComError && l.errcode === 84061))).toEqual([]);
    expect(h.calls.get('gettoken')).toBe(3);
    expect(await client.accessToken()).not.toBe(before);
  });

  it('retries once after 40014 with a fresh token, and surfaces a second rejection', async () => {
    const h = await harness();
    const client = h.client();
    await client.accessToken();
    let corrupt = 1;
    h.rewrite = (u) => {
      if (u.pathname.endsWith('get_follow_user_list') && corrupt-- > 0) u.searchParams.set('access_token', 'not-a-token');
    };
    await expect(client.getFollowUserList()).resolves.toMatchObject({ errcode: 0 });
    expect(h.calls.get('gettoken')).toBe(2);

    h.rewrite = (u) => {
      if (u.pathname.endsWith('get_follow_user_list')) u.searchParams.set('access_token', 'not-a-token');
    };
    const err = await client.getFollowUserList().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeComError);
    expect(err).toMatchObject({ errcode: 40014, api: 'externalcontact/get_follow_user_list', meaning: { zh: '不合法的access_token' } });
    expect(h.calls.get('externalcontact/get_follow_user_list')).toBe(4);
  });

  it('surfaces a bad secret as WeComError 40001 to every waiting caller, with its meaning and without the secret', async () => {
    const h = await harness();
    const { log, lines } = capturingLog();
    const secret = 'wrong-secret-0123456789';
    const client = h.client({ secret, log });
    const errors = (await Promise.all(Array.from({ length: 5 }, () => client.getFollowUserList().catch((e: unknown) => e)))) as WeComError[];
    expect(h.calls.get('gettoken')).toBe(1);
    for (const err of errors) {
      expect(err).toBeInstanceOf(WeComError);
      expect(err).toMatchObject({ api: 'gettoken', errcode: 40001, meaning: { zh: '不合法的secret参数' } });
      expect(err.meaning.en).toMatch(/secret/i);
      expect(err.message).not.toContain(secret);
    }
    expect(JSON.stringify(lines)).not.toContain(secret);
    // Nothing cached after a failure: a later call asks again.
    await client.getFollowUserList().catch(() => {});
    expect(h.calls.get('gettoken')).toBe(2);
  });
});

describe('rate limits', () => {
  it('backs off with jitter on 45009 and succeeds once the window has passed', async () => {
    const h = await harness({ rateLimit: { limit: 3, windowMs: 10_000 } });
    const { log, lines } = capturingLog();
    const delays: number[] = [];
    const client = h.client({
      log,
      random: () => 0.5,
      // The sandbox's clock moves by the time the client would have slept.
      sleep: async (ms) => {
        delays.push(ms);
        h.clock.t += ms;
      },
    });
    for (let i = 0; i < 3; i++) await client.getFollowUserList();
    expect(delays).toEqual([]);
    await expect(client.getFollowUserList()).resolves.toMatchObject({ errcode: 0 });
    expect(delays.length).toBeGreaterThan(0);
    // Equal jitter with random 0.5: three quarters of each doubling ceiling (2 s, 4 s, 8 s, …).
    expect(delays).toEqual([1500, 3000, 6000, 12000].slice(0, delays.length));
    expect(lines.some((l) => (l.obj as { errcode?: number }).errcode === 45009)).toBe(true);
    const token = await client.accessToken();
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(JSON.stringify(lines)).not.toContain(h.sandbox.credentials.secret);
  });

  it('gives up after maxRetries with WeComError 45009', async () => {
    const h = await harness({ rateLimit: { limit: 1, windowMs: 3_600_000 } });
    const client = h.client({ maxRetries: 2 });
    await client.getFollowUserList(); // the one call of the hour
    const err = await client.getFollowUserList().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeComError);
    expect(err).toMatchObject({ errcode: 45009, meaning: { zh: '接口调用超过限制' } });
    // The refused call went out three times: once, then two retries.
    expect(h.calls.get('externalcontact/get_follow_user_list')).toBe(4);
  });

  it('keeps at most maxConcurrency requests in flight', async () => {
    const h = await harness();
    let inFlight = 0;
    let peak = 0;
    const fetch: typeof globalThis.fetch = async (input, init) => {
      peak = Math.max(peak, ++inFlight);
      try {
        return await h.fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const client = h.client({ fetch, maxConcurrency: 3 });
    const userids = (await client.getFollowUserList()).follow_user;
    await Promise.all([...userids, ...userids].map((u) => client.listExternalContacts(u).catch(() => {})));
    expect(peak).toBe(3);
  });
});

describe('paging', () => {
  it('walks every (customer, member) pair of a few hundred customers with batch/get_by_user', async () => {
    // 120 members: more than one userid_list of 100, so the walk spans two batches.
    const h = await harness({ staff: 120, customers: 400 });
    const client = h.client();
    const { corp } = h.sandbox;
    const userids: string[] = [];
    for await (const u of client.iterateUserIds(50)) if (!userids.includes(u.userid)) userids.push(u.userid);
    expect(userids.length).toBe(corp.activeStaff().length);

    const seen: string[] = [];
    for await (const pair of client.iterateExternalContactsByUser(userids, { limit: 37 })) {
      seen.push(`${pair.follow_info.userid} ${pair.external_contact.external_userid}`);
      expect(pair.external_contact.name).toBeTruthy();
    }
    const expected = corp.activeStaff().flatMap((s) => corp.relationsOfStaff(s.index).map((r) => `${s.userid} ${corp.externalUserid(corp.customerOf(r))}`));
    expect(expected.length).toBeGreaterThan(400); // some customers follow two members
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...expected].sort());
    // Two batches of userids, each walked in pages of at most 37 pairs.
    expect(h.calls.get('externalcontact/batch/get_by_user')).toBeGreaterThanOrEqual(Math.ceil(expected.length / 37));
  });

  it('joins every page of follow_user in getExternalContactWithAllFollowers', async () => {
    const h = await harness({ followUserPageSize: 1, customers: 120 });
    const client = h.client();
    const { corp } = h.sandbox;
    let customer = 0;
    while (corp.relationsOfCustomer(customer).length < 2) customer++;
    const id = corp.externalUserid(customer);
    const first = await client.getExternalContact(id);
    expect(first.follow_user).toHaveLength(1);
    expect(first.next_cursor).toBeTruthy();
    const all = await client.getExternalContactWithAllFollowers(id);
    expect(all.follow_user.map((f) => f.userid)).toEqual(corp.relationsOfCustomer(customer).map((r) => corp.staff[corp.staffOf(r)].userid));
    expect(all.next_cursor).toBeUndefined();
  });

  it('walks customer groups with groupchat/list and reads one with groupchat/get', async () => {
    const h = await harness({ groups: 25 });
    const client = h.client();
    const chats = [];
    for await (const chat of client.iterateGroupChats({}, { limit: 10 })) chats.push(chat);
    expect(chats.length).toBe(h.sandbox.state.groups.groups.filter((g) => !g.dismissed).length);
    expect(h.calls.get('externalcontact/groupchat/list')).toBe(3);
    const { group_chat } = await client.getGroupChat(chats[0].chat_id, 1);
    expect(group_chat.chat_id).toBe(chats[0].chat_id);
    expect(group_chat.member_list.length).toBeGreaterThan(0);
    expect(group_chat.member_list.every((m) => m.name)).toBe(true);
    await expect(client.getGroupChat('wrNoSuchChat')).rejects.toMatchObject({ errcode: 40050, meaning: { zh: 'chatid不存在' } });
  });
});

describe('welcome messages', () => {
  const attachments: Attachment[] = [
    { msgtype: 'image', image: { pic_url: 'https://wework.qpic.cn/wwpic/welcome.png' } },
    { msgtype: 'link', link: { title: '新会员礼包', url: 'https://example.com/gift', desc: '到店领取' } },
    { msgtype: 'miniprogram', miniprogram: { title: '会员中心', pic_media_id: 'MEDIA_ID', appid: 'wx8bd80126147dfAAA', page: '/pages/member' } },
  ];

  it('sends within the 20-second window, once; refuses a second send and a late one', async () => {
    const h = await harness();
    const client = h.client();
    const { state } = h.sandbox;
    const { welcomeCode } = applyScenario(state, { scenario: 'add-contact' });
    h.clock.t += 19_000;
    await client.sendWelcomeMsg({ welcome_code: welcomeCode!, text: { content: '欢迎光临！' }, attachments });
    expect(state.welcomeMessages).toHaveLength(1);
    expect(state.welcomeMessages[0]).toMatchObject({ text: { content: '欢迎光临！' }, attachments });

    const again = await client.sendWelcomeMsg({ welcome_code: welcomeCode!, text: { content: '再次欢迎' } }).catch((e: unknown) => e);
    expect(again).toMatchObject({ errcode: 41051, api: 'externalcontact/send_welcome_msg' });
    expect((again as WeComError).meaning.en).toMatch(/already/);

    const late = applyScenario(state, { scenario: 'add-contact' }).welcomeCode!;
    h.clock.t += 21_000;
    const err = await client.sendWelcomeMsg({ welcome_code: late, text: { content: '欢迎光临！' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ errcode: 41050, meaning: { zh: '无效的欢迎语code' } });
    expect((err as WeComError).meaning.en).toMatch(/20-second/);
    expect(state.welcomeMessages).toHaveLength(1);
  });
});

describe('errcode meanings', () => {
  it('covers every errcode the sandbox can answer', () => {
    const missing = Object.values(ERRCODES)
      .map(([code]) => code)
      .filter((code) => !WECOM_ERRCODES[code]);
    expect(missing).toEqual([]);
  });
});

describe('typed calls against the sandbox', () => {
  it('manages corp tags and tags a customer', async () => {
    const h = await harness();
    const client = h.client();
    const { corp } = h.sandbox;
    const before = await client.getCorpTagList();
    expect(before.tag_group.length).toBeGreaterThan(0);
    const { tag_group } = await client.addCorpTag({ group_name: '门店', tag: [{ name: '徐汇店' }, { name: '静安店', order: 2 }] });
    expect(tag_group.tag.map((t) => t.name)).toEqual(['徐汇店', '静安店']);
    const [xuhui, jingan] = tag_group.tag;
    await client.editCorpTag({ id: xuhui.id, name: '徐汇旗舰店' });
    const only = await client.getCorpTagList({ group_id: [tag_group.group_id] });
    expect(only.tag_group[0].tag.map((t) => t.name)).toEqual(['徐汇旗舰店', '静安店']);
    await expect(client.addCorpTag({ group_id: tag_group.group_id, tag: [{ name: '静安店' }] })).rejects.toMatchObject({ errcode: 40071 });

    const staff = corp.activeStaff().find((s) => corp.relationsOfStaff(s.index).length)!;
    const externalUserid = corp.externalUserid(corp.customerOf(corp.relationsOfStaff(staff.index)[0]));
    await client.markTag({ userid: staff.userid, external_userid: externalUserid, add_tag: [xuhui.id, jingan.id] });
    await client.markTag({ userid: staff.userid, external_userid: externalUserid, remove_tag: [jingan.id] });
    const { follow_user } = await client.getExternalContact(externalUserid);
    const tags = follow_user.find((f) => f.userid === staff.userid)!.tags!.map((t) => t.tag_id);
    expect(tags).toContain(xuhui.id);
    expect(tags).not.toContain(jingan.id);

    await client.delCorpTag({ group_id: [tag_group.group_id] });
    expect((await client.getCorpTagList()).tag_group.map((g) => g.group_id)).not.toContain(tag_group.group_id);
    await expect(client.markTag({ userid: staff.userid, external_userid: 'wmNoSuchCustomer', add_tag: [xuhui.id] })).rejects.toMatchObject({ errcode: 40096 });
  });

  it('creates, reads, updates, lists and deletes a contact way', async () => {
    const h = await harness();
    const client = h.client();
    const [a, b] = h.sandbox.corp.activeStaff();
    const added = await client.addContactWay({ type: 2, scene: 2, remark: '门店海报', state: 'store-poster', user: [a.userid, b.userid], skip_verify: true });
    expect(added.qr_code).toMatch(/^https:/);
    const { contact_way } = await client.getContactWay(added.config_id);
    expect(contact_way).toMatchObject({ config_id: added.config_id, type: 2, scene: 2, state: 'store-poster', user: [a.userid, b.userid] });
    await client.updateContactWay({ config_id: added.config_id, remark: '门店海报（新）', user: [a.userid] });
    expect((await client.getContactWay(added.config_id)).contact_way).toMatchObject({ remark: '门店海报（新）', state: 'store-poster', user: [a.userid] });
    expect((await client.listContactWays()).contact_way.map((w) => w.config_id)).toContain(added.config_id);
    await client.delContactWay(added.config_id);
    await expect(client.getContactWay(added.config_id)).rejects.toMatchObject({ errcode: 41044, meaning: { zh: '无效的「联系我」config_id参数' } });
  });

  it('creates a mass message and reads its tasks and deliveries', async () => {
    const h = await harness();
    const client = h.client();
    const { corp } = h.sandbox;
    const sender = corp.activeStaff().find((s) => corp.relationsOfStaff(s.index).length >= 2)!;
    const customers = corp.relationsOfStaff(sender.index).map((r) => corp.externalUserid(corp.customerOf(r)));
    const { msgid, fail_list } = await client.addMsgTemplate({
      chat_type: 'single',
      sender: sender.userid,
      external_userid: customers,
      text: { content: '618 会员日' },
      attachments: [{ msgtype: 'link', link: { title: '活动页', url: 'https://example.com/618' } }],
    });
    expect(fail_list ?? []).toEqual([]);
    const nowS = Math.floor(h.clock.t / 1000);
    const list = await client.getGroupMsgListV2({ chat_type: 'single', start_time: nowS - 3600, end_time: nowS + 60 });
    expect(list.group_msg_list.map((m) => m.msgid)).toContain(msgid);
    expect((await client.getGroupMsgTask({ msgid })).task_list).toEqual([{ userid: sender.userid, status: 0 }]);
    h.sandbox.confirmGroupMsg(msgid);
    const { task_list } = await client.getGroupMsgTask({ msgid });
    expect(task_list[0].status).toBe(2);
    const { send_list } = await client.getGroupMsgSendResult({ msgid, userid: sender.userid });
    expect(send_list.map((s) => s.external_userid).sort()).toEqual([...customers].sort());
    expect(send_list.every((s) => s.status === 1)).toBe(true);
    await expect(client.getGroupMsgTask({ msgid: 'msgNoSuch' })).rejects.toMatchObject({ errcode: 41047 });
  });

  it('hands customers over, for members employed and members who left', async () => {
    const h = await harness({ staff: 20, customers: 200, resignedStaff: 2 });
    const client = h.client();
    const { corp } = h.sandbox;
    const [handover, takeover] = corp.activeStaff().filter((s) => corp.relationsOfStaff(s.index).length);
    const ids = corp
      .relationsOfStaff(handover.index)
      .slice(0, 2)
      .map((r) => corp.externalUserid(corp.customerOf(r)));
    const moved = await client.transferCustomer({
      handover_userid: handover.userid,
      takeover_userid: takeover.userid,
      external_userid: [...ids, 'wmNoSuchCustomer'],
      transfer_success_msg: '您好，我是新的专属顾问',
    });
    expect(moved.customer).toEqual([...ids.map((id) => ({ external_userid: id, errcode: 0 })), { external_userid: 'wmNoSuchCustomer', errcode: 40096 }]);
    let result = await client.transferResult({ handover_userid: handover.userid, takeover_userid: takeover.userid });
    expect(result.customer.map((c) => c.status)).toEqual([2, 2]);
    h.sandbox.completeTransfers();
    result = await client.transferResult({ handover_userid: handover.userid, takeover_userid: takeover.userid });
    expect(result.customer.map((c) => c.status)).toEqual([1, 1]);

    const unassigned = await client.getUnassignedList({ page_size: 1000 });
    expect(unassigned.is_last).toBe(true);
    expect(unassigned.info.length).toBeGreaterThan(0);
    const { handover_userid, external_userid } = unassigned.info[0];
    const resigned = await client.resignedTransferCustomer({ handover_userid, takeover_userid: takeover.userid, external_userid: [external_userid] });
    expect(resigned.customer).toEqual([{ external_userid, errcode: 0 }]);
    expect((await client.resignedTransferResult({ handover_userid, takeover_userid: takeover.userid })).customer[0]).toMatchObject({
      external_userid,
      status: 2,
    });
    await expect(
      client.resignedTransferCustomer({ handover_userid: handover.userid, takeover_userid: takeover.userid, external_userid: ids }),
    ).rejects.toMatchObject({
      errcode: 40097,
      meaning: { zh: '该成员尚未离职' },
    });
  });

  it('reaches an API without a typed method through request()', async () => {
    const h = await harness();
    const client = h.client();
    const res = await client.request<WeComOk & { userlist: Array<{ userid: string }> }>({
      api: 'user/simplelist',
      method: 'GET',
      query: { department_id: 1, fetch_child: 1 },
      idempotent: true,
    });
    expect(res.userlist.length).toBe(h.sandbox.corp.activeStaff().length);
    const unknown = await client.request({ api: 'externalcontact/no_such_api', method: 'POST', body: {}, idempotent: true }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ errcode: 48001, api: 'externalcontact/no_such_api' });
  });
});
