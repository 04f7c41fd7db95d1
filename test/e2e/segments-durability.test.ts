import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/database.js';
import { compileRule } from '../../src/segments/compile.js';
import type { Rule } from '../../src/segments/rule.types.js';
import { ENGINES } from '../support/engines.js';
import { createE2eEnvironment, type E2eEnvironment } from '../support/e2e.js';
import { startServer } from '../support/server-process.js';

const KEY = 'cd'.repeat(32);
const PROFILES = 10_000;

/**
 * kill -9 of the server while its background worker computes a segment; after a restart the
 * worker resumes and the membership equals a full evaluation of the rule, with one entry event
 * per member and the member count right.
 */
for (const engine of ENGINES) {
  describe(`segment membership survives a crash mid-recompute [${engine}]`, () => {
    let dataDir: string;
    let env: Record<string, string>;
    let place: E2eEnvironment | undefined;
    beforeAll(async () => {
      // Small ranges so that the in-place recompute of this rule is still running when the test kills it.
      place = await createE2eEnvironment(engine, { prefix: 'seg', encryptionKey: KEY, env: { SIYU_SEGMENT_RANGE_SIZE: '200' } });
      ({ dataDir, env } = place);
    });
    afterAll(async () => {
      await place?.close();
    });

    it('resumes after kill -9 and ends equal to a full evaluation', async () => {
      const server = await startServer(env);
      const { writeKey, secretKey, workspaceId } = server.keys();
      const write = 'Basic ' + Buffer.from(writeKey + ':').toString('base64');
      const secret = { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' };
      for (let from = 0; from < PROFILES; from += 2500) {
        const batch = Array.from({ length: 2500 }, (_, k) => {
          const i = from + k;
          return { type: 'identify', userId: `u${i}`, traits: { score: i % 100, plan: i % 3 === 0 ? 'vip' : 'free' }, messageId: `m${i}` };
        });
        const res = await fetch(`${server.url}/v1/batch`, {
          method: 'POST',
          headers: { authorization: write, 'content-type': 'application/json' },
          body: JSON.stringify({ batch }),
        });
        expect(res.status).toBe(200);
      }
      const rule: Rule = {
        type: 'and',
        rules: [
          { type: 'trait', key: 'plan', op: 'eq', value: 'vip' },
          { type: 'trait', key: 'score', op: 'gte', value: 40 },
        ],
      };
      const created = await fetch(`${server.url}/v1/segments`, { method: 'POST', headers: secret, body: JSON.stringify({ name: 'VIP 40+', rule }) });
      expect(created.status).toBe(201);
      const seg = (await created.json()) as { id: string };

      // Kill as soon as the background recompute has committed part of its pass.
      const d = openDatabase({ dataDir, databaseUrl: env.DATABASE_URL, poolSize: 2 });
      try {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const row = await d.db.selectFrom('segments').select(['recompute_cursor', 'recompute_version']).where('id', '=', seg.id).executeTakeFirstOrThrow();
          if (row.recompute_cursor !== null) break;
          expect(row.recompute_version, 'the recompute finished before it could be interrupted').not.toBeNull();
          expect(Date.now()).toBeLessThan(deadline);
          await new Promise((r) => setTimeout(r, 2));
        }
        server.child.kill('SIGKILL');
        await server.stop();
        const partial = await d.db.selectFrom('segments').select(['member_count', 'recompute_cursor']).where('id', '=', seg.id).executeTakeFirstOrThrow();
        expect(partial.recompute_cursor).not.toBeNull();

        const again = await startServer(env);
        try {
          const until = Date.now() + 120_000;
          let view: { computing: boolean; memberCount: number };
          for (;;) {
            view = (await (await fetch(`${again.url}/v1/segments/${seg.id}`, { headers: secret })).json()) as typeof view;
            if (!view.computing) break;
            expect(Date.now()).toBeLessThan(until);
            await new Promise((r) => setTimeout(r, 100));
          }
          // The reference: the rule evaluated over every live profile in one query.
          const expected = await sql<{ id: string }>`select p.id from profiles as p where p.workspace_id = ${workspaceId} and p.merged_into is null
            and (${compileRule(rule, { workspaceId, now: Date.now(), timeZone: 'Asia/Shanghai' }, d.dialect)}) order by p.id`.execute(d.db);
          const actual = await d.db
            .selectFrom('segment_members')
            .select('profile_id')
            .where('workspace_id', '=', workspaceId)
            .where('segment_id', '=', seg.id)
            .orderBy('profile_id')
            .execute();
          expect(actual.map((r) => r.profile_id)).toEqual(expected.rows.map((r) => r.id));
          expect(expected.rows.length).toBe(Array.from({ length: PROFILES }, (_, i) => i).filter((i) => i % 3 === 0 && i % 100 >= 40).length);
          expect(view!.memberCount).toBe(expected.rows.length);
          // Every member entered once: no history (nobody left), one entry record each.
          const history = await d.db
            .selectFrom('segment_member_history')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('workspace_id', '=', workspaceId)
            .executeTakeFirstOrThrow();
          expect(Number(history.n)).toBe(0);
          const entered = await d.db
            .selectFrom('segment_members')
            .select((eb) => [eb.fn.countAll().as('n'), eb.fn.count('profile_id').distinct().as('people')])
            .where('workspace_id', '=', workspaceId)
            .where('segment_id', '=', seg.id)
            .executeTakeFirstOrThrow();
          expect(Number(entered.n)).toBe(expected.rows.length);
          expect(Number(entered.people)).toBe(expected.rows.length);
        } finally {
          expect(await again.stop('SIGTERM')).toBe(0);
        }
      } finally {
        await d.close();
      }
    }, 240_000);
  });
}
