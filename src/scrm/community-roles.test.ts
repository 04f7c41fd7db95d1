import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../wecom-sandbox/index.js';
import type { CallbackScenario } from '../../wecom-sandbox/scenarios.js';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { DAY_MS } from '../platform/time.js';
import { inboxDeps, processInboxBatch } from './inbox.js';

/**
 * Community roles end to end, from what a corp's WeCom produces: the sandbox fires group
 * callbacks (a group created with customers, customers joining by invitation, link and QR code,
 * one leaving) at a listening Siyu app, the conversation archive of the group is imported over
 * the API, the models run over the API, and each customer's profile answers with its role.
 */
describeEngines('community roles from WeCom callbacks and the conversation archive', (engine) => {
  let t: TestApp;
  let sb: Sandbox;
  let url = '';

  const auth = () => ({ authorization: `Bearer ${t.secretKey}` });
  const process = async () => {
    for (;;) if ((await processInboxBatch(inboxDeps(t.services.scrm))).claimed === 0) return;
  };
  const fire = async (spec: CallbackScenario) => {
    const fired = await sb.fireCallback(url, spec);
    expect({ status: fired.status, response: fired.response }).toEqual({ status: 200, response: 'success' });
    return fired;
  };
  const newCustomer = () => sb.corp.externalUserid(sb.corp.addCustomer());
  const modelsOf = async (ext: string) => {
    const res = await t.app.inject({ url: `/v1/profiles/${encodeURIComponent(`external_userid:${sb.credentials.corpId}:${ext}`)}`, headers: auth() });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().models;
  };

  beforeAll(async () => {
    t = await createTestApp(engine);
    sb = createSandbox({ seed: 15, staff: 3, customers: 5, groups: 0, now: () => t.clock.now() });
    const sandboxUrl = await sb.listen();
    url = `${await t.app.listen({ port: 0, host: '127.0.0.1' })}/wecom/callback/${t.workspaceId}`;
    const c = sb.credentials;
    const put = await t.app.inject({
      method: 'PUT',
      url: '/v1/wecom/connection',
      headers: auth(),
      payload: {
        corpId: c.corpId,
        secret: c.secret,
        callbackToken: c.callbackToken,
        encodingAesKey: c.encodingAesKey,
        agentId: c.agentId,
        apiBaseUrl: sandboxUrl,
      },
    });
    expect(put.statusCode, put.body).toBe(200);
  });
  afterAll(async () => {
    await sb?.close();
    await t?.close();
  });

  it('gives group members koc, active and lurker from joins, invitations, group messages and replies', async () => {
    const staff = sb.corp.activeStaff()[0].userid;
    const [inviter, talker, quiet, byInvite, byLink, byQr, leaver] = Array.from({ length: 7 }, newCustomer);

    // The group: created with three customers (the owner invited them: no customer earns an invite).
    const created = await fire({ scenario: 'group-create', owner: staff, name: '会员群', members: [inviter, talker, quiet] });
    const chatId = created.event.ChatId as string;
    // The inviter brings two customers, directly and by a link; one comes by the QR code; one comes and goes.
    await fire({ scenario: 'group-join', chatId, members: [byInvite], joinScene: 0, invitor: inviter });
    await fire({ scenario: 'group-join', chatId, members: [byLink], joinScene: 1, invitor: inviter });
    await fire({ scenario: 'group-join', chatId, members: [byQr], joinScene: 3 });
    await fire({ scenario: 'group-join', chatId, members: [leaver] });
    t.clock.advance(1000);
    await fire({ scenario: 'group-quit', chatId, members: [leaver] });
    // A customer who is only a contact of the staff member, chatting 1:1.
    const contact = (await fire({ scenario: 'add-contact', userid: staff })).event.ExternalUserID as string;
    await process();

    // The archive of the group and of the 1:1 chat, two days ago.
    const t0 = t.clock.now() - 2 * DAY_MS;
    const min = 60_000;
    let n = 0;
    const say = (from: string, at: number, roomid = chatId, tolist: string[] = []) =>
      JSON.stringify({ msgid: `m${++n}`, action: 'send', from, tolist, roomid, msgtime: at, msgtype: 'text', text: { content: `#${n}` } });
    const lines = [
      say(staff, t0),
      // talker answers the staff member (a reply), then goes on: 5 group messages, 1 reply.
      ...[1, 2, 3, 4, 5].map((k) => say(talker, t0 + k * min)),
      // quiet speaks 25 minutes after the last message: not a reply.
      say(quiet, t0 + 30 * min),
      // inviter answers quiet a minute later: a reply.
      say(inviter, t0 + 31 * min),
      // The 1:1 chat is not a group message.
      ...[1, 2, 3, 4, 5, 6].map((k) => say(contact, t0 + (40 + k) * min, '', [staff])),
    ];
    const imported = await t.app.inject({
      method: 'POST',
      url: '/v1/wecom/archive/import',
      headers: { ...auth(), 'content-type': 'application/x-ndjson' },
      payload: lines.join('\n'),
    });
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json()).toMatchObject({ records: 14, imported: 13, unknownCustomers: [] });

    // KOC by score with an invite only (kocMinScore 20; the top-percent rule off).
    const settings = await t.app.inject({
      method: 'PUT',
      url: '/v1/models/settings',
      headers: auth(),
      payload: { community: { kocTopPercent: 0, kocMinScore: 20 } },
    });
    expect(settings.statusCode, settings.body).toBe(200);
    const run = await t.app.inject({ method: 'POST', url: '/v1/models/compute', headers: auth(), payload: {} });
    expect(run.statusCode, run.body).toBe(200);
    expect(run.json().community).toMatchObject({ members: 6, roles: { koc: 1, active: 1, lurker: 4 } });

    const role = async (ext: string) => {
      const r = (await modelsOf(ext)).communityRole;
      return r && [r.role, r.score];
    };
    // score = messages + 3 × replies + 10 × invites
    expect(await role(inviter)).toEqual(['koc', 1 + 3 + 20]);
    expect(await role(talker)).toEqual(['active', 5 + 3]);
    expect(await role(quiet)).toEqual(['lurker', 1]);
    expect(await role(byInvite)).toEqual(['lurker', 0]);
    expect(await role(byLink)).toEqual(['lurker', 0]);
    expect(await role(byQr)).toEqual(['lurker', 0]);
    expect(await role(leaver)).toBeNull();
    expect(await role(contact)).toBeNull();
  });
});
