import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox } from '../../wecom-sandbox/test-helpers.js';
import { describeEngines } from '../../test/support/engines.js';
import type { Kysely } from 'kysely';
import type { ScrmDB } from '../scrm/schema.js';
import { recordInboundReply } from './replies.service.js';
import { messagingTestApp } from './test-kit.js';

/** The test writes SCRM's rows (connection, follows, groups) as the SCRM module would. */
const sdb = (db: unknown) => db as Kysely<ScrmDB>;

describeEngines('WeCom channels against the sandbox', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let h: Awaited<ReturnType<typeof startSandbox>>;
  beforeAll(async () => {
    h = await startSandbox({ staff: 4, customers: 30, groups: 4, resignedStaff: 0 });
    k = await messagingTestApp(engine);
    const { clock } = k.t.services;
    const cipher = await k.t.services.cipher.forWorkspace(k.t.workspaceId);
    const now = clock.now();
    // The SCRM module's stored connection, pointed at the sandbox.
    await sdb(k.t.database.db)
      .insertInto('wecom_apps')
      .values({
        workspace_id: k.t.workspaceId,
        corp_id: h.sb.credentials.corpId,
        agent_id: null,
        secret_enc: cipher.encrypt(h.sb.credentials.secret),
        callback_token_enc: cipher.encrypt(h.sb.credentials.callbackToken),
        encoding_aes_key_enc: cipher.encrypt(h.sb.credentials.encodingAesKey),
        api_base_url: h.url,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await k.api('PATCH', '/v1/messaging/settings', { consent: { marketingRequiresOptIn: false } });
  });
  afterAll(async () => {
    await k?.close();
    await h?.close();
  });

  /** A sandbox customer of `staffIndex`, mirrored as the SCRM module would: profile + follow row. */
  async function customerOf(staffIndex: number, n: number, followAs?: string) {
    const { corp } = h.sb;
    const rel = corp.relationsOfStaff(staffIndex)[n]!;
    const c = corp.customerOf(rel);
    const eu = corp.externalUserid(c);
    const userid = followAs ?? corp.staff[staffIndex]!.userid;
    const pid = await k.profile(`wc-${eu}`, { name: `客户${n}` }, [{ type: `external_userid:${h.sb.credentials.corpId}`, id: eu }]);
    const now = k.t.clock.now();
    await sdb(k.t.database.db)
      .insertInto('scrm_follows')
      .values({
        workspace_id: k.t.workspaceId,
        external_userid: eu,
        userid,
        remark: null,
        description: null,
        add_way: 1,
        state: null,
        tag_ids: '[]',
        added_at: now - 86_400_000,
        deleted_at: null,
        deleted_by: null,
        updated_at: now,
      })
      .execute();
    return { pid, eu, c, userid };
  }

  it('sends 1:1 through the owning staff member (add_msg_template, chat_type single)', async () => {
    const { pid, c, userid } = await customerOf(0, 0);
    const tpl = await k.api('POST', '/v1/templates', {
      name: 'wc-hello',
      channel: 'wecom',
      variants: { 'zh-CN': { text: '{{ profile.name }}，您好！', attachments: [{ msgtype: 'link', link: { title: '新品', url: 'https://shop.test' } }] } },
    });
    const sent = await k.api('POST', '/v1/messages', { profileId: pid, channel: 'wecom', templateId: tpl.body.id, idempotencyKey: 'wc-1' });
    expect(await k.dispatcher.runOnce()).toMatchObject({ sent: 1 });
    const msg = (await k.api('GET', `/v1/messages/${sent.body.id}`)).body;
    expect(msg.status).toBe('sent');
    const task = h.sb.state.groupMsgs.get(msg.providerMessageId)!;
    expect(task.chatType).toBe('single');
    expect(task.text).toEqual({ content: '客户0，您好！' });
    expect([...task.target]).toEqual([c]);
    expect(h.sb.corp.staff[task.targetStaff[0]!]!.userid).toBe(userid);
    expect(await k.events(pid, 'Message Sent')).toHaveLength(1);
  });

  it('holds a second mass message to the same customer until the next China day (WeCom allows one a day)', async () => {
    const { pid } = await customerOf(1, 0);
    const first = await k.api('POST', '/v1/messages', { profileId: pid, channel: 'wecom', content: { text: 'one' }, idempotencyKey: 'wc-day-1' });
    const second = await k.api('POST', '/v1/messages', { profileId: pid, channel: 'wecom', content: { text: 'two' }, idempotencyKey: 'wc-day-2' });
    await k.dispatcher.runOnce();
    expect((await k.api('GET', `/v1/messages/${first.body.id}`)).body.status).toBe('sent');
    const held = (await k.api('GET', `/v1/messages/${second.body.id}`)).body;
    expect(held).toMatchObject({ status: 'held', reason: 'wecom_daily_limit', nextAttemptAt: '2026-11-03T16:00:00.000Z' });
    // Midnight in Shanghai is inside quiet hours: it waits on until 09:00, then goes.
    k.t.clock.set(Date.parse('2026-11-03T16:00:00Z'));
    await k.dispatcher.runOnce();
    expect((await k.api('GET', `/v1/messages/${second.body.id}`)).body).toMatchObject({
      status: 'held',
      reason: 'quiet_hours',
      nextAttemptAt: '2026-11-04T01:00:00.000Z',
    });
    k.t.clock.set(Date.parse('2026-11-04T01:00:00Z'));
    await k.dispatcher.runOnce();
    expect((await k.api('GET', `/v1/messages/${second.body.id}`)).body.status).toBe('sent');
  });

  it("records WeCom refusing a customer who is not the sender's as a failure with WeCom's errcode", async () => {
    // The follow row names a member who is not this customer's owner in WeCom.
    const other = h.sb.corp.activeStaff().find((s) => s.index !== 2)!;
    const { corp } = h.sb;
    const rel = corp.relationsOfStaff(2).find((r) => corp.relationBetween(other.index, corp.customerOf(r)) < 0)!;
    const n = corp.relationsOfStaff(2).indexOf(rel);
    const { pid } = await customerOf(2, n, other.userid);
    const sent = await k.api('POST', '/v1/messages', {
      profileId: pid,
      channel: 'wecom',
      purpose: 'service',
      content: { text: 'x' },
      idempotencyKey: 'wc-fail',
    });
    await k.dispatcher.runOnce();
    // The only target fails, so WeCom refuses the whole task: 41048, nobody to send to.
    expect((await k.api('GET', `/v1/messages/${sent.body.id}`)).body).toMatchObject({ status: 'failed', errorCode: 'wecom:41048' });
    expect((await k.events(pid, 'Message Failed'))[0]!.payload.properties.errorCode).toBe('wecom:41048');
  });

  it("records a customer's WeCom reply (as the conversation archive import does) against the latest wecom message within the window", async () => {
    const { pid } = await customerOf(3, 0);
    const sent = await k.api('POST', '/v1/messages', {
      profileId: pid,
      channel: 'wecom',
      purpose: 'service',
      content: { text: '新品到店，欢迎试穿' },
      idempotencyKey: 'wc-reply-1',
    });
    expect(await k.dispatcher.runOnce()).toMatchObject({ sent: 1 });
    const sentAt = k.t.clock.now();
    const { dialect } = k.t.database;
    // The archive import calls it inside the transaction that stores its own events.
    const inbound = (at: number, excerpt: string, replyId?: string) =>
      k.t.database.db
        .transaction()
        .execute((trx) => recordInboundReply({ db: trx, dialect }, { workspaceId: k.t.workspaceId, profileId: pid, channel: 'wecom', at, excerpt, replyId }));
    expect(await inbound(sentAt + 5 * 60_000, '什么价格？', 'archive-msg-1')).toEqual({ messageId: sent.body.id, recorded: true });
    // Importing the same archive again records nothing twice.
    expect(await inbound(sentAt + 5 * 60_000, '什么价格？', 'archive-msg-1')).toEqual({ messageId: sent.body.id, recorded: false });
    const ev = await k.events(pid, 'Message Replied');
    expect(ev).toHaveLength(1);
    expect(ev[0]!.payload.properties).toMatchObject({ messageId: sent.body.id, channel: 'wecom', excerpt: '什么价格？', replySeconds: 300 });
    expect((await k.api('GET', `/v1/messages/${sent.body.id}`)).body.repliedAt).toBe(new Date(sentAt + 5 * 60_000).toISOString());
    // Before the send, or past the 72 h window: nothing to answer.
    expect(await inbound(sentAt - 1000, 'earlier chat')).toEqual({ messageId: null, recorded: false });
    expect(await inbound(sentAt + 73 * 3_600_000, 'much later')).toEqual({ messageId: null, recorded: false });
    expect(await k.events(pid, 'Message Replied')).toHaveLength(1);
    await expect(inbound(Number.NaN, 'x')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      k.t.database.db
        .transaction()
        .execute((trx) =>
          recordInboundReply({ db: trx, dialect }, { workspaceId: k.t.workspaceId, profileId: pid, channel: 'sms' as 'wecom', at: sentAt, excerpt: 'x' }),
        ),
    ).rejects.toThrow(/not recorded this way/);
  });

  it('sends to a customer group through its owner (chat_type group)', async () => {
    const g = h.sb.state.groups.groups.find((x) => !x.dismissed)!;
    const owner = h.sb.corp.staff[g.owner]!.userid;
    const now = k.t.clock.now();
    await sdb(k.t.database.db)
      .insertInto('scrm_groups')
      .values({
        workspace_id: k.t.workspaceId,
        chat_id: g.chatId,
        name: g.name,
        owner,
        notice: null,
        status: 'active',
        member_count: g.members.length,
        created_at: now,
        dismissed_at: null,
        updated_at: now,
      })
      .execute();
    const sent = await k.api('POST', '/v1/messages', {
      channel: 'wecom_group',
      purpose: 'service',
      content: { text: '群公告：今晚 8 点直播' },
      recipient: { chatId: g.chatId },
      idempotencyKey: 'wg-1',
    });
    expect(sent.status).toBe(202);
    await k.dispatcher.runOnce();
    const msg = (await k.api('GET', `/v1/messages/${sent.body.id}`)).body;
    expect(msg.status).toBe('sent');
    const task = h.sb.state.groupMsgs.get(msg.providerMessageId)!;
    expect(task.chatType).toBe('group');
    expect([...task.target]).toEqual([g.index]);
    expect(task.text).toEqual({ content: '群公告：今晚 8 点直播' });
  });
});
