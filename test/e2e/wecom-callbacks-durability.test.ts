import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/database.js';
import { ENGINES } from '../support/engines.js';
import { createE2eEnvironment, type E2eEnvironment } from '../support/e2e.js';
import { startServer } from '../support/server-process.js';
import { createSandbox, type Sandbox } from '../../wecom-sandbox/index.js';

const KEY = 'cd'.repeat(32);

/**
 * The real server (`siyu serve`) killed with SIGKILL while the sandbox fires callbacks at it and
 * its inbox worker applies them: every callback answered "success" is in the inbox after the
 * crash, and the restarted server applies every row exactly once.
 */
for (const engine of ENGINES) {
  describe(`WeCom callbacks survive kill -9 [${engine}]`, () => {
    let dataDir: string;
    let env: Record<string, string>;
    let place: E2eEnvironment | undefined;
    let sb: Sandbox;
    beforeAll(async () => {
      place = await createE2eEnvironment(engine, { prefix: 'wecom', encryptionKey: KEY, env: { SIYU_SEGMENT_WORKER: 'false', SIYU_LOG_LEVEL: 'warn' } });
      ({ dataDir, env } = place);
      sb = createSandbox({ seed: 21, staff: 6, customers: 50 });
      await sb.listen();
    });
    afterAll(async () => {
      await sb?.close();
      await place?.close();
    });

    const withDb = async <T>(fn: (db: any) => Promise<T>): Promise<T> => {
      const d = openDatabase({ dataDir, databaseUrl: env.DATABASE_URL });
      try {
        return await fn(d.db);
      } finally {
        await d.close();
      }
    };

    it('every callback answered "success" is applied once after a SIGKILL and a restart', async () => {
      const server = await startServer(env);
      const { workspaceId, secretKey } = server.keys();
      const c = sb.credentials;
      const put = await fetch(`${server.url}/v1/wecom/connection`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ corpId: c.corpId, secret: c.secret, callbackToken: c.callbackToken, encodingAesKey: c.encodingAesKey, apiBaseUrl: sb.url }),
      });
      expect(put.status).toBe(200);

      const target = `${server.url}/wecom/callback/${workspaceId}`;
      const acked: string[] = [];
      let stop = false;
      const staff = sb.corp.activeStaff();
      const client = async (k: number) => {
        for (let n = 0; !stop; n++) {
          try {
            const fired = await sb.fireCallback(target, { scenario: 'add-contact', userid: staff[(k + n) % staff.length]!.userid });
            if (fired.status === 200 && fired.response === 'success') acked.push(fired.event.ExternalUserID as string);
          } catch {
            return; // the server is gone
          }
        }
      };
      const clients = Array.from({ length: 4 }, (_, k) => client(k));
      while (acked.length < 60) await new Promise((r) => setTimeout(r, 5));
      server.child.kill('SIGKILL');
      stop = true;
      await Promise.all(clients);
      await server.stop();

      const queued: any[] = await withDb((db) => db.selectFrom('wecom_inbox').select(['payload', 'status']).where('workspace_id', '=', workspaceId).execute());
      const lost = acked.filter((ext) => !queued.some((r: any) => r.payload.includes(ext)));
      expect(lost).toEqual([]);

      if (engine === 'postgres') {
        // A row the killed worker had claimed waits for its lease (3 minutes) in case that worker
        // were still alive; let the lease run out now instead of waiting.
        await withDb((db) => db.updateTable('wecom_inbox').set({ next_attempt_at: 0 }).where('status', '=', 'pending').execute());
      }
      const again = await startServer(env);
      try {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const pending: any[] = await withDb((db) => db.selectFrom('wecom_inbox').select('id').where('status', '!=', 'done').execute());
          if (pending.length === 0) break;
          if (Date.now() > deadline) throw new Error(`${pending.length} inbox rows not done after restart:\n${again.output()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        expect(await again.stop('SIGTERM')).toBe(0);
      }
      await withDb(async (db) => {
        const rows = await db.selectFrom('wecom_inbox').select('payload').where('workspace_id', '=', workspaceId).execute();
        const added = await db
          .selectFrom('events')
          .select('payload')
          .where('workspace_id', '=', workspaceId)
          .where('event', '=', 'WeCom Contact Added')
          .execute();
        expect(added.length).toBe(rows.length);
        const follows = await db.selectFrom('scrm_follows').select('external_userid').where('workspace_id', '=', workspaceId).execute();
        const followed = new Set(follows.map((f: any) => f.external_userid));
        expect(acked.filter((ext) => !followed.has(ext))).toEqual([]);
      });
    });
  });
}
