import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../server/app.js';
import type { Database } from '../platform/db/database.js';
import { createWorkspace } from '../platform/workspaces.js';
import { ENGINES, openTestDatabase, testConfig } from '../../test/support/engines.js';
import { createRuleBook } from './identifiers.js';
import { normaliseMessage } from './tracking.js';

// Several writer processes on one database are a PostgreSQL deployment; SQLite has one writer per file.
describe.runIf(ENGINES.includes('postgres'))('two writers on one PostgreSQL database', () => {
  let database: Database & { dataDir: string };
  let a: Services;
  let b: Services;
  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    const log = pino({ level: 'silent' });
    a = await createServices(testConfig(database.dataDir), { database, log, migrate: false });
    b = await createServices(testConfig(database.dataDir), { database, log, migrate: false });
  });
  afterAll(async () => {
    await a?.writer.drain();
    await b?.writer.drain();
    await database?.close();
  });

  it('resolve overlapping identities concurrently without duplicates, lost events or broken merges', async () => {
    const ws = (await createWorkspace(database.db, { name: 'concurrency' })).workspace.id;
    const rules = createRuleBook();
    const ctx = { receivedAt: Date.now(), rules, defaultRegion: 'CN', currency: 'CNY' };
    let n = 0;
    const make = (i: number) => {
      const u = i % 20;
      const m = {
        type: 'track',
        event: 'Order Completed',
        messageId: `cc-${n++}`,
        anonymousId: `anon-${i % 37}-${u}`,
        ...(Math.floor(i / 20) % 2 === 0 ? { userId: `user-${u}` } : {}),
        properties: { order_id: `order-${i}`, total: 1 },
      };
      return normaliseMessage(m, 'x', ctx);
    };
    const submissions: Promise<unknown>[] = [];
    for (let s = 0; s < 40; s++) {
      const events = Array.from({ length: 25 }, (_, k) => make(s * 25 + k));
      submissions.push((s % 2 ? a : b).writer.submit(ws, events));
      // Every submission re-sent through the other writer: exactly once across processes.
      submissions.push((s % 2 ? b : a).writer.submit(ws, events));
    }
    await Promise.all(submissions);

    const db = database.db;
    const events = await db.selectFrom('events').select(['message_id', 'profile_id']).where('workspace_id', '=', ws).execute();
    expect(events).toHaveLength(1000);
    const profiles = await db.selectFrom('profiles').selectAll().where('workspace_id', '=', ws).execute();
    const live = new Map(profiles.filter((p) => p.merged_into === null).map((p) => [p.id, p]));
    // Every event and identifier points at a live profile; redirects are one hop to a live profile.
    expect(events.every((e) => live.has(e.profile_id))).toBe(true);
    for (const p of profiles) if (p.merged_into) expect(live.has(p.merged_into)).toBe(true);
    const ids = await db.selectFrom('identities').select(['id_type', 'id_key', 'profile_id']).where('workspace_id', '=', ws).execute();
    expect(ids.every((i) => live.has(i.profile_id))).toBe(true);
    // Twenty people with user ids: twenty profiles holding one user id each.
    const userIds = ids.filter((i) => i.id_type === 'user_id');
    expect(userIds).toHaveLength(20);
    expect(new Set(userIds.map((i) => i.profile_id)).size).toBe(20);
    // Each order counted exactly once: 1000 orders of 1.00.
    const total = [...live.values()].reduce((s, p) => s + p.total_spent_fen, 0);
    const count = [...live.values()].reduce((s, p) => s + p.order_count, 0);
    expect(count).toBe(1000);
    expect(total).toBe(100_000);
  });
});
