import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { retentionRunCommand } from './retention.js';

describeEngines('siyu retention run', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
    const old = (i: number) => ({ type: 'track', userId: 'cli-ret', event: 'Page Left', timestamp: '2020-01-01T00:00:00Z', messageId: `cli-ret-${i}` });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basic(t.writeKey) },
      payload: { batch: [...Array.from({ length: 5 }, (_, i) => old(i)), { type: 'track', userId: 'cli-ret', event: 'Page Left', messageId: 'cli-ret-new' }] },
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    await t.services.writer.drain();
    t.clock.advance(8 * 86_400_000); // past the grace of freshly received events
  });
  afterAll(async () => {
    await t?.close();
  });

  it('runs the job now with progress per batch, prints the report and stores it', async () => {
    const printed: string[] = [];
    const progress: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (printed.push(String(s)), true));
    try {
      await retentionRunCommand(t.services, { workspace: t.workspaceId, batch: 2 }, (l) => progress.push(l));
    } finally {
      spy.mockRestore();
    }
    expect(progress).toEqual([
      `${t.workspaceId}: purging…`,
      `${t.workspaceId}: events 2 rows`,
      `${t.workspaceId}: events 4 rows`,
      `${t.workspaceId}: events 5 rows`,
    ]);
    expect(printed.join('')).toMatch(new RegExp(`${t.workspaceId}: run ret_\\w+ completed in \\d+ ms\\n  events +5 rows before 20`));
    const left = await t.database.db.selectFrom('events').select('message_id').where('workspace_id', '=', t.workspaceId).execute();
    expect(left.map((r) => r.message_id)).toEqual(['cli-ret-new']);
    const runs = (await t.app.inject({ method: 'GET', url: '/v1/retention/runs', headers: { authorization: `Bearer ${t.secretKey}` } })).json().data;
    expect(runs[0]).toMatchObject({ trigger: 'cli', status: 'completed' });
  });
});
