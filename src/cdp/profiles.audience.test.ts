import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';

const DAY = 86_400_000;

/**
 * The profile list's segment, RFM cell and lifecycle stage filters (answered by the segments
 * module through cdp's port), over orders tracked through the tracking API and scored by the real
 * models run (POST /v1/models/compute): each filter lists exactly the profiles the models and the
 * segment say, filters combine with AND and with the other filters, and a wrong value is refused.
 */
describeEngines('profile list: segment, RFM cell and lifecycle filters', (engine) => {
  let t: TestApp;
  const ids: Record<string, string> = {};
  const models: Record<string, { cell: string | null; stage: string | null }> = {};
  let segmentId = '';

  const api = async (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const res = await t.app.inject({ method, url, headers: { authorization: `Bearer ${t.secretKey}`, ...headers }, payload: payload as string });
    return { status: res.statusCode, body: res.json() };
  };
  const listed = async (q: string) => {
    const r = await api('GET', `/v1/profiles?limit=200&${q}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return (r.body.data as { id: string }[]).map((p) => p.id).sort();
  };

  beforeAll(async () => {
    t = await createTestApp(engine, { clockStart: Date.parse('2026-11-01T04:00:00Z') });
    const now = t.clock.now();
    const batch: Record<string, unknown>[] = [];
    // Twelve buyers with 1-4 orders spread over the last year, and two profiles who never bought.
    for (let i = 0; i < 12; i++) {
      for (let k = 0; k <= i % 4; k++) {
        batch.push({
          type: 'track',
          userId: `b${i}`,
          messageId: `o-${i}-${k}`,
          event: 'Order Completed',
          timestamp: new Date(now - (i * 25 + k * 3 + 1) * DAY).toISOString(),
          properties: { order_id: `o-${i}-${k}`, total: 50 + i * 40 },
        });
      }
    }
    for (const u of ['n0', 'n1']) batch.push({ type: 'identify', userId: u, messageId: `id-${u}`, traits: { name: u } });
    const res = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(t.writeKey) }, payload: { batch } });
    expect(res.statusCode, res.body).toBe(200);
    expect((await api('POST', '/v1/models/compute', { models: ['rfm', 'lifecycle'] })).status).toBe(200);
    for (const u of [...Array.from({ length: 12 }, (_, i) => `b${i}`), 'n0', 'n1']) {
      const p = (await api('GET', `/v1/profiles/user_id:${u}`)).body;
      ids[u] = p.id;
      models[p.id] = { cell: p.models.rfm?.cell ?? null, stage: p.models.lifecycle?.stage ?? null };
    }
    const seg = await api('POST', '/v1/segments', { name: '前四位', kind: 'static' });
    segmentId = seg.body.id;
    const csv = ['identifier', 'user_id:b0', 'user_id:b1', 'user_id:b2', 'user_id:n0'].join('\n') + '\n';
    expect((await api('POST', `/v1/segments/${segmentId}/members?mode=replace`, csv, { 'content-type': 'text/csv' })).status).toBe(200);
  });
  afterAll(async () => t?.close());

  const where = (ok: (m: { cell: string | null; stage: string | null }, id: string) => boolean) =>
    Object.entries(models)
      .filter(([id, m]) => ok(m, id))
      .map(([id]) => id)
      .sort();

  it('lists the profiles of the RFM cells and lifecycle stages the models gave them', async () => {
    const cells = [...new Set(Object.values(models).map((m) => m.cell))].filter((c): c is string => c !== null);
    const stages = [...new Set(Object.values(models).map((m) => m.stage))].filter((s): s is string => s !== null);
    // The data spreads over several cells and stages, so each filter has something to tell apart.
    expect(cells.length).toBeGreaterThan(1);
    expect(stages.length).toBeGreaterThan(1);
    for (const cell of cells) expect(await listed(`rfmCell=${cell}`), cell).toEqual(where((m) => m.cell === cell));
    for (const stage of stages) expect(await listed(`lifecycleStage=${stage}`), stage).toEqual(where((m) => m.stage === stage));
    const two = cells.slice(0, 2);
    expect(await listed(two.map((c) => `rfmCell=${c}`).join('&'))).toEqual(where((m) => two.includes(m.cell ?? '')));
  });

  it("lists a segment's members, and combines every filter with AND", async () => {
    const members = [ids.b0!, ids.b1!, ids.b2!, ids.n0!].sort();
    expect(await listed(`segment=${segmentId}`)).toEqual(members);
    const stage = models[ids.b0!]!.stage!;
    expect(await listed(`segment=${segmentId}&lifecycleStage=${stage}`)).toEqual(where((m, id) => members.includes(id) && m.stage === stage));
    expect(await listed(`segment=${segmentId}&q=n0`)).toEqual([ids.n0]);
    // Paged: two at a time over the segment's four members.
    const first = await api('GET', `/v1/profiles?segment=${segmentId}&limit=2`);
    const second = await api('GET', `/v1/profiles?segment=${segmentId}&limit=2&cursor=${first.body.nextCursor}`);
    expect([...first.body.data, ...second.body.data].map((p: { id: string }) => p.id).sort()).toEqual(members);
    expect(second.body.nextCursor).toBeNull();
  });

  it('refuses a segment the workspace does not have, and a cell or stage the models do not produce', async () => {
    for (const [q, field] of [
      ['segment=seg_nope', 'segment'],
      ['rfmCell=platinum', 'rfmCell'],
      ['lifecycleStage=asleep', 'lifecycleStage'],
    ] as const) {
      const r = await api('GET', `/v1/profiles?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field } });
    }
    const other = await t.newWorkspace('Other');
    const foreign = await t.app.inject({ method: 'GET', url: `/v1/profiles?segment=${segmentId}`, headers: { authorization: `Bearer ${other.secretKey}` } });
    expect(foreign.statusCode).toBe(400);
  });
});
