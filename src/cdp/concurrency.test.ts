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

  it('applies refunds sent by another writer at the same time as their orders, each once, none left held', async () => {
    const ws = (await createWorkspace(database.db, { name: 'order-races' })).workspace.id;
    const ctx = { receivedAt: Date.now(), rules: createRuleBook(), defaultRegion: 'CN', currency: 'CNY' };
    const order = (i: number) =>
      normaliseMessage(
        { type: 'track', event: 'Order Completed', messageId: `oc-${i}`, userId: `buyer-${i % 10}`, properties: { order_id: `o-${i}`, total: 1 } },
        'x',
        ctx,
      );
    // The refund arrives on another identity than the order's, so the two need not lock one profile.
    const refund = (i: number) =>
      normaliseMessage(
        {
          type: 'track',
          event: 'Order Refunded',
          messageId: `or-${i}`,
          anonymousId: `device-${i % 7}`,
          properties: { order_id: `o-${i}`, total: 0.4, refund_id: `r-${i}` },
        },
        'x',
        ctx,
      );
    const submissions: Promise<unknown>[] = [];
    for (let s = 0; s < 20; s++) {
      const ids = Array.from({ length: 10 }, (_, k) => s * 10 + k);
      submissions.push((s % 2 ? a : b).writer.submit(ws, ids.map(order)));
      submissions.push((s % 2 ? b : a).writer.submit(ws, ids.map(refund)));
      // Every refund once more through the other writer, under its own message id: still one refund.
      submissions.push(
        (s % 2 ? a : b).writer.submit(
          ws,
          ids.map((i) => ({ ...refund(i), messageId: `or-again-${i}` })),
        ),
      );
    }
    await Promise.all(submissions);

    const db = database.db;
    const orders = await db.selectFrom('orders').select(['status', 'refunded_fen']).where('workspace_id', '=', ws).execute();
    expect(orders).toHaveLength(200);
    expect(orders.every((o) => o.status === 'partially_refunded' && Number(o.refunded_fen) === 40)).toBe(true);
    const outcomes = await db.selectFrom('order_changes').select('outcome').where('workspace_id', '=', ws).execute();
    expect(outcomes).toHaveLength(200);
    expect(outcomes.every((c) => c.outcome === 'applied')).toBe(true);
    const profiles = await db.selectFrom('profiles').selectAll().where('workspace_id', '=', ws).where('merged_into', 'is', null).execute();
    const sum = (f: (p: (typeof profiles)[number]) => number) => profiles.reduce((s, p) => s + Number(f(p)), 0);
    expect([sum((p) => p.order_count), sum((p) => p.total_spent_fen), sum((p) => p.gross_spent_fen), sum((p) => p.refunded_fen)]).toEqual([
      200,
      200 * 60,
      200 * 100,
      200 * 40,
    ]);
  });
});
