import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { createDemoSandboxes } from '../../wecom-sandbox/demo.js';
import { parseCsv, readZip } from './test-helpers.js';

const NOW = Date.parse('2026-12-07T02:00:00Z');

describeEngines('export of everything held about one person (a ZIP streamed: person.json, a CSV per kind)', (engine) => {
  let t: TestApp;
  let profileId: string;
  let externalUserid: string;
  let userId: string | undefined;
  let contactProfileId: string;
  const auth = () => ({ authorization: `Bearer ${t.secretKey}` });
  const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await t.app.inject({ method, url, headers: auth(), ...(payload !== undefined ? { payload } : {}) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res;
  };

  beforeAll(async () => {
    t = await createTestApp(engine, { clockStart: NOW, demoSandboxes: createDemoSandboxes });
    // The demo brand through its real producers: tracking, orders, WeCom contacts and groups from
    // the sandbox's callbacks, segments, messages, the membership.
    await call('POST', '/v1/demo', { customers: 40, seed: 7 });
    const contact = (await call('GET', '/v1/wecom/contacts?limit=1')).json().data[0];
    externalUserid = contact.externalUserid;
    profileId = contact.profileId;
    // And what the demo may not have given this person: an anonymous visit merged into them when
    // they sign in (identify with their user id), an email, a consent, points, a coupon, a message.
    const ids = (await call('GET', `/v1/profiles/${profileId}`)).json().identifiers as { type: string; value: string }[];
    userId = ids.find((i) => i.type === 'user_id')?.value;
    expect(userId).toBeDefined();
    const tracking = async (path: string, payload: object) => {
      const res = await t.app.inject({ method: 'POST', url: path, headers: { authorization: basic(t.writeKey) }, payload });
      expect(res.statusCode, res.body).toBeLessThan(300);
      await t.services.writer.drain();
    };
    await tracking('/v1/track', { anonymousId: 'anon-dsr-1', event: 'Product Viewed', properties: { sku: 'latte' } });
    await tracking('/v1/identify', { userId, anonymousId: 'anon-dsr-1', traits: { email: 'xiaoyu.dsr@example.com' } });
    // Whichever profile survived the merge is the person now (the contact keeps the id it had).
    contactProfileId = profileId;
    profileId = (await call('GET', `/v1/profiles/${encodeURIComponent(`user_id:${userId}`)}`)).json().id;
    await call('POST', `/v1/profiles/${profileId}/consent`, { purpose: 'marketing', channel: 'sms', granted: true, source: 'form' });
    await call('POST', '/v1/loyalty/points/earn', { profile: profileId, points: 120, reason: '导出测试', idempotencyKey: 'dsr-earn-1' });
    await call('POST', '/v1/loyalty/coupon-templates', { key: 'dsr-5', name: '五元券', kind: 'fixed', amountFen: 500, validity: { days: 30 } });
    await call('POST', '/v1/loyalty/coupons/issue', { template: 'dsr-5', profile: profileId, idempotencyKey: 'dsr-coupon-1' });
    await call('POST', '/v1/messages', {
      channel: 'sms',
      profileId,
      content: { templateCode: 'SMS_0001', signName: '思屿', params: { name: '小雨' } },
      idempotencyKey: 'dsr-msg-1',
    });
  }, 240_000);
  afterAll(async () => {
    await t?.close();
  });

  it('streams the archive of an export request: every module’s kinds, in JSON and as CSV, and closes the request with its record', async () => {
    const created = (await call('POST', '/v1/privacy/requests', { kind: 'export', subject: profileId })).json();
    const res = await call('GET', `/v1/privacy/requests/${created.id}/archive`);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toContain(`privacy-${created.id}.zip`);
    const files = readZip(res.rawPayload);
    const person = JSON.parse(files.get('person.json')!.toString('utf8'));
    expect(person.profileId).toBe(profileId);
    const m = person.modules;
    expect(Object.keys(m)).toEqual(['cdp', 'messaging', 'scrm', 'segments', 'loyalty', 'insight']);
    expect(m.cdp.profiles.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining([profileId, contactProfileId]));
    const values = m.cdp.identifiers.map((i: { value: string }) => i.value);
    expect(values).toEqual(expect.arrayContaining([externalUserid, userId, 'xiaoyu.dsr@example.com', 'anon-dsr-1']));
    expect(m.cdp.merges.length).toBeGreaterThan(0);
    expect(m.cdp.events.some((e: { event: string | null }) => e.event === 'Product Viewed')).toBe(true);
    expect(m.cdp.events.length).toBeGreaterThan(0);
    expect(m.messaging.consents).toEqual([expect.objectContaining({ purpose: 'marketing', channel: 'sms', source: 'form' })]);
    expect(m.messaging.messages.some((x: { idempotencyKey?: string; channel: string }) => x.channel === 'sms')).toBe(true);
    expect(m.scrm.wecom_contacts).toEqual([expect.objectContaining({ externalUserid, profileId: contactProfileId })]);
    expect(m.scrm.wecom_follows.length).toBeGreaterThan(0);
    expect(m.loyalty.points_ledger.some((e: { amount: number; reason: string }) => e.amount === 120 && e.reason === '导出测试')).toBe(true);
    expect(m.loyalty.coupons).toHaveLength(1);
    expect(Object.keys(m.segments)).toEqual(['segment_memberships', 'segment_history', 'scores']);
    expect(Object.keys(m.insight)).toEqual(['survey_answers', 'clv_predictions', 'experiment_exposures']);

    // One CSV per kind, its rows those of person.json; summary.json counts them.
    const summary = JSON.parse(files.get('summary.json')!.toString('utf8'));
    for (const [mod, kinds] of Object.entries(m as Record<string, Record<string, unknown[]>>)) {
      for (const [kind, rows] of Object.entries(kinds)) {
        const csv = parseCsv(files.get(`${mod}/${kind}.csv`)!.toString('utf8'));
        expect(summary.rows[`${mod}/${kind}`], `${mod}/${kind}`).toBe(rows.length);
        if (rows.length) expect(csv.length - 1, `${mod}/${kind}.csv`).toBe(rows.length);
      }
    }
    const contacts = parseCsv(files.get('scrm/wecom_contacts.csv')!.toString('utf8'));
    expect(contacts[1]![contacts[0]!.indexOf('externalUserid')]).toBe(externalUserid);

    const done = (await call('GET', `/v1/privacy/requests/${created.id}`)).json();
    expect(done).toMatchObject({ status: 'completed', completion: { exported: { rows: summary.rows } } });
    // Each download is an export in the audit log.
    const audit = (await call('GET', `/v1/audit?route=/v1/privacy/requests/:id/archive`)).json().data;
    expect(audit[0]).toMatchObject({ method: 'GET', target: created.id, status: 200 });
  });

  it('exports no row of anybody else', async () => {
    const created = (await call('POST', '/v1/privacy/requests', { kind: 'export', subject: profileId })).json();
    const files = readZip((await call('GET', `/v1/privacy/requests/${created.id}/archive`)).rawPayload);
    const person = JSON.parse(files.get('person.json')!.toString('utf8'));
    const mine = new Set(person.profileIds as string[]);
    const all = await sql<{ id: string }>`select id from profiles where workspace_id = ${t.workspaceId}`.execute(t.database.db);
    const others = all.rows.map((r) => r.id).filter((id) => !mine.has(id));
    expect(others.length).toBeGreaterThan(10);
    const text = files.get('person.json')!.toString('utf8');
    const leaks = others.filter((id) => text.includes(id));
    expect(leaks.map((id) => text.split('\n').filter((l) => l.includes(id)))).toEqual([]);
  });

  it('answers an archive only for an export that was not rejected', async () => {
    const erasure = (await call('POST', '/v1/privacy/requests', { kind: 'erasure', subject: profileId })).json();
    const res = await t.app.inject({ method: 'GET', url: `/v1/privacy/requests/${erasure.id}/archive`, headers: auth() });
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'PRIVACY_REQUEST_STATE']);
    const nobody = (await call('POST', '/v1/privacy/requests', { kind: 'export', subject: 'user_id:nobody-at-all' })).json();
    const files = readZip((await call('GET', `/v1/privacy/requests/${nobody.id}/archive`)).rawPayload);
    expect(JSON.parse(files.get('person.json')!.toString('utf8'))).toMatchObject({ profileId: null, profileIds: [], modules: {} });
  });
});
