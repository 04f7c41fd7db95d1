import { afterEach, expect, it } from 'vitest';
import { journeyTestApp } from '../../journeys/test-kit.js';
import { json, startHttpRecorder } from '../../messaging/test-kit.js';
import { startOpsFixture } from '../../scrm/ops/test-helpers.js';
import { describeEngines } from '../../../test/support/engines.js';
import { EVERY_KIND, surveysTestApp } from './test-kit.js';

describeEngines('the survey feedback loop', (engine) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it("a journey sends the survey link (survey_url), the answer names the journey, and a detractor's answer triggers a service journey", async () => {
    const j = await journeyTestApp(engine);
    cleanups.push(() => j.close());
    const hook = await startHttpRecorder((_r, res) => json(res, 200, {}));
    cleanups.push(() => hook.close());
    await j.api('PUT', '/v1/channels/webhook', { url: `${hook.url}/in`, signingSecret: 's' });
    await j.api('PATCH', '/v1/messaging/settings', { linkBaseUrl: 'https://siyu.example.com/' });
    const surveyId = (await j.api('POST', '/v1/insight/surveys', EVERY_KIND)).body.id as string;
    const p = await j.profile('u1', { name: 'Lin' });

    const ask = await j.journey('ask', {
      trigger: { type: 'manual' },
      steps: [{ id: 'ask', type: 'webhook', body: { text: '{{ profile.name }}, rate us: {{ "' + surveyId + '" | survey_url }}' } }],
    });
    const recover = await j.journey('recover', {
      trigger: { type: 'event', event: 'Survey Detractor' },
      steps: [
        {
          id: 'call',
          type: 'send',
          channel: 'webhook',
          purpose: 'service',
          content: { body: { recover: '{{ profile.id }}', nps: '{{ event.nps }}', why: '{{ event.reason }}' } },
        },
      ],
    });
    await j.api('POST', `/v1/journeys/${ask}/enter`, { profileIds: [p] });
    await j.tick();
    await j.dispatcher.runOnce();
    const sent = JSON.parse(hook.requests[0]!.body) as { id: string; body: { text: string } };
    const url = /rate us: (\S+)$/.exec(sent.body.text)?.[1];
    expect(url).toMatch(/^https:\/\/siyu\.example\.com\/s\/[\w-]+\.[\w-]+$/);

    const token = url!.slice('https://siyu.example.com/s/'.length);
    expect((await j.t.app.inject({ method: 'GET', url: `/s/${token}` })).statusCode).toBe(200);
    const answer = await j.t.app.inject({ method: 'POST', url: `/s/${token}`, payload: { answers: { nps: 3, csat: 2, why: '客服不回复' } } });
    expect(answer.statusCode).toBe(200);
    const row = await j.t.database.db.selectFrom('insight_survey_answers').selectAll().executeTakeFirstOrThrow();
    // The message is the send; its journey is the touchpoint.
    expect(row).toMatchObject({ profile_id: p, send_key: sent.id, touchpoint_kind: 'journey', touchpoint_id: ask });
    const results = (await j.api('GET', `/v1/insight/surveys/${surveyId}/report`)).body;
    expect(results.byTouchpoint).toMatchObject([{ kind: 'journey', id: ask, responses: 1, nps: { detractors: 1, score: -100 } }]);

    await j.tick();
    await j.dispatcher.runOnce();
    expect((await j.states(recover)).map((s: { subject_id: string }) => s.subject_id)).toEqual([p]);
    const recovery = hook.requests.map((r) => JSON.parse(r.body).body).find((b: { recover?: string }) => b.recover);
    expect(recovery).toEqual({ recover: p, nps: '3', why: 'nps' });
    // The same link again is the same answer: no second event, no second entry.
    await j.t.app.inject({ method: 'POST', url: `/s/${token}`, payload: { answers: { nps: 0, csat: 1 } } });
    await j.tick();
    expect(await j.states(recover)).toHaveLength(1);
  });

  it('warns when a template uses survey_url without a link base URL, as for tracked links, and previews a placeholder link', async () => {
    const j = await journeyTestApp(engine);
    cleanups.push(() => j.close());
    const t = await j.api('POST', '/v1/templates', {
      name: 'ask',
      channel: 'webhook',
      variants: { 'zh-CN': { body: { link: "{{ 'srv_x' | survey_url }}" } } },
    });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    expect(t.body.warnings).toMatchObject([{ code: 'LINK_BASE_URL_MISSING', message: expect.stringContaining('| survey_url') }]);
    await j.api('PATCH', '/v1/messaging/settings', { linkBaseUrl: 'https://siyu.example.com' });
    const preview = await j.api('POST', `/v1/templates/${t.body.id}/preview`, { profile: { name: 'x' } });
    expect(preview.body.content.body.link).toBe('https://siyu.example.com/s/preview');
  });

  it("a detractor's answer makes a follow-up task for the staff member who owns the customer, once", async () => {
    const f = await startOpsFixture(engine);
    cleanups.push(() => f.close());
    await f.addStaff('guide01');
    await f.addStaff('guide02');
    const pa = await f.addCustomer('wmA', { name: 'Alice' });
    const pb = await f.addCustomer('wmB', { name: 'Bob' });
    await f.addFollow('wmA', 'guide01', { addedAt: f.clock.now() - 10 * 86_400_000 });
    await f.addFollow('wmA', 'guide02', { addedAt: f.clock.now() - 5 * 86_400_000 });
    await f.addFollow('wmB', 'guide01', { addedAt: f.clock.now() - 5 * 86_400_000 });
    const s = await surveysTestApp(engine, { app: f });
    const id = await s.survey();
    const nobody = await s.profile('no-wecom');

    const token = await s.link(id, pa);
    expect((await s.answer(token, { nps: 2, csat: 1, why: '物流太慢' })).status).toBe(200);
    await s.answer(token, { nps: 2, csat: 1, why: 'again' });
    // Sent by guide02 (a staff touchpoint): the task is theirs, since they follow Alice too.
    await s.answer(await s.link(id, pa, { touchpoint: { kind: 'staff', id: 'guide02' } }), { nps: 5, csat: 3 });
    await s.answer(await s.link(id, pb), { nps: 10, csat: 5 }); // a promoter: no task
    expect((await s.answer(await s.link(id, nobody), { nps: 0, csat: 1 })).status).toBe(200); // no WeCom contact: no task, no failure

    const today = async (userid: string) =>
      (await f.app.inject({ method: 'GET', url: `/v1/wecom/staff/${userid}/today`, headers: f.auth })).json().followUps as {
        kind: string;
        title: string;
        profileId: string;
        externalUserid: string;
      }[];
    const g1 = await today('guide01');
    expect(g1).toHaveLength(1);
    expect(g1[0]).toMatchObject({ kind: 'survey_follow_up', externalUserid: 'wmA', profileId: pa, status: 'open' });
    expect(g1[0]!.title).toContain('NPS 2');
    expect(g1[0]!.title).toContain('物流太慢');
    expect((await today('guide02')).map((t) => [t.kind, t.title.slice(0, 5)])).toEqual([['survey_follow_up', 'NPS 5']]);
  });
});
