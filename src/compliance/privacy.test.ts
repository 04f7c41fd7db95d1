import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { classify } from '../access/index.js';
import { privacyDeadline } from './privacy.deadline.js';

describe('the deadline of a data-subject request (15 working days, workspace time zone)', () => {
  const at = (iso: string) => Date.parse(iso);
  it('counts Monday to Friday from the day after receipt', () => {
    // Monday 2026-12-07, 10:00 in Shanghai: Tue 8 … Fri 11 (4), 14–18 (9), 21–25 (14), Mon 28 (15).
    expect(privacyDeadline(at('2026-12-07T02:00:00Z'), 'Asia/Shanghai')).toEqual({ dueDate: '2026-12-28', deadlineAt: at('2026-12-28T16:00:00Z') });
  });
  it('takes the local date of receipt: 01:00 Tuesday in Shanghai is still Monday in UTC', () => {
    expect(privacyDeadline(at('2026-12-07T17:00:00Z'), 'Asia/Shanghai').dueDate).toBe('2026-12-29');
    expect(privacyDeadline(at('2026-12-07T17:00:00Z'), 'UTC').dueDate).toBe('2026-12-28');
  });
  it('skips a weekend receipt to Monday, and listed holidays only', () => {
    // Saturday 2026-12-12: Mon 14 is day 1, … Fri 1 Jan is day 15.
    expect(privacyDeadline(at('2026-12-12T04:00:00Z'), 'Asia/Shanghai').dueDate).toBe('2027-01-01');
    expect(privacyDeadline(at('2026-12-12T04:00:00Z'), 'Asia/Shanghai', ['2027-01-01']).dueDate).toBe('2027-01-04');
  });
});

