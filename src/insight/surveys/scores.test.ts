import { afterEach, describe, expect, it } from 'vitest';
import { recomputeSegment } from '../../segments/index.js';
import { describeEngines } from '../../../test/support/engines.js';
import { summarise } from './scores.service.js';
import { surveysTestApp } from './test-kit.js';

const SCORES = {
  name: 'Scores',
  title: { 'zh-CN': '评分' },
  questions: [
    { id: 'nps', kind: 'nps', text: { 'zh-CN': '推荐' } },
    { id: 'csat', kind: 'csat', text: { 'zh-CN': '满意' } },
    { id: 'ces', kind: 'ces', text: { 'zh-CN': '容易' } },
    { id: 'why', kind: 'text', text: { 'zh-CN': '原因' } },
  ],
  keywords: [{ tag: 'delivery', words: ['快递', 'delivery'] }],
};

// Shanghai local times (UTC+8): 00:30 on Monday 2 November is still 1 November in UTC.
const AT = {
  mon: Date.parse('2026-11-01T16:30:00Z'),
  tue: Date.parse('2026-11-03T02:00:00Z'),
  nextMon: Date.parse('2026-11-09T03:00:00Z'),
  dec: Date.parse('2026-12-01T03:00:00Z'),
};

/** [when, touchpoint, nps, csat, ces, text] */
const ANSWERS: [number, { kind: string; id?: string }, number, number, number, string][] = [
  [AT.mon, { kind: 'journey', id: 'jny_a' }, 10, 5, 7, 'great delivery'],
  [AT.mon, { kind: 'journey', id: 'jny_a' }, 9, 4, 5, ''],
  [AT.mon, { kind: 'store', id: 'SH-1' }, 6, 3, 4, '快递太慢'],
  [AT.tue, { kind: 'store', id: 'SH-1' }, 8, 4, 6, ''],
  [AT.tue, { kind: 'journey', id: 'jny_a' }, 10, 5, 2, 'Delivery OK, app hard'],
  [AT.tue, { kind: 'store', id: 'SH-1' }, 0, 1, 1, 'terrible'],
  [AT.nextMon, { kind: 'journey', id: 'jny_a' }, 9, 2, 3, ''],
  [AT.nextMon, { kind: 'journey', id: 'jny_a' }, 9, 5, 7, 'nice staff'],
  [AT.nextMon, { kind: 'store', id: 'SH-1' }, 9, 4, 5, ''],
  [AT.dec, { kind: 'store', id: 'SH-1' }, 2, 2, 2, '快递丢了 100%_lost'],
];

