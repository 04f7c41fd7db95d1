import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, describeEngines } from '../../test/support/engines.js';
import { createChannels } from './channels/index.js';
import { mdb } from './deps.js';
import { createDispatcher } from './dispatcher.js';
import { enqueueMessage } from './outbox.js';
import { json, messagingTestApp, NOON_SHANGHAI, startHttpRecorder } from './test-kit.js';
import { plantFailure } from './testing/plant-failure.js';

// Issue #14 §2: one bad row (or one workspace whose rows cannot be processed) must neither stall the
// outbox for everyone nor be retried every pass; it is backed off with its reason on the row.
describeEngines('outbox: a poisoned row or workspace does not hold back the others', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let hook: Awaited<ReturnType<typeof startHttpRecorder>>;
  let other: { workspaceId: string; writeKey: string; secretKey: string };
  let pidA: string;
  let pidB: string;
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    hook = await startHttpRecorder((_r, res) => json(res, 200, { ok: true }));
    await k.api('PUT', '/v1/channels/webhook', { url: `${hook.url}/a`, signingSecret: 'sa' });
    pidA = await k.profile('poison-a');
    other = await k.t.newWorkspace('B');
    const asB = (method: 'PUT' | 'POST' | 'GET', url: string, payload?: object) =>
      k.t.app.inject({ method, url, payload, headers: { authorization: url === '/v1/identify' ? basic(other.writeKey) : `Bearer ${other.secretKey}` } });
    expect((await asB('PUT', '/v1/channels/webhook', { url: `${hook.url}/b`, signingSecret: 'sb' })).statusCode).toBe(200);
    expect((await asB('POST', '/v1/identify', { userId: 'poison-b' })).statusCode).toBe(200);
    pidB = (await asB('GET', '/v1/profiles/user_id:poison-b')).json().id;
  });
  afterAll(async () => {
    await hook?.close();
    await k?.close();
  });

  const db = () => mdb(k.t.database.db);
  const now = () => k.t.clock.now();
  /** Queues a webhook message; `age` ms in the past makes it due before younger ones. */
  const enqueue = async (ws: string, profileId: string, key: string, age = 0) =>
    (
      await k.t.database.db.transaction().execute((trx) =>
        enqueueMessage(trx, {
          workspaceId: ws,
          profileId,
          channel: 'webhook',
          purpose: 'service',
          content: { body: { key } },
          idempotencyKey: key,
          source: { kind: 'api' },
          now: now() - age,
        }),
      )
    ).id;
  const row = (id: string) => db().selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const delivered = () => hook.requests.map((r) => JSON.parse(r.body).body.key as string);
  /** Makes workspace A's webhook configuration unreadable (its secrets no longer decrypt), or puts its secrets back. */
  const configOfA = () => db().updateTable('channel_configs').where('workspace_id', '=', k.t.workspaceId).where('channel', '=', 'webhook');
  let goodSecrets: string | null = null;
  const corruptConfigOfA = async (corrupt: boolean) => {
    goodSecrets ??= (await db().selectFrom('channel_configs').select('secrets_enc').where('workspace_id', '=', k.t.workspaceId).executeTakeFirstOrThrow())
      .secrets_enc;
    await configOfA()
      .set({ secrets_enc: corrupt ? 'garbage' : goodSecrets })
      .execute();
  };

  it("a workspace whose rows cannot be processed: its messages back off with the reason, another workspace's go in the same pass", async () => {
    await corruptConfigOfA(true);
    const a = [await enqueue(k.t.workspaceId, pidA, 'cfg-a-1', 1000), await enqueue(k.t.workspaceId, pidA, 'cfg-a-2', 1000)];
    await enqueue(other.workspaceId, pidB, 'cfg-b-1');
    await enqueue(other.workspaceId, pidB, 'cfg-b-2');
    expect(await k.dispatcher.runOnce()).toMatchObject({ claimed: 4, sent: 2, errors: 2 });
    expect(delivered()).toEqual(expect.arrayContaining(['cfg-b-1', 'cfg-b-2']));
    for (const id of a)
      expect(await row(id)).toMatchObject({
        status: 'queued',
        attempts: 1,
        reason: 'error: not a Siyu PII token',
        error_code: 'INTERNAL',
        next_attempt_at: now() + 30_000,
      });
    const view = await k.api('GET', `/v1/messages/${a[0]}`);
    expect(view.body).toMatchObject({ status: 'queued', reason: 'error: not a Siyu PII token', errorCode: 'INTERNAL', attempts: 1 });
    expect(view.body.nextAttemptAt).toBe(new Date(now() + 30_000).toISOString());

    // Not every pass: the next one finds nothing due; then 30 s, 1 min, 2 min, 4 min apart, and failed with the reason at maxAttempts (5).
    expect(await k.dispatcher.runOnce()).toMatchObject({ claimed: 0 });
    for (const [attempts, wait] of [
      [2, 30_000],
      [3, 60_000],
      [4, 120_000],
    ] as const) {
      k.t.clock.advance(wait - 1);
      expect(await k.dispatcher.runOnce()).toMatchObject({ claimed: 0 });
      k.t.clock.advance(1);
      expect(await k.dispatcher.runOnce()).toMatchObject({ claimed: 2, errors: 2 });
      expect(await row(a[0]!)).toMatchObject({ status: 'queued', attempts, next_attempt_at: now() + wait * 2 });
    }
    k.t.clock.advance(240_000);
    expect(await k.dispatcher.runOnce()).toMatchObject({ claimed: 2, errors: 2, failed: 2 });
    for (const id of a) expect(await row(id)).toMatchObject({ status: 'failed', attempts: 5, reason: 'error: not a Siyu PII token', error_code: 'INTERNAL' });
    expect(delivered().filter((key) => key.startsWith('cfg-a'))).toEqual([]);

    // Repaired: the workspace's new messages go again.
    await corruptConfigOfA(false);
    await enqueue(k.t.workspaceId, pidA, 'cfg-a-3');
    expect(await k.dispatcher.runOnce()).toMatchObject({ sent: 1, errors: 0 });
    k.t.clock.set(NOON_SHANGHAI);
  });

  it('a backlog of failing rows longer than a batch does not hold back another workspace', async () => {
    await corruptConfigOfA(true);
    for (let i = 0; i < 6; i++) await enqueue(k.t.workspaceId, pidA, `backlog-a-${i}`, 1000);
    await enqueue(other.workspaceId, pidB, 'backlog-b-1');
    await enqueue(other.workspaceId, pidB, 'backlog-b-2');
    const small = createDispatcher(k.deps, createChannels(), { leaseMs: 60_000, batchSize: 4 });
    // A full batch makes the loop run the next pass at once: two passes, no waiting.
    expect(await small.runOnce()).toMatchObject({ claimed: 4, errors: 4, sent: 0 });
    expect(await small.runOnce()).toMatchObject({ claimed: 4, errors: 2, sent: 2 });
    expect(delivered()).toEqual(expect.arrayContaining(['backlog-b-1', 'backlog-b-2']));
    await corruptConfigOfA(false);
    k.t.clock.advance(30_000);
    expect(await small.runOnce()).toMatchObject({ claimed: 4, sent: 4 });
    expect(await small.runOnce()).toMatchObject({ claimed: 2, sent: 2 });
    k.t.clock.set(NOON_SHANGHAI);
  });

  it('a database error on one row rolls back its batch; that row backs off and every other row of the batch goes in the same pass', async () => {
    const remove = await plantFailure(k.t.database, 'messages', 'update', `new.idempotency_key = 'poison-db' and new.status = 'sending'`);
    let poison = '';
    try {
      poison = await enqueue(k.t.workspaceId, pidA, 'poison-db', 1000);
      await enqueue(k.t.workspaceId, pidA, 'db-a-ok');
      await enqueue(other.workspaceId, pidB, 'db-b-ok');
      expect(await k.dispatcher.runOnce()).toMatchObject({ claimed: 3, sent: 2, errors: 1 });
      expect(delivered()).toEqual(expect.arrayContaining(['db-a-ok', 'db-b-ok']));
      expect(delivered()).not.toContain('poison-db');
      const r = await row(poison);
      expect(r).toMatchObject({ status: 'queued', attempts: 1, error_code: 'INTERNAL', next_attempt_at: now() + 30_000 });
      expect(r.reason).toMatch(/^error: .*planted failure/);
    } finally {
      await remove();
    }
    // Repaired: it goes when its back-off ends.
    k.t.clock.advance(30_000);
    expect(await k.dispatcher.runOnce()).toMatchObject({ claimed: 1, sent: 1 });
    expect(await row(poison)).toMatchObject({ status: 'sent', attempts: 2, reason: null, error_code: null });
    k.t.clock.set(NOON_SHANGHAI);
  });

  it('an answer that cannot be recorded leaves its row to lease recovery, and the jobs behind it are still sent and recorded', async () => {
    const remove = await plantFailure(k.t.database, 'messages', 'update', `new.idempotency_key = 'poison-record' and new.status = 'sent'`);
    const oneLane = createDispatcher(k.deps, createChannels(), { leaseMs: 60_000, concurrency: 1 });
    let poison = '';
    try {
      poison = await enqueue(k.t.workspaceId, pidA, 'poison-record', 1000);
      const ok = await enqueue(k.t.workspaceId, pidA, 'record-ok');
      expect(await oneLane.runOnce()).toMatchObject({ claimed: 2, sent: 1, errors: 1 });
      expect(await row(ok)).toMatchObject({ status: 'sent' });
      expect(await row(poison)).toMatchObject({ status: 'sending', attempts: 1 });
    } finally {
      await remove();
    }
    // Recovered when the lease ends: the webhook is resent with the same idempotency key (receivers dedupe).
    k.t.clock.advance(60_000);
    expect(await oneLane.runOnce()).toMatchObject({ claimed: 1, sent: 1 });
    expect(await row(poison)).toMatchObject({ status: 'sent', attempts: 2 });
    k.t.clock.set(NOON_SHANGHAI);
  });

  it('a sending row whose stored rendering is corrupt backs off its lease, then ends unknown; it is never sent', async () => {
    const id = await enqueue(k.t.workspaceId, pidA, 'poison-rendered');
    const corrupt = (attempts: number) =>
      db()
        .updateTable('messages')
        .set({
          status: 'sending',
          attempts,
          lease_until: now() - 1,
          rendered: JSON.stringify({ id, channel: 'webhook', purpose: 'service', content: { body: {} }, addressEnc: 'garbage' }),
        })
        .where('id', '=', id)
        .execute();
    await corrupt(1);
    await enqueue(other.workspaceId, pidB, 'rendered-b-ok');
    expect(await k.dispatcher.runOnce()).toMatchObject({ claimed: 2, sent: 1, errors: 1 });
    expect(await row(id)).toMatchObject({ status: 'sending', attempts: 2, reason: 'error: not a Siyu PII token', lease_until: now() + 60_000 });
    expect(await k.dispatcher.runOnce()).toMatchObject({ claimed: 0 });
    await corrupt(4);
    expect(await k.dispatcher.runOnce()).toMatchObject({ claimed: 1, errors: 1, unknown: 1 });
    expect(await row(id)).toMatchObject({ status: 'unknown', attempts: 5, reason: 'error: not a Siyu PII token', lease_until: null });
    expect(delivered()).not.toContain('poison-rendered');
  });
});
