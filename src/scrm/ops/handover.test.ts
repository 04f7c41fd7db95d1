import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { handoverFailedListener, syncHandoverResults } from './handover.service.js';
import { type OpsFixture, startOpsFixture } from './test-helpers.js';

describeEngines('staff handover', (engine) => {
  let f: OpsFixture;
  afterEach(async () => {
    await f?.close();
  });

  const post = (payload: unknown) => f.app.inject({ method: 'POST', url: '/v1/wecom/handovers', headers: f.auth, payload: payload as object });
  const customersOf = (staff: number) => [...new Set(f.sandbox.corp.relationsOfStaff(staff).map((r) => f.sandbox.corp.customerOf(r)))];

  it("transfers an employed member's customers, tracks WeCom's result, moves the follows and refuses a third transfer in 90 days", async () => {
    f = await startOpsFixture(engine);
    const [c1, c2, c3] = customersOf(0);
    for (const c of [c1!, c2!, c3!]) await f.mirrorRelation(0, c);
    const s0 = f.sandbox.corp.staff[0]!.userid;
    const s1 = f.sandbox.corp.staff[1]!.userid;
    await f.addStaff(s1);
    await f.addCustomer('wmNotTheirs');

    const res = await post({
      kind: 'in_service',
      fromUserid: s0,
      toUserid: s1,
      externalUserids: [f.sandbox.corp.externalUserid(c1!), f.sandbox.corp.externalUserid(c2!), 'wmNotTheirs'],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.handovers.map((h: any) => [h.status, h.errcode])).toEqual([
      ['waiting', 0],
      ['waiting', 0],
    ]);
    expect(body.refused).toEqual([{ externalUserid: 'wmNotTheirs', reason: `not a customer of ${s0}` }]);
    // A customer already waiting is not sent again.
    const again = (await post({ kind: 'in_service', fromUserid: s0, toUserid: s1, externalUserids: [f.sandbox.corp.externalUserid(c1!)] })).json();
    expect(again.refused[0].reason).toContain('already waiting');

    expect(await syncHandoverResults(f.ctx, f.workspaceId)).toEqual({ succeeded: 0, failed: 0, waiting: 2 });
    f.clock.advance(3_600_000);
    expect(f.sandbox.completeTransfers()).toBe(2);
    expect(await syncHandoverResults(f.ctx, f.workspaceId)).toEqual({ succeeded: 2, failed: 0, waiting: 0 });
    const ext1 = f.sandbox.corp.externalUserid(c1!);
    const follows = await f.db.selectFrom('scrm_follows').selectAll().where('workspace_id', '=', f.workspaceId).where('external_userid', '=', ext1).execute();
    expect(follows.find((r) => r.userid === s0)).toMatchObject({ deleted_by: 'transfer' });
    expect(follows.find((r) => r.userid === s1)).toMatchObject({ deleted_at: null, add_way: 202 });
    const listed = (await f.app.inject({ method: 'GET', url: '/v1/wecom/handovers?status=succeeded', headers: f.auth })).json().data;
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatchObject({ kind: 'in_service', fromUserid: s0, toUserid: s1, wecomStatus: 1 });

    // Second transfer (back to s0) is allowed; a third within 90 days is refused before WeCom is asked.
    const back = (await post({ kind: 'in_service', fromUserid: s1, toUserid: s0, externalUserids: [ext1] })).json();
    expect(back.handovers[0].status).toBe('waiting');
    f.sandbox.completeTransfers();
    await syncHandoverResults(f.ctx, f.workspaceId);
    const third = (await post({ kind: 'in_service', fromUserid: s0, toUserid: s1, externalUserids: [ext1] })).json();
    expect(third.handovers).toEqual([]);
    expect(third.refused[0].reason).toContain('twice in the last 90 days');
    // 91 days later it may go again.
    f.clock.advance(91 * 86_400_000);
    expect((await post({ kind: 'in_service', fromUserid: s0, toUserid: s1, externalUserids: [ext1] })).json().handovers[0].status).toBe('waiting');
  });

  it("inherits a resigned member's customers in batches of 100, lists the unassigned, and fails on transfer_fail", async () => {
    f = await startOpsFixture(engine, { staff: 2, customers: 230 });
    // Staff 1 is the resigned one in this corp; give it more than 100 customers.
    const resigned = f.sandbox.corp.staff[1]!;
    expect(resigned.resigned).toBe(true);
    const mine = customersOf(0).slice(0, 120);
    for (const c of mine) if (f.sandbox.corp.relationBetween(1, c) < 0) f.sandbox.corp.addRelation(c, 1, { addWay: 1, byCustomer: true });
    const all = customersOf(1);
    expect(all.length).toBeGreaterThan(100);
    for (const c of all) await f.mirrorRelation(1, c);
    const taker = f.sandbox.corp.staff[0]!.userid;
    await f.addStaff(taker);

    const unassigned = (await f.app.inject({ method: 'GET', url: '/v1/wecom/unassigned?limit=1000', headers: f.auth })).json();
    expect(unassigned.data.filter((u: any) => u.handoverUserid === resigned.userid)).toHaveLength(all.length);

    const wrongKind = await post({ kind: 'in_service', fromUserid: resigned.userid, toUserid: taker });
    expect(wrongKind.json().error.message).toContain('use kind "resigned"');

    const res = (await post({ kind: 'resigned', fromUserid: resigned.userid, toUserid: taker })).json();
    expect(res.handovers).toHaveLength(all.length);
    const statuses = new Set(res.handovers.map((h: any) => h.status));
    expect(statuses.has('waiting')).toBe(true);
    const waiting = res.handovers.filter((h: any) => h.status === 'waiting');
    const after = (await f.app.inject({ method: 'GET', url: '/v1/wecom/unassigned?limit=1000', headers: f.auth })).json();
    expect(after.data.filter((u: any) => u.handoverUserid === resigned.userid).length).toBe(all.length - waiting.length);

    await handoverFailedListener(
      {
        type: 'transfer.failed',
        workspaceId: f.workspaceId,
        userid: taker,
        externalUserid: waiting[0].externalUserid,
        failReason: 'customer_refused',
        at: f.clock.now(),
      },
      f.ctx,
    );
    const failed = (await f.app.inject({ method: 'GET', url: '/v1/wecom/handovers?status=failed', headers: f.auth })).json().data;
    expect(failed.find((h: any) => h.externalUserid === waiting[0].externalUserid)).toMatchObject({ reason: 'the customer refused the transfer' });

    f.sandbox.completeTransfers();
    const synced = await syncHandoverResults(f.ctx, f.workspaceId);
    expect(synced.succeeded).toBe(waiting.length - 1);
  });
});