describeEngines('data-subject requests (received, tracked to their deadline, closed with a record; owner only)', (engine) => {
  let t: TestApp;
  const auth = () => ({ authorization: `Bearer ${t.secretKey}` });
  const call = async (method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: auth(), ...(payload !== undefined ? { payload } : {}) });

  beforeAll(async () => {
    // Monday 2026-12-07 10:00 in Shanghai (the test workspace's default zone).
    t = await createTestApp(engine, { clockStart: Date.parse('2026-12-07T02:00:00Z') });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: basic(t.writeKey) },
      payload: { userId: 'dsr-user-1', traits: { email: 'lin.dsr@example.com', name: '林小雨' } },
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    await t.services.writer.drain();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('receives a request for a known person: resolved to their profile, with its due date', async () => {
    const res = await call('POST', '/v1/privacy/requests', { kind: 'export', subject: 'user_id:dsr-user-1', note: '客户来电，已核验身份' });
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json();
    expect(r).toMatchObject({ kind: 'export', subject: 'user_id:dsr-user-1', status: 'received', dueDate: '2026-12-28', overdue: false, completedAt: null });
    expect(r.profileId).toMatch(/^prf_/);
    expect(r.requestedBy).toMatch(/^key:/);
    const byEmail = (await call('POST', '/v1/privacy/requests', { kind: 'erasure', subject: 'email:Lin.DSR@example.com' })).json();
    expect(byEmail.profileId).toBe(r.profileId);
    const again = await call('GET', `/v1/privacy/requests/${r.id}`);
    expect(again.json()).toEqual(r);
  });

  it('receives a request naming nobody known (nothing is held), and refuses an identifier that cannot be one', async () => {
    const res = await call('POST', '/v1/privacy/requests', { kind: 'export', subject: 'user_id:nobody-here' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().profileId).toBeNull();
    const bad = await call('POST', '/v1/privacy/requests', { kind: 'export', subject: 'phone:12' });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'IDENTIFIER_INVALID']);
  });

  it('lists newest first with filters and cursors, and marks a request overdue after its deadline', async () => {
    const all = (await call('GET', '/v1/privacy/requests?limit=2')).json();
    expect(all.data).toHaveLength(2);
    const rest = (await call('GET', `/v1/privacy/requests?limit=2&cursor=${encodeURIComponent(all.nextCursor)}`)).json();
    expect([...all.data, ...rest.data].map((r: { id: string }) => r.id)).toHaveLength(3);
    expect(rest.nextCursor).toBeNull();
    expect((await call('GET', '/v1/privacy/requests?kind=erasure')).json().data.map((r: { kind: string }) => r.kind)).toEqual(['erasure']);
    t.clock.set(Date.parse('2026-12-28T15:59:59Z'));
    expect((await call('GET', '/v1/privacy/requests')).json().data.every((r: { overdue: boolean }) => !r.overdue)).toBe(true);
    t.clock.set(Date.parse('2026-12-28T16:00:00Z'));
    expect((await call('GET', '/v1/privacy/requests')).json().data.every((r: { overdue: boolean }) => r.overdue)).toBe(true);
    t.clock.set(Date.parse('2026-12-07T02:00:00Z'));
  });

  it('rejects an open request with its reason, once', async () => {
    const r = (await call('POST', '/v1/privacy/requests', { kind: 'erasure', subject: 'user_id:dsr-user-1' })).json();
    const res = await call('POST', `/v1/privacy/requests/${r.id}/reject`, { reason: '无法核验身份' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'rejected', completion: { rejected: '无法核验身份' } });
    expect(res.json().completedAt).not.toBeNull();
    const again = await call('POST', `/v1/privacy/requests/${r.id}/reject`, { reason: 'x' });
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'PRIVACY_REQUEST_STATE']);
    expect((await call('GET', '/v1/privacy/requests/dsr_nope')).json().error.code).toBe('PRIVACY_REQUEST_NOT_FOUND');
    expect((await call('GET', '/v1/privacy/requests?status=rejected')).json().data.map((x: { id: string }) => x.id)).toEqual([r.id]);
  });

  it('is the owner’s alone, and the audit log records the request without naming the person', async () => {
    expect(classify('POST', '/v1/privacy/requests')).toBe('admin');
    expect(classify('GET', '/v1/privacy/requests')).toBe('admin');
    expect(classify('GET', '/v1/privacy/requests/:id/archive')).toBe('admin');
    const rows = await sql<{ body: unknown }>`select body from audit_log where route = ${'/v1/privacy/requests'}`.execute(t.database.db);
    expect(rows.rows.length).toBeGreaterThan(0);
    const text = JSON.stringify(rows.rows);
    expect(text).not.toContain('dsr-user-1');
    expect(text).not.toContain('lin.dsr');
    expect(text).toContain('[redacted]');
  });

  it('carries out a correction of traits through the request, recorded; refuses what it cannot carry out', async () => {
    const r = (
      await call('POST', '/v1/privacy/requests', { kind: 'correction', subject: 'user_id:dsr-user-1', changes: { traits: { name: '林晓雨', city: null } } })
    ).json();
    const done = await call('POST', `/v1/privacy/requests/${r.id}/carry-out`);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({
      status: 'completed',
      completion: { corrected: { profileId: r.profileId, traitsSet: ['name'], traitsRemoved: ['city'] } },
    });
    const profile = (await call('GET', `/v1/profiles/${r.profileId}`)).json();
    expect(profile.traits.name).toBe('林晓雨');
    expect(profile.traits.email).toBe('lin.dsr@example.com');
    const again = await call('POST', `/v1/privacy/requests/${r.id}/carry-out`);
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'PRIVACY_REQUEST_STATE']);
    // Identifiers: the wrong email replaced (removed and added in one correction), recorded masked.
    const ids = (
      await call('POST', '/v1/privacy/requests', {
        kind: 'correction',
        subject: 'user_id:dsr-user-1',
        changes: {
          identifiers: [
            { type: 'email', value: 'lin.dsr@example.com', action: 'remove' },
            { type: 'email', value: 'New@Example.com', action: 'add' },
          ],
        },
      })
    ).json();
    const corrected = await call('POST', `/v1/privacy/requests/${ids.id}/carry-out`);
    expect(corrected.statusCode, corrected.body).toBe(200);
    expect(corrected.json().completion.corrected).toMatchObject({
      identifiersAdded: [{ type: 'email', value: 'n***@example.com' }],
      identifiersRemoved: [{ type: 'email', value: 'l***@example.com' }],
    });
    const after = (await call('GET', `/v1/profiles/${r.profileId}`)).json();
    expect(after.identifiers.filter((i: { type: string }) => i.type === 'email').map((i: { value: string }) => i.value)).toEqual(['new@example.com']);
    expect((await call('GET', `/v1/profiles/${encodeURIComponent('email:lin.dsr@example.com')}`)).statusCode).toBe(404);
    // An identifier another person holds is not taken from them: nothing of the correction is done.
    await t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: basic(t.writeKey) },
      payload: { userId: 'dsr-user-2', traits: { phone: '13900001111' } },
    });
    await t.services.writer.drain();
    const conflict = (
      await call('POST', '/v1/privacy/requests', {
        kind: 'correction',
        subject: 'user_id:dsr-user-1',
        changes: { identifiers: [{ type: 'phone', value: '13900001111', action: 'add' }], traits: { name: '不应写入' } },
      })
    ).json();
    const refused = await call('POST', `/v1/privacy/requests/${conflict.id}/carry-out`);
    expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'PRIVACY_IDENTIFIER_CONFLICT']);
    expect((await call('GET', `/v1/profiles/${r.profileId}`)).json().traits.name).toBe('林晓雨');
    const exported = (await call('POST', '/v1/privacy/requests', { kind: 'export', subject: 'user_id:dsr-user-1' })).json();
    const notHere = await call('POST', `/v1/privacy/requests/${exported.id}/carry-out`);
    expect([notHere.statusCode, notHere.json().error.code]).toEqual([409, 'PRIVACY_ACTION_UNAVAILABLE']);
    const nobody = (await call('POST', '/v1/privacy/requests', { kind: 'erasure', subject: 'user_id:nobody-at-all' })).json();
    const unknown = await call('POST', `/v1/privacy/requests/${nobody.id}/carry-out`);
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([409, 'PRIVACY_SUBJECT_UNKNOWN']);
  });
});
