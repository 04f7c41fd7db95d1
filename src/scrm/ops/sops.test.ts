import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { syncSopTaskResults } from './sop-results.js';
import { runSopTick } from './sop-tick.js';
import { startScrmOpsWorker } from './worker.js';
import { type OpsFixture, startOpsFixture } from './test-helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// The fixture starts on Monday 2026-11-02 at 08:30 in Asia/Shanghai (00:30 UTC).
const at = (local: string) => Date.parse(`${local}+08:00`);

describeEngines('SOPs', (engine) => {
  let f: OpsFixture;
  beforeEach(async () => {
    f = await startOpsFixture(engine);
  });
  afterEach(async () => {
    await f.close();
  });

  const post = (url: string, payload: unknown) => f.app.inject({ method: 'POST', url, headers: f.auth, payload: payload as object });
  const get = (url: string) => f.app.inject({ method: 'GET', url, headers: f.auth });
  const tasks = async (query = '') => (await get(`/v1/wecom/tasks${query}`)).json().data as Array<Record<string, any>>;

  it('rejects an invalid SOP with the path of the mistake', async () => {
    const res = await post('/v1/wecom/sops', {
      name: 'x',
      target: { type: 'customers', newContacts: true },
      steps: [{ schedule: { kind: 'relative', day: 0, time: '9am' }, content: { text: { content: 'hi' } } }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('steps[0].schedule.time');
    const noContent = await post('/v1/wecom/sops', {
      name: 'x',
      target: { type: 'groups', chatIds: ['wr1'] },
      steps: [{ schedule: { kind: 'recurring', weekdays: [1], time: '08:00' }, content: {} }],
    });
    expect(noContent.json().error.message).toContain('steps[0].content: text.content and attachments cannot both be empty');
    const badSegment = await post('/v1/wecom/sops', {
      name: 'x',
      target: { type: 'customers', segmentId: 'seg_nope' },
      steps: [{ schedule: { kind: 'relative', day: 0, time: '08:00' }, content: { text: { content: 'a' } } }],
    });
    expect(badSegment.json().error.code).toBe('SEGMENT_NOT_FOUND');
  });

  it('turns day-0 and day-3 steps into staff tasks for new contacts, creates the WeCom task once, and tracks completion', async () => {
    const old = await f.mirrorRelation(0, 1, { addedAt: f.clock.now() - DAY }); // added before the SOP: not targeted
    const created = await post('/v1/wecom/sops', {
      name: 'Onboarding',
      target: { type: 'customers', newContacts: true },
      steps: [
        { id: 'welcome', schedule: { kind: 'relative', day: 0, time: '09:00' }, content: { text: { content: 'Welcome!' } } },
        {
          id: 'tutorial',
          schedule: { kind: 'relative', day: 3, time: '10:00' },
          content: { text: { content: 'How to use it' }, attachments: [{ msgtype: 'link', link: { title: 'Guide', url: 'https://example.com/guide' } }] },
        },
      ],
    });
    expect(created.statusCode).toBe(201);
    f.clock.set(at('2026-11-02T08:40:00'));
    const cust = await f.mirrorRelation(0, 2, { addedAt: f.clock.now() });

    f.clock.set(at('2026-11-02T08:59:00'));
    expect(await runSopTick(f.ctx, f.workspaceId)).toEqual({ created: 0, dispatched: 0, failed: 0 });

    f.clock.set(at('2026-11-02T09:01:00'));
    expect(await runSopTick(f.ctx, f.workspaceId)).toEqual({ created: 1, dispatched: 1, failed: 0 });
    expect(await runSopTick(f.ctx, f.workspaceId)).toEqual({ created: 0, dispatched: 0, failed: 0 });

    const list = await tasks(`?staff=${cust.userid}&date=2026-11-02`);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      stepId: 'welcome',
      targetType: 'customer',
      targetId: cust.externalUserid,
      staff: cust.userid,
      status: 'waiting',
      dueAt: '2026-11-02T01:00:00.000Z',
      // The list names what the ids stand for (the console's task board shows them).
      sopName: 'Onboarding',
      stepName: null,
      staffName: f.sandbox.corp.staff[0]!.name,
      targetName: f.sandbox.corp.customer(2).name,
    });
    expect(list.some((t) => t.targetId === old.externalUserid)).toBe(false);
    const msg = f.sandbox.state.groupMsgs.get(list[0]!.msgid)!;
    expect(msg.chatType).toBe('single');
    expect(msg.text).toEqual({ content: 'Welcome!' });
    expect(f.sandbox.corp.staff[msg.senders[0]!.staff]!.userid).toBe(cust.userid);

    // Not yet confirmed by the staff member: still waiting.
    expect(await syncSopTaskResults(f.ctx, f.workspaceId)).toEqual({ done: 0, failed: 0, stillWaiting: 1 });
    f.sandbox.confirmGroupMsg(list[0]!.msgid);
    expect(await syncSopTaskResults(f.ctx, f.workspaceId)).toEqual({ done: 1, failed: 0, stillWaiting: 0 });
    expect((await tasks(`?status=done`))[0]).toMatchObject({ id: list[0]!.id, completedBy: 'wecom' });

    // Day 3 at 10:00 local: the tutorial, with its attachment.
    f.clock.set(at('2026-11-05T09:59:00'));
    expect((await runSopTick(f.ctx, f.workspaceId)).created).toBe(0);
    f.clock.set(at('2026-11-05T10:00:00'));
    expect((await runSopTick(f.ctx, f.workspaceId)).created).toBe(1);
    const day3 = await tasks('?date=2026-11-05');
    expect(day3).toHaveLength(1);
    expect(f.sandbox.state.groupMsgs.get(day3[0]!.msgid)!.attachments).toEqual([
      { msgtype: 'link', link: { title: 'Guide', url: 'https://example.com/guide' } },
    ]);

    // A manual completion.
    const done = await post(`/v1/wecom/tasks/${day3[0]!.id}/complete`, {});
    expect(done.json()).toMatchObject({ status: 'done', completedBy: 'manual' });
  });

  it('runs a recurring group step every Monday at 08:00, one WeCom task per owner, idempotently', async () => {
    const groups = f.sandbox.state.groups.groups.filter((g) => !f.sandbox.corp.staff[g.owner]!.resigned);
    const owner = groups.find((g) => groups.filter((o) => o.owner === g.owner).length >= 2)!.owner;
    const mine = groups.filter((g) => g.owner === owner).slice(0, 2);
    expect(mine).toHaveLength(2);
    const ownerId = f.sandbox.corp.staff[owner]!.userid;
    await f.addStaff(ownerId);
    for (const g of mine) await f.addGroup(g.chatId, ownerId, { createdAt: f.clock.now() - 30 * DAY });
    const sop = (
      await post('/v1/wecom/sops', {
        name: 'Monday coupon',
        target: { type: 'groups', chatIds: mine.map((g) => g.chatId) },
        steps: [{ id: 'coupon', schedule: { kind: 'recurring', weekdays: [1], time: '08:00' }, content: { text: { content: 'Coupon!' } } }],
      })
    ).json();

    // Created at 08:30 on a Monday: today's 08:00 occurrence was before the SOP existed.
    expect((await runSopTick(f.ctx, f.workspaceId)).created).toBe(0);
    f.clock.set(at('2026-11-08T23:59:00'));
    expect((await runSopTick(f.ctx, f.workspaceId)).created).toBe(0);
    f.clock.set(at('2026-11-09T08:05:00'));
    const first = await runSopTick(f.ctx, f.workspaceId);
    expect(first).toEqual({ created: mine.length, dispatched: mine.length, failed: 0 });
    expect((await runSopTick(f.ctx, f.workspaceId)).created).toBe(0);
    const list = await tasks(`?sopId=${sop.id}`);
    expect(list.map((t) => t.occurrence)).toEqual(mine.map(() => '2026-11-09'));
    expect(new Set(list.map((t) => t.msgid)).size).toBe(1);
    const msg = f.sandbox.state.groupMsgs.get(list[0]!.msgid)!;
    expect(msg.chatType).toBe('group');
    expect(msg.target.length).toBe(mine.length);

    f.sandbox.confirmGroupMsg(list[0]!.msgid);
    expect((await syncSopTaskResults(f.ctx, f.workspaceId)).done).toBe(mine.length);

    // More than a day late (worker down): the occurrence is not created any more.
    f.clock.set(at('2026-11-17T08:01:00'));
    expect((await runSopTick(f.ctx, f.workspaceId)).created).toBe(0);
    f.clock.set(at('2026-11-23T08:01:00'));
    expect((await runSopTick(f.ctx, f.workspaceId)).created).toBe(mine.length);
    const paused = await f.app.inject({ method: 'PATCH', url: `/v1/wecom/sops/${sop.id}`, headers: f.auth, payload: { status: 'paused' } });
    expect(paused.json().status).toBe('paused');
    f.clock.set(at('2026-11-30T08:01:00'));
    expect((await runSopTick(f.ctx, f.workspaceId)).created).toBe(0);
  });

  it("records WeCom's refusal on the task: a customer WeCom does not know as the sender's", async () => {
    await post('/v1/wecom/sops', {
      name: 'x',
      target: { type: 'customers', newContacts: true },
      steps: [{ schedule: { kind: 'relative', day: 0, time: '08:00' }, content: { text: { content: 'hi' } } }],
    });
    const staff = f.sandbox.corp.staff[0]!.userid;
    await f.addStaff(staff);
    await f.addCustomer('wmUnknownToWeCom');
    await f.addFollow('wmUnknownToWeCom', staff);
    f.clock.advance(60_000);
    expect(await runSopTick(f.ctx, f.workspaceId)).toEqual({ created: 1, dispatched: 0, failed: 1 });
    const [task] = await tasks();
    expect(task).toMatchObject({ status: 'failed' });
    expect(task!.error).toMatch(/errcode 41048|fail_list/);
  });

  it('archives a SOP and cancels its pending tasks; lists skip archived SOPs', async () => {
    const sop = (
      await post('/v1/wecom/sops', {
        name: 'x',
        target: { type: 'groups', owners: ['nobody'] },
        steps: [{ schedule: { kind: 'relative', day: 0, time: '08:00' }, content: { text: { content: 'hi' } } }],
      })
    ).json();
    const del = await f.app.inject({ method: 'DELETE', url: `/v1/wecom/sops/${sop.id}`, headers: f.auth });
    expect(del.json().status).toBe('archived');
    expect((await get('/v1/wecom/sops')).json().data).toHaveLength(0);
    expect((await get('/v1/wecom/sops?includeArchived=true')).json().data).toHaveLength(1);
    expect((await get('/v1/wecom/sops/sop_missing')).json().error.code).toBe('SOP_NOT_FOUND');
  });

  it('the worker runs the tick and the result sync for every connected workspace', async () => {
    await post('/v1/wecom/sops', {
      name: 'x',
      target: { type: 'customers', newContacts: true },
      steps: [{ schedule: { kind: 'relative', day: 0, time: '08:00' }, content: { text: { content: 'hi' } } }],
    });
    const c = await f.mirrorRelation(0, 6);
    f.clock.advance(60_000);
    const worker = startScrmOpsWorker(f.services.scrm, { intervalMs: 3_600_000 });
    await worker.runOnce();
    const [task] = await tasks();
    expect(task).toMatchObject({ targetId: c.externalUserid, status: 'waiting' });
    f.sandbox.confirmGroupMsg(task!.msgid);
    await worker.runOnce();
    expect((await tasks())[0]!.status).toBe('done');
    await worker.stop();
  });
});