describeEngines('survey scores, trends and verbatims', (engine) => {
  let s: Awaited<ReturnType<typeof surveysTestApp>>;
  afterEach(async () => {
    await s?.close();
  });

  async function seed() {
    s = await surveysTestApp(engine, { clockStart: AT.mon - 3_600_000 });
    const id = await s.survey(SCORES);
    const profiles: string[] = [];
    for (const [i, [at, touchpoint, nps, csat, ces, why]] of ANSWERS.entries()) {
      const p = await s.profile(`u${i}`);
      profiles.push(p);
      const token = await s.link(id, p, { touchpoint });
      s.t.clock.set(at + i * 60_000); // distinct times: verbatims sort by time
      const r = await s.answer(token, { nps, csat, ces, ...(why ? { why } : {}) });
      expect(r.status).toBe(200);
      s.t.clock.set(AT.mon - 3_600_000);
    }
    s.t.clock.set(AT.dec + 86_400_000);
    return { id, profiles };
  }

  it('computes NPS, CSAT and CES by the published formulas, by local day, week and month, and by touchpoint', async () => {
    const { id } = await seed();
    const r = (await s.api('GET', `/v1/insight/surveys/${id}/report`)).body;
    // NPS: promoters 10,9,10,9,9,9 = 6, detractors 6,0,2 = 3 of 10 -> 60% - 30% = 30.
    // CSAT: 4–5 are 5,4,4,5,5,4 = 6 of 10 -> 60%. CES: sum 42 / 10 = 4.2; 5–7 are 7,5,6,7,5 = 5 of 10 -> 50%.
    expect(r.totals).toEqual({
      responses: 10,
      nps: { n: 10, promoters: 6, passives: 1, detractors: 3, score: 30 },
      csat: { n: 10, satisfied: 6, score: 60 },
      ces: { n: 10, average: 4.2, easy: 5, easyShare: 50 },
    });
    expect(r.timeZone).toBe('Asia/Shanghai');
    // Days are Shanghai's: the 00:30 answers are on 2 November, not on UTC's 1 November.
    expect(r.trend.map((x: { period: string; responses: number }) => [x.period, x.responses])).toEqual([
      ['2026-11-02', 3],
      ['2026-11-03', 3],
      ['2026-11-09', 3],
      ['2026-12-01', 1],
    ]);
    // 2 Nov: 10, 9, 6 -> (2 - 1) / 3 = 33.33.
    expect(r.trend[0].nps.score).toBe(33.33);
    const weeks = (await s.api('GET', `/v1/insight/surveys/${id}/report?interval=week`)).body.trend;
    expect(weeks.map((x: { period: string; responses: number }) => [x.period, x.responses])).toEqual([
      ['2026-11-02', 6],
      ['2026-11-09', 3],
      ['2026-11-30', 1],
    ]);
    // Week of 2 Nov: 10, 9, 6, 8, 10, 0 -> (3 - 2) / 6.
    expect(weeks[0].nps.score).toBe(16.67);
    const months = (await s.api('GET', `/v1/insight/surveys/${id}/report?interval=month`)).body.trend;
    expect(months.map((x: { period: string; responses: number }) => [x.period, x.responses])).toEqual([
      ['2026-11', 9],
      ['2026-12', 1],
    ]);
    expect(
      r.byTouchpoint.map((x: { kind: string; id: string; responses: number; nps: { score: number } }) => [x.kind, x.id, x.responses, x.nps.score]),
    ).toEqual([
      ['journey', 'jny_a', 5, 100],
      ['store', 'SH-1', 5, -40],
    ]);
    // A date range: [2 Nov 00:00, 9 Nov 00:00) Shanghai.
    const week = (await s.api('GET', `/v1/insight/surveys/${id}/report?from=2026-11-01T16:00:00Z&to=2026-11-08T16:00:00Z`)).body;
    expect(week.totals.responses).toBe(6);
  });

  it('breaks results down by segment, the segment using the traits the answers set', async () => {
    const { id } = await seed();
    const seg = await s.api('POST', '/v1/segments', { name: 'Detractors', rule: { type: 'trait', key: 'nps_category', op: 'eq', value: 'detractor' } });
    expect(seg.status).toBe(201);
    await recomputeSegment(s.t.services.membership, s.t.workspaceId, seg.body.id, { lagMs: 0 });
    const r = (await s.api('GET', `/v1/insight/surveys/${id}/report?segmentId=${seg.body.id}`)).body;
    expect(r.totals.responses).toBe(3);
    expect(r.totals.nps).toEqual({ n: 3, promoters: 0, passives: 0, detractors: 3, score: -100 });
  });

  it('searches verbatims by text, keyword tag and NPS category, newest first by page, and tags old answers again when keywords change', async () => {
    const { id } = await seed();
    const get = async (q: string) => (await s.api('GET', `/v1/insight/surveys/${id}/verbatims?${q}`)).body;
    const all = await get('limit=3');
    expect(all.data.map((v: { text: string }) => v.text)).toEqual(['快递丢了 100%_lost', 'nice staff', 'terrible']);
    const rest = await get(`limit=3&cursor=${all.nextCursor}`);
    expect(rest.data.map((v: { text: string }) => v.text)).toEqual(['Delivery OK, app hard', '快递太慢', 'great delivery']);
    expect(rest.nextCursor).toBeNull();
    expect((await get('tag=delivery')).data.map((v: { text: string }) => v.text)).toEqual([
      '快递丢了 100%_lost',
      'Delivery OK, app hard',
      '快递太慢',
      'great delivery',
    ]);
    expect((await get('q=DELIVERY')).data).toHaveLength(2);
    expect((await get(`q=${encodeURIComponent('%_')}`)).data.map((v: { text: string }) => v.text)).toEqual(['快递丢了 100%_lost']);
    expect((await get('q=xyz')).data).toEqual([]);
    expect((await get('category=detractor')).data.map((v: { text: string }) => v.text)).toEqual(['快递丢了 100%_lost', 'terrible', '快递太慢']);
    expect((await get('category=detractor&tag=delivery')).data[0]).toMatchObject({ nps: 2, tags: ['delivery'], touchpoint: { kind: 'store', id: 'SH-1' } });

    await s.api('PATCH', `/v1/insight/surveys/${id}`, {
      keywords: [
        { tag: 'app', words: ['app'] },
        { tag: 'staff', words: ['STAFF'] },
      ],
    });
    expect((await get('tag=delivery')).data).toEqual([]);
    expect((await get('tag=app')).data.map((v: { text: string; tags: string[] }) => [v.text, v.tags])).toEqual([['Delivery OK, app hard', ['app']]]);
    expect((await get('tag=staff')).data).toHaveLength(1);
  });
});

describe('score formulas', () => {
  it('summarises counts exactly as the formulas say, and leaves out scores nobody gave', () => {
    expect(summarise({ responses: 3, npsN: 3, promoters: 1, detractors: 2, csatN: 0, satisfied: 0, cesN: 3, cesSum: 10, easy: 1 })).toEqual({
      responses: 3,
      nps: { n: 3, promoters: 1, passives: 0, detractors: 2, score: -33.33 },
      csat: null,
      ces: { n: 3, average: 3.33, easy: 1, easyShare: 33.33 },
    });
  });
});
