import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, describeEngines, type TestApp } from '../support/engines.js';

describeEngines('the real @segment/analytics-node client', (engine) => {
  let t: TestApp;
  let host: string;
  beforeAll(async () => {
    t = await createTestApp(engine);
    host = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => t?.close());

  it('delivers identify, track, page, group and alias end to end', async () => {
    const analytics = new Analytics({ writeKey: t.writeKey, host, flushAt: 3, maxRetries: 0 });
    const errors: unknown[] = [];
    analytics.on('error', (e) => errors.push(e));
    analytics.identify({ userId: 'seg-user', anonymousId: 'seg-anon', traits: { email: 'Seg@Example.com', plan: 'gold' } });
    analytics.track({ userId: 'seg-user', event: 'Order Completed', properties: { order_id: 'SEG-1', total: 12.5, currency: 'CNY' } });
    analytics.page({ anonymousId: 'seg-anon', name: 'Pricing' });
    analytics.group({ userId: 'seg-user', groupId: 'company-1', traits: { name: 'ACME' } });
    analytics.alias({ userId: 'seg-user', previousId: 'old-anon' });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);

    const rows = await t.database.db.selectFrom('events').select(['type', 'event', 'profile_id']).where('workspace_id', '=', t.workspaceId).execute();
    expect(rows.map((r) => r.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'track']);
    // One person: identify linked the anonymous id, alias linked the previous id.
    expect(new Set(rows.map((r) => r.profile_id)).size).toBe(1);
    const p = await t.database.db.selectFrom('profiles').selectAll().where('id', '=', rows[0]!.profile_id).executeTakeFirstOrThrow();
    expect(p.order_count).toBe(1);
    expect(p.total_spent_fen).toBe(1250);
    const ids = await t.database.db.selectFrom('identities').select(['id_type', 'id_key']).where('workspace_id', '=', t.workspaceId).execute();
    expect(ids.map((i) => i.id_type).sort()).toEqual(['anonymous_id', 'anonymous_id', 'email', 'user_id']);
  });
});
