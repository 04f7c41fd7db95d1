import { fixedClock } from '../src/platform/clock.js';
import { createSandbox, type Sandbox, type SandboxOptions } from './server.js';

/** A WeCom answer as the tests read it. */
export type Answer = { errcode: number; errmsg: string } & Record<string, any>;

/** A sandbox listening on a free port, with a settable clock and a small fetch-based caller; for tests. */
export async function startSandbox(options: SandboxOptions = {}) {
  const clock = fixedClock(Date.UTC(2025, 5, 1, 8, 0, 0));
  const sb: Sandbox = createSandbox({ seed: 42, corpId: 'wwsandboxtest0001', secret: 'test-secret', staff: 6, customers: 60, now: clock.now, ...options });
  const url = await sb.listen();
  let token: string | undefined;
  let tokenExpiresAt = 0;

  async function raw(
    api: string,
    opts: { query?: Record<string, string>; body?: unknown; method?: 'GET' | 'POST'; token?: string | null } = {},
  ): Promise<{ status: number; json: Answer }> {
    const q = new URLSearchParams(opts.query ?? {});
    const t = opts.token === undefined ? await accessToken() : opts.token;
    if (t !== null) q.set('access_token', t);
    const method = opts.method ?? (opts.body === undefined ? 'GET' : 'POST');
    const res = await fetch(`${url}/cgi-bin/${api}?${q}`, {
      method,
      body: method === 'POST' ? (typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body ?? {})) : undefined,
    });
    return { status: res.status, json: (await res.json()) as Answer };
  }

  async function accessToken(): Promise<string> {
    // Like a client: keep the token until WeCom's expires_in runs out.
    if (!token || clock.now() >= tokenExpiresAt) {
      const res = await fetch(`${url}/cgi-bin/gettoken?corpid=${sb.credentials.corpId}&corpsecret=${sb.credentials.secret}`);
      const answer = (await res.json()) as Answer;
      token = answer.access_token as string;
      tokenExpiresAt = clock.now() + answer.expires_in * 1000;
    }
    return token;
  }

  /** Calls an API and expects errcode 0. */
  async function ok(api: string, opts: Parameters<typeof raw>[1] = {}): Promise<Answer> {
    const { json } = await raw(api, opts);
    if (json.errcode !== 0) throw new Error(`${api}: errcode ${json.errcode} ${json.errmsg}`);
    return json;
  }

  /** Calls an API and returns its errcode. */
  async function errcode(api: string, opts: Parameters<typeof raw>[1] = {}): Promise<number> {
    return (await raw(api, opts)).json.errcode;
  }

  return { sb, url, clock, raw, ok, errcode, accessToken, close: () => sb.close() };
}
