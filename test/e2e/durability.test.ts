import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/database.js';
import { ENGINES } from '../support/engines.js';
import { createE2eEnvironment, type E2eEnvironment } from '../support/e2e.js';
import { startServer } from '../support/server-process.js';

const KEY = 'ab'.repeat(32);

for (const engine of ENGINES) {
  describe(`durability of acknowledged events [${engine}]`, () => {
    let dataDir: string;
    let env: Record<string, string>;
    let place: E2eEnvironment | undefined;
    beforeAll(async () => {
      place = await createE2eEnvironment(engine, { prefix: 'ingest', encryptionKey: KEY });
      ({ dataDir, env } = place);
    });
    afterAll(async () => {
      await place?.close();
    });

    const storedIds = async (): Promise<Set<string>> => {
      const d = openDatabase({ dataDir, databaseUrl: env.DATABASE_URL });
      try {
        const rows = await d.db.selectFrom('events').select('message_id').execute();
        return new Set(rows.map((r) => r.message_id));
      } finally {
        await d.close();
      }
    };

    it('every event answered with 200 survives kill -9 of the server', async () => {
      const server = await startServer(env);
      // The first start on an empty database names the keys file and the next setup step.
      expect(server.output()).toContain('first run: created workspace');
      expect(server.output()).toContain('next step: set the public address of this server');
      const { writeKey } = server.keys();
      const auth = 'Basic ' + Buffer.from(writeKey + ':').toString('base64');
      const acked: string[] = [];
      let stop = false;
      let n = 0;
      const client = async (c: number) => {
        while (!stop) {
          const batch = Array.from({ length: 50 }, () => {
            const id = `c${c}-${n++}`;
            return { type: 'track', event: 'Tick', anonymousId: `anon-${n % 300}`, messageId: id };
          });
          try {
            const res = await fetch(`${server.url}/v1/batch`, {
              method: 'POST',
              headers: { authorization: auth, 'content-type': 'application/json' },
              body: JSON.stringify({ batch }),
            });
            if (res.status === 200) acked.push(...batch.map((b) => b.messageId));
          } catch {
            return; // the server is gone
          }
        }
      };
      const clients = Array.from({ length: 8 }, (_, c) => client(c));
      // Kill while requests are in flight, as soon as a good number were acknowledged.
      while (acked.length < 2000) await new Promise((r) => setTimeout(r, 5));
      server.child.kill('SIGKILL');
      stop = true;
      await Promise.all(clients);
      await server.stop();
      expect(acked.length).toBeGreaterThanOrEqual(2000);

      const stored = await storedIds();
      const lost = acked.filter((id) => !stored.has(id));
      expect(lost).toEqual([]);

      // And the server starts again on the same data and accepts more.
      const again = await startServer(env);
      expect(again.output()).not.toContain('first run');
      try {
        const res = await fetch(`${again.url}/v1/track`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ userId: 'after', event: 'Restarted', messageId: 'after-restart' }),
        });
        expect(res.status).toBe(200);
      } finally {
        expect(await again.stop('SIGTERM')).toBe(0);
      }
      expect((await storedIds()).has('after-restart')).toBe(true);
    });

    it('SIGTERM finishes in-flight requests before exiting', async () => {
      const server = await startServer(env);
      const { writeKey } = server.keys();
      const auth = 'Basic ' + Buffer.from(writeKey + ':').toString('base64');
      const batch = Array.from({ length: 2000 }, (_, i) => ({ type: 'track', event: 'Drain', userId: `drain-${i % 50}`, messageId: `drain-${i}` }));
      // "In flight" for sure: the request goes with Expect: 100-continue, and the signal is sent
      // only once the server has read its headers and asked for the body (a request merely sent
      // after a delay may not have reached the server yet, and then SIGTERM rightly refuses it).
      const body = JSON.stringify({ batch });
      const url = new URL(`${server.url}/v1/batch`);
      let code: Promise<number | null> | undefined;
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            headers: { authorization: auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          },
        );
        req.on('error', reject);
        req.on('continue', () => {
          code = server.stop('SIGTERM');
          // The body follows the signal, so the server drains a request it has not finished reading.
          setTimeout(() => req.end(body), 50);
        });
        req.flushHeaders();
      });
      expect(status).toBe(200);
      expect(code).toBeDefined();
      expect(await code).toBe(0);
      const stored = await storedIds();
      expect(batch.every((b) => stored.has(b.messageId))).toBe(true);
    });
  });
}
