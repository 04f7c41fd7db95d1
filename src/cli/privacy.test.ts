import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { readZip } from '../compliance/test-helpers.js';
import { privacyEraseCommand, privacyExportCommand } from './privacy.js';

describeEngines('siyu privacy export and erase', (engine) => {
  let t: TestApp;
  const dir = mkdtempSync(join(tmpdir(), 'siyu-privacy-'));
  beforeAll(async () => {
    t = await createTestApp(engine);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { authorization: basic(t.writeKey) },
      payload: { userId: 'cli-dsr-1', event: 'Order Completed', properties: { order_id: 'o-cli-1', total: 88, currency: 'CNY' } },
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    await t.services.writer.drain();
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the person’s archive to the file, records the request and the export in the audit log', async () => {
    const out = join(dir, 'person.zip');
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (printed.push(String(s)), true));
    try {
      await privacyExportCommand(t.services, 'user_id:cli-dsr-1', { workspace: t.workspaceId, out });
    } finally {
      spy.mockRestore();
    }
    const files = readZip(readFileSync(out));
    const person = JSON.parse(files.get('person.json')!.toString('utf8'));
    expect(person.modules.cdp.identifiers).toEqual([expect.objectContaining({ type: 'user_id', value: 'cli-dsr-1' })]);
    expect(person.modules.cdp.orders).toEqual([expect.objectContaining({ orderId: 'o-cli-1', totalFen: 8800 })]);
    expect(files.get('cdp/orders.csv')!.toString('utf8')).toContain('o-cli-1');
    expect(printed.join('')).toMatch(/request dsr_\w+: \d+ rows about prf_\w+ written to /);
    const requests = (await t.app.inject({ method: 'GET', url: '/v1/privacy/requests', headers: { authorization: `Bearer ${t.secretKey}` } })).json().data;
    expect(requests[0]).toMatchObject({ kind: 'export', subject: 'user_id:cli-dsr-1', status: 'completed' });
    expect(requests[0].requestedBy).toMatch(/^cli:/);
    const audit = (
      await t.app.inject({ method: 'GET', url: '/v1/audit?route=/v1/privacy/requests/:id/archive', headers: { authorization: `Bearer ${t.secretKey}` } })
    ).json().data;
    expect(audit[0]).toMatchObject({ actor: { kind: 'cli', role: 'owner' }, target: requests[0].id, status: 200 });
  });

  it('erases the person only with --yes, records the request and the carry-out in the audit log', async () => {
    await expect(privacyEraseCommand(t.services, 'user_id:cli-dsr-1', { workspace: t.workspaceId })).rejects.toThrow(/--yes/);
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let out;
    try {
      out = await privacyEraseCommand(t.services, 'user_id:cli-dsr-1', { workspace: t.workspaceId, yes: true });
    } finally {
      spy.mockRestore();
    }
    expect(out.rows.cdp).toMatchObject({ identifiers: 1, orders: 1 });
    const auth = { authorization: `Bearer ${t.secretKey}` };
    expect((await t.app.inject({ method: 'GET', url: '/v1/profiles/user_id:cli-dsr-1', headers: auth })).statusCode).toBe(404);
    const r = (await t.app.inject({ method: 'GET', url: `/v1/privacy/requests/${out.requestId}`, headers: auth })).json();
    expect(r).toMatchObject({ kind: 'erasure', status: 'completed' });
    expect(r.subject).toMatch(/^hash:/);
    expect(r.requestedBy).toMatch(/^cli:/);
    const audit = (await t.app.inject({ method: 'GET', url: '/v1/audit?route=/v1/privacy/requests/:id/carry-out', headers: auth })).json().data;
    expect(audit[0]).toMatchObject({ actor: { kind: 'cli', role: 'owner' }, target: out.requestId, status: 200 });
  });
});
