import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgInstance, postgresBinaries, type PgInstance } from '../support/pg-instance.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

/**
 * A real `siyu serve` on a PostgreSQL server of the test's own, which the test stops, crashes,
 * restarts and freezes under tracking traffic. The process must stay up, answer 503 with a clear
 * code in bounded time while the database is away, reconnect by itself, and every event it
 * acknowledged must be stored exactly once at the end (clients retry what got 503, as Segment's do).
 */
describe.runIf(postgresBinaries() !== undefined)('PostgreSQL outages (a server of the test own)', () => {
  let instance: PgInstance;
  let server: ServerProcess;
  let dataDir: string;
  let writeKey: string;
  let secretKey: string;
  const acknowledged = new Set<string>();
  let sent = 0;

  beforeAll(async () => {
    instance = await startPgInstance();
    dataDir = mkdtempSync(join(tmpdir(), 'siyu-outage-'));
    server = await startServer({
      DATABASE_URL: instance.url,
      SIYU_DATA_DIR: dataDir,
      SIYU_ENCRYPTION_KEY: 'a'.repeat(64),
      SIYU_DB_CONNECT_TIMEOUT_MS: '1000',
      SIYU_DB_API_TIMEOUT_MS: '2000',
    });
    ({ writeKey, secretKey } = server.keys());
  }, 90_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    instance?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const basic = () => 'Basic ' + Buffer.from(`${writeKey}:`).toString('base64');

  /** Sends one event; returns the status and how long the answer took. */
  async function track(messageId: string): Promise<{ status: number; ms: number; body: string; retryAfter: string | null }> {
    const started = Date.now();
    const res = await fetch(`${server.url}/v1/track`, {
      method: 'POST',
      headers: { authorization: basic(), 'content-type': 'application/json' },
      body: JSON.stringify({ messageId, userId: `u_${messageId}`, event: 'Outage Test', timestamp: new Date().toISOString() }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.text();
    if (res.status === 200) acknowledged.add(messageId);
    return { status: res.status, ms: Date.now() - started, body, retryAfter: res.headers.get('retry-after') };
  }

  /** A burst of new events; returns the statuses seen. */
  async function burst(n: number): Promise<number[]> {
    const out = await Promise.all(Array.from({ length: n }, () => track(`m_${++sent}`)));
    return out.map((r) => r.status);
  }

  async function get(path: string, auth = false): Promise<{ status: number; ms: number; code?: string }> {
    const started = Date.now();
    const res = await fetch(`${server.url}${path}`, { headers: auth ? { authorization: `Bearer ${secretKey}` } : {}, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
    } catch {
      /* not JSON */
    }
    return { status: res.status, ms: Date.now() - started, code };
  }

  async function until(what: string, fn: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await fn().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms\n${server.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Everything the database is down for: /health stays 200, /ready, tracking and management answer 503 with a clear code, quickly. */
  async function expectUnavailable(bound: number): Promise<void> {
    expect((await get('/health')).status).toBe(200);
    const ready = await get('/ready');
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(bound);
    const t = await track(`m_${++sent}`);
    expect(t.status, t.body).toBe(503);
    expect(JSON.parse(t.body).error.code).toBe('DATABASE_UNAVAILABLE');
    expect(t.retryAfter).toBe('5');
    expect(t.ms).toBeLessThan(bound);
    const profiles = await get('/v1/profiles?limit=5', true);
    expect(profiles.status).toBe(503);
    expect(profiles.code).toBe('DATABASE_UNAVAILABLE');
    expect(profiles.ms).toBeLessThan(bound);
  }

  it('stays up through a fast stop, a crash and a freeze, answers 503 in bounded time, reconnects, and stores every acknowledged event once', async () => {
    try {
      await scenario();
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- server output (last lines) ---\n${server.output().split('\n').slice(-30).join('\n')}`, { cause: err });
    }
  }, 240_000);

  async function scenario(): Promise<void> {
    expect(new Set(await burst(20))).toEqual(new Set([200]));

    // 1. pg_ctl stop -m fast: every connection gets 57P01, then nothing listens.
    instance.stop('fast');
    await expectUnavailable(5_000);
    instance.start();
    await until('readiness after the restart', async () => (await get('/ready')).status === 200);
    expect(new Set(await burst(20))).toEqual(new Set([200]));

    // 2. A crash (immediate stop, no checkpoint) in the middle of traffic.
    const during = burst(40);
    await new Promise((r) => setTimeout(r, 30));
    instance.stop('immediate');
    const statuses = await during;
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    await expectUnavailable(5_000);
    instance.start();
    await until('readiness after the crash', async () => (await get('/ready')).status === 200);

    // 3. Frozen (SIGSTOP): connections stay open and nothing answers; limits bound every answer.
    instance.freeze();
    try {
      await expectUnavailable(8_000);
    } finally {
      instance.thaw();
    }
    await until('readiness after the freeze', async () => (await get('/ready')).status === 200);

    // Clients retry what was not acknowledged (Segment clients retry 5xx); the ids are the same.
    for (let i = 1; i <= sent; i++) {
      const id = `m_${i}`;
      if (acknowledged.has(id)) continue;
      await until(`event ${id} accepted on retry`, async () => (await track(id)).status === 200);
    }
    expect(server.child.exitCode).toBeNull();

    const c = new pg.Client({ connectionString: instance.url });
    await c.connect();
    try {
      const rows = (
        await c.query<{ message_id: string; n: string }>(`select message_id, count(*) as n from events where event = 'Outage Test' group by message_id`)
      ).rows;
      const stored = new Map(rows.map((r) => [r.message_id, Number(r.n)]));
      for (const id of acknowledged) expect(stored.get(id), id).toBe(1);
      expect(stored.size).toBe(sent);
    } finally {
      await c.end();
    }
  }
});
