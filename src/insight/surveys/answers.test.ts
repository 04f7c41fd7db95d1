import { afterEach, describe, expect, it } from 'vitest';
import { basic, describeEngines } from '../../../test/support/engines.js';
import { createSurveyLinkSigner } from './links.js';
import { pickLocale } from './page.js';
import { surveysTestApp } from './test-kit.js';

const DAY = 86_400_000;

describeEngines('answering a survey through its signed link', (engine) => {
  let s: Awaited<ReturnType<typeof surveysTestApp>>;
  afterEach(async () => {
    await s?.close();
  });

  it('serves the form in zh-CN or en (link, ?lang=, Accept-Language) without a key, and takes the browser form', async () => {
    s = await surveysTestApp(engine);
    const id = await s.survey();
    const p = await s.profile('u1');
    const token = await s.link(id, p);
    const zh = await s.t.app.inject({ method: 'GET', url: `/s/${token}` });
    expect(zh.statusCode).toBe(200);
    expect(zh.headers['content-type']).toContain('text/html');
    expect(zh.headers['cache-control']).toBe('private, no-store');
    expect(zh.body).toContain('<html lang="zh-CN">');
    expect(zh.body).toContain('售后满意度调查');
    expect(zh.body).toContain('name="viewport"');
    const en = await s.t.app.inject({ method: 'GET', url: `/s/${token}`, headers: { 'accept-language': 'en-US,en;q=0.9' } });
    expect(en.body).toContain('After-sales survey');
    expect(en.body).toContain('Extremely likely');
    expect((await s.t.app.inject({ method: 'GET', url: `/s/${token}?lang=en`, headers: { 'accept-language': 'zh-CN' } })).body).toContain('Tell us why');
    const enLink = await s.link(id, p, { locale: 'en' });
    expect((await s.t.app.inject({ method: 'GET', url: `/s/${enLink}` })).body).toContain('<html lang="en">');

    // A refused form shows the form again with the question marked and what was filled in.
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const missing = await s.t.app.inject({ method: 'POST', url: `/s/${token}?lang=zh-CN`, headers: form, payload: 'csat=4&why=%E5%BF%AB%E9%80%92' });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toMatch(/data-question="nps"><legend>[^]*?请按要求回答此题/);
    expect(missing.body).toContain('value="4" checked');
    const ok = await s.t.app.inject({
      method: 'POST',
      url: `/s/${token}`,
      headers: form,
      payload: 'nps=10&csat=4&liked=price&liked=speed&channel=store&why=%E5%BF%AB%E9%80%92%E5%BE%88%E5%BF%AB',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('谢谢！');
    const row = await s.t.database.db.selectFrom('insight_survey_answers').selectAll().executeTakeFirstOrThrow();
    expect(JSON.parse(String(typeof row.answers === 'string' ? row.answers : JSON.stringify(row.answers)))).toEqual({
      nps: 10,
      csat: 4,
      channel: 'store',
      liked: ['price', 'speed'],
      why: '快递很快',
    });
    expect(row).toMatchObject({ nps: 10, csat: 4, ces: null, verbatim: '快递很快', touchpoint_kind: 'link', locale: 'zh-CN' });
    // Opening the link again says it was answered.
    expect((await s.t.app.inject({ method: 'GET', url: `/s/${token}` })).body).toContain('data-state="already"');
  });

  it('answers once per profile per send: a resubmission returns the first answer; another send is another answer', async () => {
    s = await surveysTestApp(engine);
    const id = await s.survey();
    const p = await s.profile('u1');
    const token = await s.link(id, p, { sendKey: 'order-1001' });
    const first = await s.answer(token, { nps: 8, csat: 4, why: 'fine' });
    expect(first).toMatchObject({ status: 200, body: { duplicate: false } });
    const again = await s.answer(token, { nps: 0, csat: 1, why: 'changed my mind' });
    expect(again.body).toEqual({ answerId: first.body.answerId, duplicate: true });
    // A new link for the same send is the same send.
    expect((await s.answer(await s.link(id, p, { sendKey: 'order-1001' }), { nps: 1, csat: 1, why: 'x' })).body.duplicate).toBe(true);
    expect((await s.answer(await s.link(id, p, { sendKey: 'order-1002' }), { nps: 1, csat: 1, why: 'x' })).body.duplicate).toBe(false);
    const rows = await s.t.database.db.selectFrom('insight_survey_answers').select(['nps', 'send_key']).orderBy('send_key').execute();
    expect(rows.map((r) => [r.send_key, Number(r.nps)])).toEqual([
      ['order-1001', 8],
      ['order-1002', 1],
    ]);
    expect(await s.events(p, 'Survey Answered')).toHaveLength(2);
  });

  it('refuses forged, edited and expired links with SURVEY_LINK_INVALID (401) and closed surveys with a closed page', async () => {
    s = await surveysTestApp(engine);
    const id = await s.survey({ ...(await import('./test-kit.js')).EVERY_KIND, linkTtlDays: 7 });
    const p = await s.profile('u1');
    const token = await s.link(id, p);
    const [body, sig] = token.split('.');
    const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), p: 'prf_other' })).toString('base64url');
    const forged = createSurveyLinkSigner(Buffer.alloc(32, 9)).sign({
      workspaceId: s.t.workspaceId,
      surveyId: id,
      profileId: p,
      sendKey: 'k',
      touchpoint: { kind: 'link', id: '' },
      issuedAt: s.t.clock.now(),
    });
    for (const bad of [`${edited}.${sig}`, forged, 'garbage', `${body}.`]) {
      const json = await s.answer(bad, { nps: 9, csat: 5, why: 'x' });
      expect(json.status, bad).toBe(401);
      expect(json.body.error.code).toBe('SURVEY_LINK_INVALID');
      const page = await s.t.app.inject({ method: 'GET', url: `/s/${bad}`, headers: { 'accept-language': 'en' } });
      expect(page.statusCode).toBe(401);
      expect(page.body).toContain('not valid or has expired');
    }
    s.t.clock.advance(7 * DAY);
    const expired = await s.answer(token, { nps: 9, csat: 5, why: 'x' });
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toContain('expired at');
    // Lengthening the survey's TTL opens its old links again (validity is the survey's, from the link's time).
    await s.api('PATCH', `/v1/insight/surveys/${id}`, { linkTtlDays: 30 });
    expect((await s.t.app.inject({ method: 'GET', url: `/s/${token}` })).statusCode).toBe(200);
    await s.api('POST', `/v1/insight/surveys/${id}/archive`);
    const closed = await s.t.app.inject({ method: 'GET', url: `/s/${token}` });
    expect(closed.statusCode).toBe(410);
    expect(closed.body).toContain('这份问卷已结束');
    expect((await s.answer(token, { nps: 9, csat: 5, why: 'x' })).body.error.code).toBe('SURVEY_NOT_FOUND');
  });

  it('follows a merge: the answer, its traits and its events go to the surviving profile, and the send is still answered once', async () => {
    s = await surveysTestApp(engine);
    const id = await s.survey();
    const older = await s.profile('u-merge');
    s.t.clock.advance(1000); // the older profile survives a merge
    const track = (payload: object) => s.t.app.inject({ method: 'POST', url: '/v1/identify', headers: { authorization: basic(s.t.writeKey) }, payload });
    expect((await track({ anonymousId: 'anon-merge', traits: { seen: true } })).statusCode).toBe(200);
    const anon = (await s.api('GET', '/v1/profiles/anonymous_id:anon-merge')).body.id as string;
    expect(anon).not.toBe(older);
    const token = await s.link(id, anon);
    // The anonymous visitor logs in: their profile merges into the older one.
    expect((await track({ userId: 'u-merge', anonymousId: 'anon-merge' })).statusCode).toBe(200);
    expect((await s.api('GET', '/v1/profiles/anonymous_id:anon-merge')).body.id).toBe(older);
    const first = await s.answer(token, { nps: 6, csat: 3 });
    expect(first.body.duplicate).toBe(false);
    expect((await s.answer(token, { nps: 10, csat: 5 })).body).toEqual({ answerId: first.body.answerId, duplicate: true });
    const rows = await s.t.database.db.selectFrom('insight_survey_answers').select(['profile_id', 'nps']).execute();
    expect(rows.map((r) => [r.profile_id, Number(r.nps)])).toEqual([[older, 6]]);
    expect((await s.api('GET', `/v1/profiles/${older}`)).body.traits).toMatchObject({ nps_last_score: 6, nps_category: 'detractor' });
    expect(await s.events(older, 'Survey Detractor')).toHaveLength(1);
  });

  it('checks every answer against its question and names the question that does not fit', async () => {
    s = await surveysTestApp(engine);
    const id = await s.survey();
    const token = await s.link(id, await s.profile('u1'));
    const cases: [Record<string, unknown>, string, string][] = [
      [{ nps: 11, csat: 5, why: 'x' }, 'nps', 'from 0 to 10'],
      [{ nps: 5.5, csat: 5, why: 'x' }, 'nps', 'whole number'],
      [{ nps: 5, csat: 0, why: 'x' }, 'csat', 'from 1 to 5'],
      [{ nps: 5, csat: 3, ces: 8, why: 'x' }, 'ces', 'from 1 to 7'],
      [{ nps: 5, csat: 3, channel: 'moon', why: 'x' }, 'channel', 'not one of the options store, online'],
      [{ nps: 5, csat: 3, liked: ['price', 'gold'], why: 'x' }, 'liked', '"gold"'],
      [{ nps: 5, csat: 3, why: 'x'.repeat(2001) }, 'why', 'at most 2000'],
      [{ csat: 3 }, 'nps', 'required'],
      [{ nps: 5, csat: 3, extra: 1 }, 'extra', 'not in this survey'],
    ];
    for (const [answers, question, words] of cases) {
      const r = await s.answer(token, answers);
      expect(r.status, question).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'SURVEY_ANSWER_INVALID', details: { question } });
      expect(r.body.error.message).toContain(words);
    }
    // Free text is optional by default; nothing was stored by the refused answers.
    expect((await s.answer(token, { nps: '7', csat: 3 })).status).toBe(200);
    expect(await s.t.database.db.selectFrom('insight_survey_answers').select('id').execute()).toHaveLength(1);
  });

  it('records "Survey Answered" with the scores and touchpoint, and sets the profile traits segments read', async () => {
    s = await surveysTestApp(engine);
    const id = await s.survey();
    const p = await s.profile('u1', { name: 'Lin' });
    await s.answer(await s.link(id, p, { touchpoint: { kind: 'store', id: 'SH-001' } }), { nps: 10, csat: 5, ces: 6, why: 'delivery was fast' });
    const [answered] = await s.events(p, 'Survey Answered');
    expect(answered).toMatchObject({
      survey_id: id,
      survey_version: 1,
      question_kinds: ['nps', 'csat', 'ces', 'text'],
      score: 10,
      nps: 10,
      nps_category: 'promoter',
      csat: 5,
      ces: 6,
      touchpoint_kind: 'store',
      touchpoint_id: 'SH-001',
      tags: ['delivery'],
    });
    expect(await s.events(p, 'Survey Detractor')).toEqual([]);
    const traits = (await s.api('GET', `/v1/profiles/${p}`)).body.traits;
    expect(traits).toMatchObject({ name: 'Lin', nps_last_score: 10, nps_category: 'promoter', csat_last_score: 5, ces_last_score: 6 });
    s.t.clock.advance(DAY);
    await s.answer(await s.link(id, p), { nps: 4, csat: 2, why: '太贵了' });
    expect((await s.api('GET', `/v1/profiles/${p}`)).body.traits).toMatchObject({
      nps_last_score: 4,
      nps_category: 'detractor',
      csat_last_score: 2,
      ces_last_score: 6,
    });
    const [detractor] = await s.events(p, 'Survey Detractor');
    expect(detractor).toMatchObject({ reason: 'nps', nps: 4, tags: ['price'] });
  });
});

describe('the page language', () => {
  it('follows ?lang=, then the link, then Accept-Language by preference, then zh-CN', () => {
    expect(pickLocale('en', 'zh-CN', 'zh-CN')).toBe('en');
    expect(pickLocale(undefined, 'en', 'zh-CN')).toBe('en');
    expect(pickLocale(undefined, undefined, 'fr-FR, en;q=0.5, zh-CN;q=0.9')).toBe('zh-CN');
    expect(pickLocale(undefined, undefined, 'zh-TW;q=0, en-GB')).toBe('en');
    expect(pickLocale('fr', undefined, 'de-DE')).toBe('zh-CN');
  });
});
