import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { appMessagesOf } from '../../../wecom-sandbox/routes/messages.js';
import type { ScrmEvent } from '../events.js';
import { churnAlertListener } from './alerts.service.js';
import { type OpsFixture, startOpsFixture } from './test-helpers.js';

describeEngines('churn alerts', (engine) => {
  let f: OpsFixture;
  afterEach(async () => {
    await f?.close();
  });

  it('records one alert per event and tells the staff member once through a WeCom app message', async () => {
    f = await startOpsFixture(engine);
    const { userid, externalUserid, profileId } = await f.mirrorRelation(0, 3);
    const event: ScrmEvent = { type: 'contact.deleted_by_customer', workspaceId: f.workspaceId, userid, externalUserid, profileId, at: f.clock.now() };
    await churnAlertListener(event, f.ctx);
    await churnAlertListener(event, f.ctx); // WeCom redelivered it
    await churnAlertListener({ ...event, type: 'contact.deleted_by_staff', at: f.clock.now() + 1000 }, f.ctx);

    const alerts = (await f.app.inject({ method: 'GET', url: '/v1/wecom/alerts', headers: f.auth })).json().data;
    expect(alerts.map((a: any) => a.kind)).toEqual(['staff_deleted_customer', 'customer_deleted_staff']);
    expect(alerts[1]).toMatchObject({ userid, externalUserid, profileId, notifyStatus: 'sent', status: 'open', customerName: f.sandbox.corp.customer(3).name });
    const sent = appMessagesOf(f.sandbox.state);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ touser: [userid], agentid: Number(f.sandbox.credentials.agentId), msgtype: 'text' });
    expect(sent[0]!.content).toContain(externalUserid);

    const acked = await f.app.inject({ method: 'POST', url: `/v1/wecom/alerts/${alerts[1].id}/ack`, headers: f.auth });
    expect(acked.json()).toMatchObject({ status: 'acked' });
    expect((await f.app.inject({ method: 'GET', url: '/v1/wecom/alerts?status=open', headers: f.auth })).json().data).toHaveLength(1);
    expect((await f.app.inject({ method: 'POST', url: '/v1/wecom/alerts/alr_nope/ack', headers: f.auth })).json().error.code).toBe('ALERT_NOT_FOUND');
  });

  it('records the alert as not notified when the connection has no agent id, and ignores other events', async () => {
    f = await startOpsFixture(engine, { agentId: null });
    const { userid, externalUserid, profileId } = await f.mirrorRelation(0, 4);
    await churnAlertListener({ type: 'contact.edited', workspaceId: f.workspaceId, userid, externalUserid, profileId, at: 1 }, f.ctx);
    await churnAlertListener({ type: 'contact.deleted_by_customer', workspaceId: f.workspaceId, userid, externalUserid, profileId, at: 2 }, f.ctx);
    const alerts = (await f.app.inject({ method: 'GET', url: '/v1/wecom/alerts', headers: f.auth })).json().data;
    expect(alerts).toHaveLength(1);
    expect(alerts[0].notifyStatus).toBe('not notified: no agent id');
    expect(appMessagesOf(f.sandbox.state)).toHaveLength(0);
  });

  it('sandbox message/send: refuses a wrong agent id and a resigned-only recipient list', async () => {
    f = await startOpsFixture(engine);
    const client = await f.ctx.clientFor(f.workspaceId);
    const resigned = f.sandbox.corp.staff.find((s) => s.resigned)!.userid;
    await expect(client.sendAppMessage({ touser: 'x', msgtype: 'text', agentid: 1, text: { content: 'hi' } })).rejects.toMatchObject({ errcode: 40056 });
    await expect(
      client.sendAppMessage({ touser: resigned, msgtype: 'text', agentid: Number(f.sandbox.credentials.agentId), text: { content: 'hi' } }),
    ).rejects.toMatchObject({ errcode: 81013 });
    const ok = await client.sendAppMessage({
      touser: `${f.sandbox.corp.staff[0]!.userid}|${resigned}`,
      msgtype: 'text',
      agentid: Number(f.sandbox.credentials.agentId),
      text: { content: 'hi' },
    });
    expect(ok.invaliduser).toBe(resigned);
  });
});
