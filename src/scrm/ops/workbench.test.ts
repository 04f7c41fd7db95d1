import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { type OpsFixture, startOpsFixture } from './test-helpers.js';

describeEngines('guide workbench', (engine) => {
  let f: OpsFixture;
  afterEach(async () => {
    await f?.close();
  });

  it("lists a staff member's customers with tags, scores and last contact, generates daily follow-ups from segment rules, and recommends snippets by tag", async () => {
    f = await startOpsFixture(engine);
    const ws = f.workspaceId;
    const staff = 'guide01';
    await f.addStaff(staff);
    const pa = await f.addCustomer('wmA', { name: 'Alice' });
    const pb = await f.addCustomer('wmB', { name: 'Bob' });
    await f.addCustomer('wmC', { name: 'Carol' });
    const t = f.clock.now();
    await f.addFollow('wmA', staff, { addedAt: t - 10 * 86_400_000, tagIds: ['et_vip'], remark: 'Alice VIP' });
    await f.addFollow('wmB', staff, { addedAt: t - 5 * 86_400_000 });
    await f.addFollow('wmC', 'someoneElse', { addedAt: t });
    await f.db
      .insertInto('scrm_corp_tags')
      .values({ workspace_id: ws, tag_id: 'et_vip', group_id: 'g1', group_name: '客户等级', name: 'VIP', sort_order: 1, deleted_at: null, updated_at: t })
      .execute();
    await f.db
      .insertInto('profile_scores')
      .values({
        workspace_id: ws,
        profile_id: pa,
        r: 5,
        f: 5,
        m: 5,
        rfm_cell: 'champions',
        rfm_at: t,
        lifecycle_stage: 'active',
        lifecycle_at: t,
        community_role: null,
        community_score: null,
        community_at: null,
      })
      .execute();
    await f.db.insertInto('tag_groups').values({ workspace_id: ws, id: 'tg1', name: 'Interests', created_at: t }).execute();
    await f.db.insertInto('tags').values({ workspace_id: ws, id: 'tag1', group_id: 'tg1', name: 'skincare', created_at: t }).execute();
    await f.db.insertInto('profile_tags').values({ workspace_id: ws, profile_id: pa, tag_id: 'tag1', source: 'manual', created_at: t }).execute();
    await f.db
      .insertInto('scrm_last_contacts')
      .values({ workspace_id: ws, userid: staff, external_userid: 'wmA', last_at: t - 86_400_000 })
      .execute();

    const first = (await f.app.inject({ method: 'GET', url: `/v1/wecom/staff/${staff}/customers?limit=1`, headers: f.auth })).json();
    expect(first.data).toEqual([
      {
        externalUserid: 'wmA',
        name: 'Alice',
        profileId: pa,
        remark: 'Alice VIP',
        tags: [{ id: 'et_vip', name: 'VIP', group: '客户等级' }],
        rfmCell: 'champions',
        lifecycleStage: 'active',
        addedAt: new Date(t - 10 * 86_400_000).toISOString(),
        lastContactAt: new Date(t - 86_400_000).toISOString(),
      },
    ]);
    const second = (
      await f.app.inject({ method: 'GET', url: `/v1/wecom/staff/${staff}/customers?limit=1&cursor=${first.nextCursor}`, headers: f.auth })
    ).json();
    expect(second.data.map((c: any) => [c.externalUserid, c.rfmCell, c.lastContactAt])).toEqual([['wmB', null, new Date(t - 5 * 86_400_000).toISOString()]]);
    expect(second.nextCursor).toBeNull();
    expect((await f.app.inject({ method: 'GET', url: '/v1/wecom/staff/nobody/customers', headers: f.auth })).json().error.code).toBe('SCRM_STAFF_NOT_FOUND');

    // A VIP segment (static, members written as the segment engine would) and a rule on it.
    const seg = (await f.app.inject({ method: 'POST', url: '/v1/segments', headers: f.auth, payload: { name: 'VIPs', kind: 'static' } })).json();
    await f.db
      .insertInto('segment_members')
      .values([pa, pb].map((p) => ({ workspace_id: ws, segment_id: seg.id, profile_id: p, version: 1, entered_at: t })))
      .execute();
    const rule = await f.app.inject({
      method: 'POST',
      url: '/v1/wecom/workbench-rules',
      headers: f.auth,
      payload: { segmentId: seg.id, kind: 'follow_up_vip', titleTemplate: 'Follow up {remark}' },
    });
    expect(rule.statusCode).toBe(201);
    const badRule = await f.app.inject({
      method: 'POST',
      url: '/v1/wecom/workbench-rules',
      headers: f.auth,
      payload: { segmentId: 'seg_missing', kind: 'birthday', titleTemplate: 'x' },
    });
    expect(badRule.json().error.code).toBe('SEGMENT_NOT_FOUND');

    const today = (await f.app.inject({ method: 'GET', url: `/v1/wecom/staff/${staff}/today`, headers: f.auth })).json();
    expect(today.date).toBe('2026-11-02');
    expect(today.followUps.map((x: any) => [x.externalUserid, x.kind, x.title, x.status])).toEqual([
      ['wmA', 'follow_up_vip', 'Follow up Alice VIP', 'open'],
      ['wmB', 'follow_up_vip', 'Follow up Bob', 'open'],
    ]);
    const done = await f.app.inject({ method: 'POST', url: `/v1/wecom/guide-tasks/${today.followUps[0].id}/complete`, headers: f.auth });
    expect(done.json().status).toBe('done');
    const again = (await f.app.inject({ method: 'GET', url: `/v1/wecom/staff/${staff}/today`, headers: f.auth })).json();
    expect(again.followUps.map((x: any) => x.status)).toEqual(['done', 'open']);
    f.clock.advance(86_400_000);
    const tomorrow = (await f.app.inject({ method: 'GET', url: `/v1/wecom/staff/${staff}/today`, headers: f.auth })).json();
    expect(tomorrow.date).toBe('2026-11-03');
    expect(tomorrow.followUps.map((x: any) => x.status)).toEqual(['open', 'open']);

    // Snippets ranked by shared tags (corp tag VIP, CDP tag skincare).
    for (const s of [
      { title: 'Generic', content: { text: { content: 'Hi' } }, tags: ['other'] },
      { title: 'VIP welcome', content: { text: { content: 'Dear VIP' } }, tags: ['VIP'] },
      { title: 'VIP skincare', content: { text: { content: 'New serum' } }, tags: ['vip', 'skincare'] },
    ]) {
      expect((await f.app.inject({ method: 'POST', url: '/v1/wecom/snippets', headers: f.auth, payload: s })).statusCode).toBe(201);
    }
    const rec = (await f.app.inject({ method: 'GET', url: `/v1/wecom/staff/${staff}/recommendations?externalUserid=wmA`, headers: f.auth })).json();
    expect(rec.data.map((s: any) => [s.title, s.matched])).toEqual([
      ['VIP skincare', ['vip', 'skincare']],
      ['VIP welcome', ['VIP']],
    ]);
    expect(rec.customerTags).toEqual(expect.arrayContaining(['VIP', 'skincare']));
    const notTheirs = await f.app.inject({ method: 'GET', url: `/v1/wecom/staff/${staff}/recommendations?externalUserid=wmC`, headers: f.auth });
    expect(notTheirs.json().error.code).toBe('SCRM_CUSTOMER_NOT_FOUND');
    const badSnippet = await f.app.inject({ method: 'POST', url: '/v1/wecom/snippets', headers: f.auth, payload: { title: 'x', content: {} } });
    expect(badSnippet.json().error.message).toContain('content: text.content and attachments cannot both be empty');
  });
});
