import pino from 'pino';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createServices } from '../server/app.js';
import { createSandbox, type Sandbox } from '../../wecom-sandbox/index.js';
import { createTestApp, describeEngines, testConfig, type TestApp } from '../../test/support/engines.js';
import { claimInbox, inboxDeps, processInboxBatch, startInboxWorker } from './inbox.js';

/** The inbox across restarts and crashes, the background worker, and events applied out of order. */
describeEngines('WeCom inbox processing', (engine) => {
  let t: TestApp;
  let sb: Sandbox;
  let url = '';
  const db = () => t.database.db as any;
  const rows = () => db().selectFrom('wecom_inbox').selectAll().where('workspace_id', '=', t.workspaceId).orderBy('received_at').execute();

  beforeAll(async () => {
    t = await createTestApp(engine);
    sb = createSandbox({ seed: 5, staff: 4, customers: 20, groups: 2, now: () => t.clock.now() });
    const sandboxUrl = await sb.listen();
    url = `${await t.app.listen({ port: 0, host: '127.0.0.1' })}/wecom/callback/${t.workspaceId}`;
    const c = sb.credentials;
    const put = await t.app.inject({
      method: 'PUT',
      url: '/v1/wecom/connection',
      headers: { authorization: `Bearer ${t.secretKey}` },
      payload: { corpId: c.corpId, secret: c.secret, callbackToken: c.callbackToken, encodingAesKey: c.encodingAesKey, apiBaseUrl: sandboxUrl },
    });
    expect(put.statusCode).toBe(200);
  });
  afterAll(async () => {
    await t?.services.inboxWorker?.stop();
    await sb?.close();
    await t?.close();
  });

  it('rows queued by one process are applied by the next, including one a dead worker had claimed', async () => {
    for (let i = 0; i < 3; i++) expect((await sb.fireCallback(url, { scenario: 'add-contact', userid: sb.corp.activeStaff()[i].userid })).status).toBe(200);
    // A worker claims a row and dies before applying it.
    const [claimed] = await claimInbox(t.database, t.clock.now(), { batchSize: 1, leaseMs: 180_000 });
    expect(claimed).toBeTruthy();

    // A new process over the same database.
    const s2 = await createServices(testConfig((t.database as typeof t.database & { dataDir: string }).dataDir), {
      database: t.database,
      clock: t.clock,
      log: pino({ level: 'silent' }),
      migrate: false,
    });
    const worker = startInboxWorker(s2.scrm, { pollMs: 60_000 });
    try {
      const first = await worker.runOnce();
      if (engine === 'sqlite') {
        // One process owns a SQLite database: what the previous run had claimed is due at once.
        expect(first.done).toBe(3);
      } else {
        // Other workers may be alive on PostgreSQL: the claimed row waits for its lease to run out.
        expect(first.done).toBe(2);
        expect((await rows()).filter((r: any) => r.status === 'pending').map((r: any) => r.id)).toEqual([claimed!.id]);
        t.clock.advance(180_000);
        expect((await worker.runOnce()).done).toBe(1);
      }
    } finally {
      await worker.stop();
    }
    const all = await rows();
    expect(all.map((r: any) => r.status)).toEqual(['done', 'done', 'done']);
    expect(all.find((r: any) => r.id === claimed!.id).attempts).toBe(2);
    const added = await db()
      .selectFrom('events')
      .select('message_id')
      .where('workspace_id', '=', t.workspaceId)
      .where('event', '=', 'WeCom Contact Added')
      .execute();
    expect(added).toHaveLength(3);
  });

  it('concurrent claims never take the same row', async () => {
    for (let i = 0; i < 6; i++) await sb.fireCallback(url, { scenario: 'tag-create', name: `并发 ${i}` });
    const batches = await Promise.all([0, 1, 2].map(() => claimInbox(t.database, t.clock.now(), { batchSize: 2, leaseMs: 60_000 })));
    const ids = batches.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(6);
    t.clock.advance(60_000);
    expect((await processInboxBatch(inboxDeps(t.services.scrm))).done).toBe(6);
  });

  it('the background worker wakes when a callback is queued', async () => {
    // Polling is an hour away: only the wake-up from the callback route can make it process now.
    const worker = startInboxWorker(t.services.scrm, { pollMs: 3_600_000 });
    t.services.inboxWorker = worker;
    await vi.waitFor(async () => expect(await worker.runOnce()).toMatchObject({ claimed: 0 }));
    const fired = await sb.fireCallback(url, { scenario: 'add-contact', userid: sb.corp.activeStaff()[0].userid });
    expect(fired.status).toBe(200);
    await vi.waitFor(
      async () => {
        const row = await db()
          .selectFrom('wecom_inbox')
          .select('status')
          .where('workspace_id', '=', t.workspaceId)
          .where('payload', 'like', `%${fired.event.ExternalUserID}%`)
          .executeTakeFirst();
        expect(row.status).toBe('done');
      },
      { timeout: 5000, interval: 20 },
    );
    await worker.stop();
    t.services.inboxWorker = undefined;
  });

  it('a deletion applied before its add (the add was retrying) stays deleted', async () => {
    const userid = sb.corp.activeStaff()[1].userid;
    const added = await sb.fireCallback(url, { scenario: 'add-contact', userid });
    const ext = added.event.ExternalUserID as string;
    t.clock.advance(2000);
    await sb.fireCallback(url, { scenario: 'del-follow-user', userid, externalUserid: ext });
    // The add is held back (as if WeCom had been unreachable for it), the deletion goes first.
    await db()
      .updateTable('wecom_inbox')
      .set({ next_attempt_at: t.clock.now() + 30_000 })
      .where('workspace_id', '=', t.workspaceId)
      .where('kind', '=', 'change_external_contact.add_external_contact')
      .where('status', '=', 'pending')
      .execute();
    expect((await processInboxBatch(inboxDeps(t.services.scrm))).done).toBe(1);
    t.clock.advance(30_000);
    expect((await processInboxBatch(inboxDeps(t.services.scrm))).done).toBe(1);
    const follow = await db()
      .selectFrom('scrm_follows')
      .selectAll()
      .where('workspace_id', '=', t.workspaceId)
      .where('external_userid', '=', ext)
      .where('userid', '=', userid)
      .executeTakeFirst();
    expect(follow).toMatchObject({
      deleted_by: 'customer',
      added_at: Number(added.event.CreateTime) * 1000,
      deleted_at: (Number(added.event.CreateTime) + 2) * 1000,
    });
  });
});
