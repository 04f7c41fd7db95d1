import { Command } from 'commander';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { computeSignature, createWeComCrypto, WeComCryptoError } from '../src/wecom/crypto.js';
import { parseEnvelopeXml, parseMessageXml, type WeComMessage } from '../src/wecom/crypto-xml.js';
import { registerWeComSandboxCommand } from './cli.js';
import type { CallbackScenario } from './scenarios.js';
import { startSandbox } from './test-helpers.js';

let h: Awaited<ReturnType<typeof startSandbox>>;
const receiver = Fastify();
const received: Array<{ query: Record<string, string>; body: string; event: WeComMessage }> = [];
let callbackUrl = '';

beforeAll(async () => {
  h = await startSandbox({ staff: 6, customers: 80, groups: 5 });
  const { callbackToken, encodingAesKey, corpId } = h.sb.credentials;
  // A callback endpoint written as Siyu's will be: verify and decrypt with crypto.ts.
  const crypto = createWeComCrypto({ token: callbackToken, encodingAesKey, receiveId: corpId });
  receiver.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  receiver.get('/wecom/callback', async (req, reply) => {
    const q = req.query as Record<string, string>;
    try {
      return crypto.verifyUrl(q.msg_signature, q.timestamp, q.nonce, q.echostr);
    } catch (err) {
      return reply.code(403).send((err as WeComCryptoError).reason);
    }
  });
  receiver.post('/wecom/callback', async (req, reply) => {
    const q = req.query as Record<string, string>;
    try {
      const xml = crypto.decrypt(q.msg_signature, q.timestamp, q.nonce, parseEnvelopeXml(req.body as string).encrypt);
      received.push({ query: q, body: req.body as string, event: parseMessageXml(xml) });
      return 'success';
    } catch (err) {
      return reply.code(403).send((err as WeComCryptoError).reason);
    }
  });
  callbackUrl = (await receiver.listen({ port: 0, host: '127.0.0.1' })) + '/wecom/callback';
});
afterAll(async () => {
  await receiver?.close();
  await h?.close();
});

async function fire(spec: CallbackScenario): Promise<WeComMessage> {
  const before = received.length;
  const fired = await h.sb.fireCallback(callbackUrl, spec);
  expect(fired.status).toBe(200);
  expect(fired.response).toBe('success');
  expect(received.length).toBe(before + 1);
  const got = received[received.length - 1].event;
  expect(got).toEqual(fired.event);
  return got;
}

describe('URL verification', () => {
  it('passes for a receiver with the same Token and key, fails for another', async () => {
    expect((await h.sb.verifyUrl(callbackUrl)).ok).toBe(true);
    const wrong = await h.sb.verifyUrl(callbackUrl, { token: 'someone-else' });
    expect(wrong).toMatchObject({ ok: false, status: 403, received: 'bad_signature' });
  });
});

describe('the envelope', () => {
  it("is WeCom's: XML with ToUserName, Encrypt and AgentID, signed in the query", async () => {
    await fire({ scenario: 'edit-contact' });
    const { query, body } = received[received.length - 1];
    const envelope = parseEnvelopeXml(body);
    expect(envelope).toMatchObject({ toUserName: h.sb.credentials.corpId, agentId: '1000002' });
    expect(query.timestamp).toBe(String(Math.floor(h.clock.now() / 1000)));
    expect(query.nonce).toMatch(/^\d{10}$/);
    expect(query.msg_signature).toBe(computeSignature(h.sb.credentials.callbackToken, query.timestamp, query.nonce, envelope.encrypt));
  });

  it('is refused by a receiver holding another EncodingAESKey', async () => {
    const other = await h.sb.fireCallback(callbackUrl, { scenario: 'edit-contact' }, { encodingAesKey: 'a'.repeat(43) });
    expect(other.status).toBe(403);
  });
});

