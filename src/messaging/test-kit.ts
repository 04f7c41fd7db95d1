import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basic, createTestApp, type TestApp } from '../../test/support/engines.js';
import type { Engine } from '../platform/db/database.js';
import { createChannels } from './channels/index.js';
import { createDispatcher, type DispatcherOptions } from './dispatcher.js';
import { messagingDeps } from '../server/app.js';
import type { MessagingDeps } from './deps.js';

/** A request a local HTTP server received, for tests that check what a channel put on the wire. */
export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP server answering with `handler` and recording every request; for tests. */
export async function startHttpRecorder(handler: (r: Recorded, res: ServerResponse) => void) {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const r = { method: req.method ?? '', path: u.pathname, query: u.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Answers JSON. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Templates that double a string 25 times (8 characters -> 268 million), the way issue #14 took the process to 1.6 GB. */
export const HOSTILE_TEMPLATES = {
  append: '{% assign s = "abcdefgh" %}{% for i in (1..25) %}{% assign s = s | append: s %}{% endfor %}{{ s }}',
  capture: '{% capture s %}abcdefgh{% endcapture %}{% for i in (1..25) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s }}',
};

/** Tuesday 2026-11-03 12:00 in Shanghai: outside the default quiet hours. */
export const NOON_SHANGHAI = Date.parse('2026-11-03T04:00:00Z');

/** A test app with a dispatcher over the same services, and helpers to make profiles and read rows. */
export async function messagingTestApp(engine: Engine, opts: { deps?: Partial<MessagingDeps>; dispatcher?: DispatcherOptions; clockStart?: number } = {}) {
  const t: TestApp = await createTestApp(engine, { clockStart: opts.clockStart ?? NOON_SHANGHAI });
  const deps = { ...messagingDeps(t.services), ...opts.deps };
  const dispatcher = createDispatcher(deps, createChannels(), { leaseMs: 60_000, ...opts.dispatcher });
  const auth = { authorization: `Bearer ${t.secretKey}` };

  /** Creates a profile through the tracking API (identify) and returns its id. */
  async function profile(userId: string, traits: Record<string, unknown> = {}, externalIds: { type: string; id: string }[] = []): Promise<string> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: basic(t.writeKey) },
      payload: { userId, traits, context: { externalIds } },
    });
    if (res.statusCode !== 200) throw new Error(`identify: ${res.body}`);
    const p = await t.app.inject({ method: 'GET', url: `/v1/profiles/user_id:${userId}`, headers: auth });
    return p.json().id as string;
  }

  /** Calls the API with the secret key. */
  async function api(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
    const res = await t.app.inject({ method, url, headers: auth, ...(payload === undefined ? {} : { payload: payload as object }) });
    return {
      status: res.statusCode,
      body: res.body ? (res.headers['content-type']?.toString().includes('json') ? res.json() : res.body) : undefined,
      headers: res.headers,
    };
  }

  /** The events of a profile's timeline with this name. */
  async function events(profileId: string, name: string) {
    const rows = await t.database.db
      .selectFrom('events')
      .select(['message_id', 'payload', 'timestamp'])
      .where('workspace_id', '=', t.workspaceId)
      .where('profile_id', '=', profileId)
      .where('event', '=', name)
      .execute();
    return rows.map((r) => ({
      id: r.message_id,
      at: r.timestamp,
      payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as { properties: Record<string, any> },
    }));
  }

  return { t, deps, dispatcher, api, profile, events, close: () => t.close() };
}
