import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { importDeps } from './deps.js';
import { type ImportFormat, type ImportKind, type ImportMode, runImport } from './import.service.js';

describeEngines('import warnings (issue #15 item 8)', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  const run = (ws: string, kind: ImportKind, format: ImportFormat, text: string, mode?: ImportMode) =>
    runImport(importDeps(t.services.cdp), { workspaceId: ws, kind, format, mode, open: () => Readable.from([Buffer.from(text)]) });
  const identities = async (ws: string) =>
    (await t.database.db.selectFrom('identities').select(['id_type']).where('workspace_id', '=', ws).execute()).map((r) => r.id_type).sort();

  it('lists a row imported through its member id without its invalid phone as a warning (line, field, reason)', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const csv = 'member_id,phone,email,name\nm-1,12345,,Ann\nm-2,13800138000,bob@example.com,Bob\nm-3,null,not-an-email,Cy\n';
    const report = await run(ws, 'profiles', 'csv', csv);
    expect(report).toMatchObject({ rows: 3, imported: 3, skipped: 0, errorCount: 0, warningCount: 3 });
    expect(report.warnings).toEqual([
      {
        line: 2,
        field: 'phone',
        reason: expect.stringMatching(/^phone "12345" is not a valid phone number, so it does not identify the profile \(the row was imported/),
      },
      { line: 4, field: 'phone', reason: expect.stringMatching(/^phone "null" is a placeholder/) },
      { line: 4, field: 'email', reason: expect.stringMatching(/^email "not-an-email" is not a valid email address/) },
    ]);
    expect(await identities(ws)).toEqual(['email', 'member_id', 'member_id', 'member_id', 'phone']);
  });

  it('warns in NDJSON orders and in all-or-nothing mode, where warnings do not reject the file', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const nd = '{"order_id":"w-1","member_id":"m-9","phone":"12345","total":5,"ordered_at":"2026-01-01"}\n';
    const report = await run(ws, 'orders', 'ndjson', nd, 'all-or-nothing');
    expect(report).toMatchObject({ rejected: false, imported: 1, warningCount: 1, warnings: [{ line: 1, field: 'phone' }] });
  });

  it('answers the warnings through the API', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/imports?kind=profiles',
      headers: { authorization: `Bearer ${t.secretKey}`, 'content-type': 'text/csv' },
      payload: 'member_id,phone\napi-w1,12345\napi-w2,\n',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      imported: 2,
      warningCount: 1,
      warnings: [{ line: 2, field: 'phone', reason: expect.stringMatching(/not a valid phone/) }],
    });
  });
});