describe('contact events', () => {
  it('add-contact through a contact way carries its State and a WelcomeCode good for 20 s, once', async () => {
    const user = h.sb.corp.activeStaff()[1].userid;
    const way = await h.ok('externalcontact/add_contact_way', { body: { type: 1, scene: 2, user: [user], state: 'store_sh_009' } });
    const event = await fire({ scenario: 'add-contact', configId: way.config_id });
    expect(event).toMatchObject({
      ToUserName: h.sb.credentials.corpId,
      FromUserName: 'sys',
      MsgType: 'event',
      Event: 'change_external_contact',
      ChangeType: 'add_external_contact',
      UserID: user,
      State: 'store_sh_009',
    });
    expect(event.CreateTime).toBe(String(Math.floor(h.clock.now() / 1000)));
    const ext = event.ExternalUserID as string;
    const detail = await h.ok('externalcontact/get', { query: { external_userid: ext } });
    expect(detail.follow_user).toEqual([expect.objectContaining({ userid: user, state: 'store_sh_009', add_way: 1, oper_userid: ext })]);

    h.clock.advance(19_000);
    await h.ok('externalcontact/send_welcome_msg', { body: { welcome_code: event.WelcomeCode, text: { content: '欢迎光临！' } } });
    expect(h.sb.state.welcomeMessages.at(-1)).toMatchObject({ userid: user, externalUserid: ext, text: { content: '欢迎光临！' } });
    expect(await h.errcode('externalcontact/send_welcome_msg', { body: { welcome_code: event.WelcomeCode, text: { content: 'again' } } })).toBe(41051);

    const late = await fire({ scenario: 'add-contact', userid: user });
    h.clock.advance(20_001);
    expect(await h.errcode('externalcontact/send_welcome_msg', { body: { welcome_code: late.WelcomeCode, text: { content: 'hi' } } })).toBe(41050);
    const empty = await fire({ scenario: 'add-contact', userid: user });
    expect(await h.errcode('externalcontact/send_welcome_msg', { body: { welcome_code: empty.WelcomeCode } })).toBe(44004);
    expect(await h.errcode('externalcontact/send_welcome_msg', { body: { welcome_code: 'made-up' } })).toBe(41050);
  });

  it('edit-contact changes the remark the API shows', async () => {
    const { corp } = h.sb;
    const rel = corp.relationsOfStaff(2)[0];
    const ext = corp.externalUserid(corp.customerOf(rel));
    const event = await fire({ scenario: 'edit-contact', userid: corp.staff[2].userid, externalUserid: ext, remark: '王女士-金卡' });
    expect(event).toMatchObject({ ChangeType: 'edit_external_contact', UserID: corp.staff[2].userid, ExternalUserID: ext });
    const follow = (await h.ok('externalcontact/get', { query: { external_userid: ext } })).follow_user.find((f: any) => f.userid === corp.staff[2].userid);
    expect(follow.remark).toBe('王女士-金卡');
  });

  it('del-follow-user and del-external-contact end the relation for the API too', async () => {
    const user = h.sb.corp.activeStaff()[0].userid;
    const added = await fire({ scenario: 'add-contact', userid: user });
    const ext = added.ExternalUserID as string;
    const user2 = h.sb.corp.activeStaff()[2].userid;
    await fire({ scenario: 'add-contact', userid: user2, externalUserid: ext });
    expect((await h.ok('externalcontact/get', { query: { external_userid: ext } })).follow_user).toHaveLength(2);

    const gone = await fire({ scenario: 'del-follow-user', userid: user, externalUserid: ext });
    expect(gone).toMatchObject({ ChangeType: 'del_follow_user', UserID: user, ExternalUserID: ext });
    expect((await h.ok('externalcontact/get', { query: { external_userid: ext } })).follow_user.map((f: any) => f.userid)).toEqual([user2]);
    expect((await h.ok('externalcontact/list', { query: { userid: user } })).external_userid).not.toContain(ext);

    const deleted = await fire({ scenario: 'del-external-contact', userid: user2, externalUserid: ext });
    expect(deleted.ChangeType).toBe('del_external_contact');
    expect(await h.errcode('externalcontact/get', { query: { external_userid: ext } })).toBe(84061);
  });

  it('transfer-fail marks the handover refused', async () => {
    const { corp } = h.sb;
    const [from, to] = corp.activeStaff();
    const rel = corp.relationsOfStaff(from.index).find((r) => corp.relationBetween(to.index, corp.customerOf(r)) < 0)!;
    const ext = corp.externalUserid(corp.customerOf(rel));
    await h.ok('externalcontact/transfer_customer', { body: { handover_userid: from.userid, takeover_userid: to.userid, external_userid: [ext] } });
    const event = await fire({ scenario: 'transfer-fail', externalUserid: ext });
    expect(event).toMatchObject({ ChangeType: 'transfer_fail', FailReason: 'customer_refused', UserID: to.userid, ExternalUserID: ext });
    const result = await h.ok('externalcontact/transfer_result', { body: { handover_userid: from.userid, takeover_userid: to.userid } });
    expect(result.customer.find((c: any) => c.external_userid === ext).status).toBe(3);
  });
});

