import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { mdb } from './deps.js';
import { enqueueMessage } from './outbox.js';
import { json, messagingTestApp, startHttpRecorder } from './test-kit.js';

const N = 80;

describeEngines('dispatcher under kill -9', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let hook: Awaited<ReturnType<typeof startHttpRecorder>>;
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    // A slow receiver widens the window between the provider's answer and the dispatcher's record.
    hook = await startHttpRecorder((_r, res) => setTimeout(() => json(res, 200, {}), 3));
    await k.api('PUT', '/v1/channels/webhook', { url: hook.url, signingSecret: 's' });
  });
  afterAll(async () => {
    await hook?.close();
    await k?.close();
  });

  function spawnChild(leaseMs: number): Promise<ChildProcess> {
    const d = k.t.database;
    const args =
      engine === 'sqlite'
        ? [(d as unknown as { dataDir: string }).dataDir, '-', '--lease', String(leaseMs)]
        : [process.env.SIYU_TEST_POSTGRES_URL!, /\(schema (\S+)\)/.exec(d.description)![1]!, '--lease', String(leaseMs)];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/messaging/testing/dispatcher-child.ts', ...args], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve(child));
      child.on('exit', (code) => reject(new Error(`child exited with ${code}`)));
    });
  }
  const kill = (c: ChildProcess) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : (c.on('exit', () => resolve()), c.kill('SIGKILL'))));

  it('every message reaches the receiver, and every repeat carries the same idempotency key and body', async () => {
    const pids = await Promise.all(Array.from({ length: 10 }, (_, i) => k.profile(`kill-${i}`)));
    const ids: string[] = [];
    await k.t.database.db.transaction().execute(async (trx) => {
      for (let i = 0; i < N; i++) {
        const r = await enqueueMessage(trx, {
          workspaceId: k.t.workspaceId,
          profileId: pids[i % pids.length]!,
          channel: 'webhook',
          purpose: 'service',
          content: { body: { n: i } },
          idempotencyKey: `kill-${i}`,
          source: { kind: 'api' },
          now: k.t.clock.now(),
        });
        ids.push(r.id);
      }
    });
    const status = async () => {
      const rows = await mdb(k.t.database.db).selectFrom('messages').select(['status']).where('workspace_id', '=', k.t.workspaceId).execute();
      return rows.reduce<Record<string, number>>((m, r) => ((m[r.status] = (m[r.status] ?? 0) + 1), m), {});
    };
    // Kill the worker at random moments while it sends.
    let kills = 0;
    for (let round = 0; round < 2; round++) {
      const child = await spawnChild(800);
      await new Promise((r) => setTimeout(r, 60 + Math.random() * 200));
      await kill(child);
      kills++;
    }
    // A last worker finishes the work, recovering leased rows of the killed ones.
    const last = await spawnChild(800);
    const deadline = Date.now() + 30_000;
    while ((await status()).sent !== N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await kill(last);

    expect(await status()).toEqual({ sent: N });
    const byKey = new Map<string, string[]>();
    for (const r of hook.requests)
      byKey.set(r.headers['x-siyu-idempotency-key'] as string, [
        ...(byKey.get(r.headers['x-siyu-idempotency-key'] as string) ?? []),
        JSON.parse(r.body).body.n,
      ]);
    expect([...byKey.keys()].sort()).toEqual([...ids].sort());
    for (const bodies of byKey.values()) expect(new Set(bodies).size).toBe(1);
    // Repeats only come from sends a killed worker could not record (≤ one batch per kill).
    expect(hook.requests.length - N).toBeLessThanOrEqual(kills * 5);
    const sentEvents = await k.t.database.db
      .selectFrom('events')
      .select('message_id')
      .where('workspace_id', '=', k.t.workspaceId)
      .where('event', '=', 'Message Sent')
      .execute();
    expect(sentEvents).toHaveLength(N);
  });
});
