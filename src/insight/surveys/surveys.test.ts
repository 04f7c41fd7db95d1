import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { EVERY_KIND, surveysTestApp } from './test-kit.js';

describeEngines('survey definitions', (engine) => {
  let s: Awaited<ReturnType<typeof surveysTestApp>>;
  afterEach(async () => {
    await s?.close();
  });

  it('creates, gets, lists by page and archives surveys, with zh-CN and en texts', async () => {
    s = await surveysTestApp(engine);
    const created = await s.api('POST', '/v1/insight/surveys', EVERY_KIND);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'After-sales NPS', status: 'active', version: 1, locked: false, linkTtlDays: 30, title: EVERY_KIND.title });
    expect(created.body.questions.map((q: { kind: string }) => q.kind)).toEqual(['nps', 'csat', 'ces', 'single', 'multiple', 'text']);
    const ids = [created.body.id as string];
    for (let i = 0; i < 2; i++) {
      s.t.clock.advance(1000);
      ids.push(await s.survey({ ...EVERY_KIND, name: `S${i}` }));
    }
    const first = await s.api('GET', '/v1/insight/surveys?limit=2');
    expect(first.body.data.map((x: { id: string }) => x.id)).toEqual([ids[2], ids[1]]);
    const second = await s.api('GET', `/v1/insight/surveys?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toMatchObject({ data: [{ id: ids[0] }], nextCursor: null });
    expect((await s.api('GET', `/v1/insight/surveys/${ids[0]}`)).body.intro).toEqual(EVERY_KIND.intro);

    const archived = await s.api('POST', `/v1/insight/surveys/${ids[1]}/archive`);
    expect(archived.body.status).toBe('archived');
    expect((await s.api('GET', '/v1/insight/surveys?status=archived')).body.data.map((x: { id: string }) => x.id)).toEqual([ids[1]]);
    expect((await s.api('PATCH', `/v1/insight/surveys/${ids[1]}`, { name: 'x' })).status).toBe(409);
    expect((await s.api('GET', '/v1/insight/surveys/srv_nope')).body.error.code).toBe('SURVEY_NOT_FOUND');
    // Another workspace sees none of them.
    const other = await s.t.newWorkspace('Other');
    const res = await s.t.app.inject({ method: 'GET', url: `/v1/insight/surveys/${ids[0]}`, headers: { authorization: `Bearer ${other.secretKey}` } });
    expect(res.statusCode).toBe(404);
    expect((await s.t.app.inject({ method: 'GET', url: '/v1/insight/surveys' })).statusCode).toBe(401);
  });

  it('edits a survey in place until it is answered, then makes a new version; answers keep the version they answered', async () => {
    s = await surveysTestApp(engine);
    const id = await s.survey();
    const p = await s.profile('u1');
    const edited = await s.api('PATCH', `/v1/insight/surveys/${id}`, { title: { 'zh-CN': '新标题', en: 'New title' } });
    expect(edited.body).toMatchObject({ version: 1, locked: false, title: { en: 'New title' } });
    expect((await s.answer(await s.link(id, p), { nps: 9, csat: 5, why: 'ok' })).status).toBe(200);
    expect((await s.api('GET', `/v1/insight/surveys/${id}`)).body).toMatchObject({ version: 1, locked: true });

    const questions = [...EVERY_KIND.questions.slice(0, 2), { id: 'more', kind: 'text', text: { 'zh-CN': '还有吗？' } }];
    const v2 = await s.api('PATCH', `/v1/insight/surveys/${id}`, { questions });
    expect(v2.body).toMatchObject({ version: 2, locked: false, title: { en: 'New title' } });
    expect(v2.body.questions.map((q: { id: string }) => q.id)).toEqual(['nps', 'csat', 'more']);
    // Name and keywords are not content: no new version.
    expect((await s.api('PATCH', `/v1/insight/surveys/${id}`, { name: 'Renamed' })).body).toMatchObject({ version: 2, name: 'Renamed' });
    const rows = await s.t.database.db.selectFrom('insight_survey_answers').select('survey_version').execute();
    expect(rows.map((r) => Number(r.survey_version))).toEqual([1]);
    // Version 2 takes answers to its own questions.
    const r2 = await s.answer(await s.link(id, p), { nps: 3, csat: 2, more: 'yes' });
    expect(r2.status).toBe(200);
  });

  it('refuses definitions a schema cannot catch, naming the field', async () => {
    s = await surveysTestApp(engine);
    const q = (over: object) => ({ ...EVERY_KIND, questions: [{ id: 'a', kind: 'nps', text: { 'zh-CN': 'x' } }, over] });
    const cases: [object, string, string][] = [
      [q({ id: 'a', kind: 'text', text: { 'zh-CN': 'y' } }), 'questions[1].id', 'used twice'],
      [q({ id: 'b', kind: 'nps', text: { 'zh-CN': 'y' } }), 'questions[1].kind', 'at most one nps'],
      [q({ id: 'b', kind: 'single', text: { 'zh-CN': 'y' }, options: [{ id: 'o', label: { 'zh-CN': 'o' } }] }), 'questions[1].options', '2 to 20 options'],
      [
        q({ id: 'b', kind: 'csat', text: { 'zh-CN': 'y' }, options: [{ id: 'o', label: { 'zh-CN': 'o' } }] }),
        'questions[1].options',
        'only single and multiple',
      ],
      [
        {
          ...EVERY_KIND,
          keywords: [
            { tag: 't', words: ['a'] },
            { tag: 't', words: ['b'] },
          ],
        },
        'keywords[1].tag',
        'listed twice',
      ],
      [{ ...EVERY_KIND, name: 'bad\u0000' }, 'body.name', 'U+0000'],
    ];
    for (const [body, field, words] of cases) {
      const r = await s.api('POST', '/v1/insight/surveys', body);
      expect(r.status, field).toBe(400);
      expect(r.body.error.details.field).toBe(field);
      expect(r.body.error.message).toContain(words);
    }
    // Shapes: the schema (unknown kind, missing zh-CN).
    const bad = await s.api('POST', '/v1/insight/surveys', { ...EVERY_KIND, questions: [{ id: 'a', kind: 'stars', text: { 'zh-CN': 'x' } }] });
    expect(bad.status).toBe(400);
    expect((await s.api('POST', '/v1/insight/surveys', { ...EVERY_KIND, title: { en: 'only English' } })).status).toBe(400);
  });
});