describe('group events', () => {
  it('create, join, quit and dismiss agree with groupchat/get', async () => {
    const { corp } = h.sb;
    const owner = corp.activeStaff()[1].userid;
    const created = await fire({ scenario: 'group-create', owner, name: '上海静安店会员群' });
    expect(created).toMatchObject({ Event: 'change_external_chat', ChangeType: 'create' });
    const chatId = created.ChatId as string;
    const detail = async () => (await h.ok('externalcontact/groupchat/get', { body: { chat_id: chatId } })).group_chat;
    expect((await detail()).name).toBe('上海静安店会员群');
    expect((await detail()).owner).toBe(owner);

    const version0 = (await detail()).member_version;
    const newcomers = [corp.externalUserid(70), corp.externalUserid(71)];
    const joined = await fire({ scenario: 'group-join', chatId, members: newcomers, joinScene: 3 });
    expect(joined).toMatchObject({
      ChangeType: 'update',
      UpdateDetail: 'add_member',
      JoinScene: '3',
      MemChangeCnt: '2',
      MemChangeList: { Item: newcomers },
      LastMemVer: version0,
    });
    const afterJoin = await detail();
    expect(afterJoin.member_version).toBe(joined.CurMemVer);
    expect(afterJoin.member_list.filter((m: any) => newcomers.includes(m.userid)).map((m: any) => m.join_scene)).toEqual([3, 3]);

    const quit = await fire({ scenario: 'group-quit', chatId, members: [newcomers[0]], quitScene: 1 });
    expect(quit).toMatchObject({
      UpdateDetail: 'del_member',
      QuitScene: '1',
      MemChangeCnt: '1',
      MemChangeList: { Item: [newcomers[0]] },
      LastMemVer: joined.CurMemVer,
    });
    const afterQuit = await detail();
    expect(afterQuit.member_version).toBe(quit.CurMemVer);
    expect(afterQuit.member_list.map((m: any) => m.userid)).not.toContain(newcomers[0]);

    await fire({ scenario: 'group-rename', chatId, name: '静安店 VIP 群' });
    expect((await detail()).name).toBe('静安店 VIP 群');

    const dismissed = await fire({ scenario: 'group-dismiss', chatId });
    expect(dismissed).toMatchObject({ ChatId: chatId, ChangeType: 'dismiss' });
    expect(await h.errcode('externalcontact/groupchat/get', { body: { chat_id: chatId } })).toBe(40050);
    const list = await h.ok('externalcontact/groupchat/list', { body: { limit: 1000 } });
    expect(list.group_chat_list.map((g: any) => g.chat_id)).not.toContain(chatId);
  });
});

describe('tag events', () => {
  it('create, update and delete agree with get_corp_tag_list', async () => {
    const tagIds = async () =>
      (await h.ok('externalcontact/get_corp_tag_list', { body: {} })).tag_group.flatMap((g: any) => g.tag.map((t: any) => `${t.id}:${t.name}`));
    const created = await fire({ scenario: 'tag-create', name: '高净值' });
    expect(created).toMatchObject({ Event: 'change_external_tag', TagType: 'tag', ChangeType: 'create' });
    expect(await tagIds()).toContain(`${created.Id}:高净值`);
    const updated = await fire({ scenario: 'tag-update', tagId: created.Id as string, name: '高净值客户' });
    expect(updated).toMatchObject({ Id: created.Id, ChangeType: 'update' });
    expect(await tagIds()).toContain(`${created.Id}:高净值客户`);
    await fire({ scenario: 'tag-delete', tagId: created.Id as string });
    expect((await tagIds()).some((t: string) => t.startsWith(created.Id as string))).toBe(false);
    const group = await fire({ scenario: 'tag-create', groupName: '会员等级 2025', name: '黑金' });
    expect(group).toMatchObject({ TagType: 'tag_group', ChangeType: 'create' });
  });
});

describe('scenario errors', () => {
  it('names what is wrong and changes nothing', async () => {
    const before = h.sb.corp.customerCount;
    await expect(h.sb.fireCallback(callbackUrl, { scenario: 'add-contact', userid: 'nobody' })).rejects.toThrow(/no active member with userid "nobody"/);
    await expect(h.sb.fireCallback(callbackUrl, { scenario: 'group-dismiss', chatId: 'wrnope' })).rejects.toThrow(/no customer group wrnope/);
    expect(h.sb.corp.customerCount).toBe(before);
  });
});

describe('control endpoints and the CLI', () => {
  it('fires through POST /sandbox/callbacks/fire and refuses unknown scenarios', async () => {
    const post = (path: string, body: unknown) => fetch(`${h.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    const res = await post('/sandbox/callbacks/fire', { url: callbackUrl, scenario: 'tag-create', name: '门店新客' });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as any;
    expect(answer).toMatchObject({ status: 200, response: 'success', event: { Event: 'change_external_tag', ChangeType: 'create' } });
    expect(received.at(-1)!.event.Id).toBe(answer.event.Id);
    const bad = await post('/sandbox/callbacks/fire', { url: callbackUrl, scenario: 'explode' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatch(/scenario must be one of add-contact/);
    const unreachable = await post('/sandbox/callbacks/fire', { url: 'http://127.0.0.1:1/x', scenario: 'tag-create' });
    expect(unreachable.status).toBe(502);
    const info = (await (await fetch(`${h.url}/sandbox/info`)).json()) as any;
    expect(info).toMatchObject({ corpId: h.sb.credentials.corpId, callbackToken: h.sb.credentials.callbackToken, baseUrl: h.url });
  });

  it('`siyu wecom-sandbox fire` sends a callback through the running sandbox', async () => {
    const program = new Command().exitOverride();
    registerWeComSandboxCommand(program);
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    try {
      await program.parseAsync(
        ['wecom-sandbox', 'fire', '--sandbox', h.url, '--url', callbackUrl, '--scenario', 'add-contact', '--state', 'cli_test', '--json'],
        { from: 'user' },
      );
    } finally {
      spy.mockRestore();
    }
    const result = JSON.parse(out.join(''));
    expect(result).toMatchObject({ status: 200, event: { ChangeType: 'add_external_contact', State: 'cli_test' } });
    expect(received.at(-1)!.event.ExternalUserID).toBe(result.event.ExternalUserID);
  });
});
