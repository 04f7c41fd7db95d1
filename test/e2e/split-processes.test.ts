import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/engines.js';
import { createE2eEnvironment, type E2eEnvironment } from '../support/e2e.js';
import { startProcess, type ServerProcess } from '../support/server-process.js';

/**
 * The scale-out topology (docs/scaling.md) for real: two API processes (`siyu serve --no-workers`)
 * and two worker processes (`siyu worker`) on one PostgreSQL, traffic through ingest → segment →
 * journey → send, and every profile's message delivered to the webhook exactly once.
 */
describe.runIf(ENGINES.includes('postgres'))('2 API + 2 worker processes on PostgreSQL', () => {
  let env: E2eEnvironment;
  const procs: ServerProcess[] = [];
  let receiver: Server;
  const deliveries = new Map<string, number>(); // profile id -> webhook posts
  const keys: string[] = []; // idempotency keys seen
  const N = 120;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const msg = JSON.parse(body) as { profileId: string };
        deliveries.set(msg.profileId, (deliveries.get(msg.profileId) ?? 0) + 1);
        keys.push(String(req.headers['x-siyu-idempotency-key']));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    env = await createE2eEnvironment('postgres', {
      prefix: 'split',
      encryptionKey: 'b'.repeat(64),
      env: { SIYU_OUTBOUND_ALLOW: '127.0.0.1', SIYU_SEGMENT_RECHECK_MINUTES: '0' },
    });
    // The first API process bootstraps the workspace; the others start against the same database.
    procs.push(await startProcess(env.env, ['serve', '--no-workers']));
    procs.push(await startProcess(env.env, ['serve', '--no-workers']));
    procs.push(await startProcess(env.env, ['worker']));
    procs.push(await startProcess(env.env, ['worker']));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    receiver?.closeAllConnections();
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    await env?.close();
  }, 60_000);

  it('runs ingest → segment → journey → webhook with every message sent once', async () => {
    const [api1, api2] = procs;
    const { writeKey, secretKey } = api1!.keys();
    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${api1!.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${secretKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const json = res.status === 204 ? undefined : await res.json();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json as Record<string, any>;
    };
    const port = (receiver.address() as { port: number }).port;
    await admin('PUT', '/v1/channels/webhook', { url: `http://127.0.0.1:${port}/hook`, signingSecret: 'split-secret' });
    const segment = await admin('POST', '/v1/segments', { name: 'Gold', rule: { type: 'trait', key: 'plan', op: 'eq', value: 'gold' } });
    const journey = await admin('POST', '/v1/journeys', {
      name: 'Welcome gold',
      definition: {
        trigger: { type: 'segment_entered', segmentId: segment.id },
        steps: [{ id: 'hook', type: 'webhook', body: { hello: 'gold' } }],
      },
    });
    await admin('POST', `/v1/journeys/${journey.id}/publish`);

    // Identify N profiles, alternating between the two API processes.
    const basic = 'Basic ' + Buffer.from(`${writeKey}:`).toString('base64');
    for (let i = 0; i < N; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, j) => {
          const api = (i + j) % 2 === 0 ? api1! : api2!;
          const res = await fetch(`${api.url}/v1/identify`, {
            method: 'POST',
            headers: { authorization: basic, 'content-type': 'application/json' },
            body: JSON.stringify({ userId: `split_${i + j}`, traits: { plan: 'gold' } }),
          });
          expect(res.status).toBe(200);
        }),
      );
    }

    const deadline = Date.now() + 150_000;
    while ([...deliveries.values()].reduce((a, b) => a + b, 0) < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    // A little longer: a duplicate would arrive after the first deliveries.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(deliveries.size, procs.map((p) => p.output().slice(-1500)).join('\n---\n')).toBe(N);
    expect([...deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    const stats = await admin('GET', `/v1/journeys/${journey.id}/stats`);
    expect(stats).toBeTruthy();
    for (const p of procs) expect(p.child.exitCode).toBeNull();
  }, 240_000);
});
