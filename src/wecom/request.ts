/**
 * The request core of the WeCom client: access tokens (cached, single-flight, refreshed before
 * they expire and once after WeCom rejects one), the HTTP exchange with its time-out and
 * concurrency cap, and the retry policy. Every typed call of `client.ts` goes through `call`.
 * See docs/wecom-client.md for the policy in prose.
 */
import { createHash } from 'node:crypto';
import { RATE_LIMITED_ERRCODES, SYSTEM_BUSY_ERRCODE, WeComBadResponseError, WeComError, WeComNetworkError } from './errcodes.js';
import type { Cursored, GetTokenResponse, WeComOk } from './types.js';

/** The subset of a pino logger the client writes to; it never receives the secret or a token. */
export interface WeComLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Access tokens shared by every client built with it, keyed by (baseUrl, corpId, secret). */
export interface WeComTokenCache {
  /** @internal */
  readonly entries: Map<string, TokenEntry>;
}

interface TokenEntry {
  token?: string;
  /** Epoch ms after which the token is refreshed before use. */
  refreshAt: number;
  inflight?: Promise<string>;
  /** Tokens this entry has held, to blank them out of error text. */
  seen: string[];
}

/** A token cache to share between clients of one process (one per app secret is kept in it). */
export function createTokenCache(): WeComTokenCache {
  return { entries: new Map() };
}

/** How a client is built; only `corpId` and `secret` are required. */
export interface WeComClientOptions {
  /** Default `https://qyapi.weixin.qq.com`; the sandbox's address in tests. */
  baseUrl?: string;
  corpId: string;
  /** The 客户联系 secret or that of a self-built app allowed to call the 客户联系 APIs. */
  secret: string;
  fetch?: typeof globalThis.fetch;
  /** Epoch ms; decides when the cached token is refreshed. */
  now?: () => number;
  log?: WeComLogger;
  /** Share tokens between clients; each client has its own cache otherwise. */
  tokens?: WeComTokenCache;
  /** Requests in flight at once from this client (default 8). */
  maxConcurrency?: number;
  /** Back-off retries after a rate-limit or transient answer (default 5). */
  maxRetries?: number;
  /** First back-off ceiling; doubles each retry (default 2,000 ms). */
  baseDelayMs?: number;
  /** Largest back-off ceiling (default 32,000 ms). */
  maxDelayMs?: number;
  /** Per-request time-out (default 15,000 ms). */
  timeoutMs?: number;
  /** Refresh the token this long before WeCom's `expires_in` runs out (default 5 minutes). */
  refreshMarginMs?: number;
  /** Waits between retries; replace in tests so that nothing sleeps. */
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); the jitter source. */
  random?: () => number;
}

/** The options of a call made through `request`, for an API without a typed method yet. */
export interface CallSpec {
  /** Path under `/cgi-bin/`, e.g. `externalcontact/get`; also the `api` of errors. */
  api: string;
  method: 'GET' | 'POST';
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Safe to send twice: retried after network errors and -1 (system busy) too. */
  idempotent: boolean;
}

/**
 * Errcodes after which the token is refreshed once (single-flight) and the call retried:
 * 40014 invalid and 42001 expired token. 40001 (bad secret) is not here: a new token from the
 * same secret cannot help, so it is surfaced at once.
 */
const TOKEN_STALE = new Set([40014, 42001]);

/**
 * Rate-limit errcodes (errcodes.ts) are retried with exponential back-off and jitter for any
 * call; -1 (system busy) only for idempotent calls, at most 3 times as WeCom advises. A 45009
 * block lasts about a minute: the default ceilings 2+4+8+16+32 s span 31–62 s of waiting.
 */
const MAX_BUSY_RETRIES = 3;

/** HTTP statuses retried like a network error (idempotent calls only), and 429 for any call. */
const TRANSIENT_STATUS = new Set([502, 503, 504]);

const noLog: WeComLogger = { debug() {}, warn() {} };

/** One client's settings, its token entry and its concurrency limiter. */
interface Core {
  baseUrl: string;
  corpId: string;
  secret: string;
  doFetch: typeof globalThis.fetch;
  now: () => number;
  log: WeComLogger;
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  refreshMarginMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  limit: <R>(fn: () => Promise<R>) => Promise<R>;
  token: TokenEntry;
}

function coreOf(options: WeComClientOptions): Core {
  const baseUrl = (options.baseUrl ?? 'https://qyapi.weixin.qq.com').replace(/\/+$/, '');
  // The key holds a digest of the secret, not the secret: caches get dumped in debuggers.
  const secretDigest = createHash('sha256').update(options.secret).digest('hex').slice(0, 32);
  const cache = options.tokens ?? createTokenCache();
  const key = `${baseUrl}\n${options.corpId}\n${secretDigest}`;
  let token = cache.entries.get(key);
  if (!token) {
    token = { refreshAt: 0, seen: [] };
    cache.entries.set(key, token);
  }
  return {
    baseUrl,
    corpId: options.corpId,
    secret: options.secret,
    doFetch: options.fetch ?? globalThis.fetch,
    now: options.now ?? Date.now,
    log: options.log ?? noLog,
    maxRetries: options.maxRetries ?? 5,
    baseDelayMs: options.baseDelayMs ?? 2_000,
    maxDelayMs: options.maxDelayMs ?? 32_000,
    timeoutMs: options.timeoutMs ?? 15_000,
    refreshMarginMs: options.refreshMarginMs ?? 5 * 60_000,
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    limit: createLimiter(options.maxConcurrency ?? 8),
    token,
  };
}

function redact(core: Core, text: string): string {
  let out = text;
  // WeCom's secrets (43 characters) and tokens (~200) are long; a short value would blank out
  // ordinary words, so only values of 8 characters or more are replaced.
  for (const s of [core.secret, ...core.token.seen]) if (s.length >= 8) out = out.split(s).join('[redacted]');
  return out;
}

async function getToken(core: Core): Promise<string> {
  const entry = core.token;
  if (entry.token && core.now() < entry.refreshAt) return entry.token;
  // Single flight: every caller arriving while a gettoken is out waits for that one.
  entry.inflight ??= fetchToken(core).finally(() => {
    entry.inflight = undefined;
  });
  return entry.inflight;
}

async function fetchToken(core: Core): Promise<string> {
  const spec: CallSpec = { api: 'gettoken', method: 'GET', query: { corpid: core.corpId, corpsecret: core.secret }, idempotent: true };
  const res = await call<GetTokenResponse>(core, spec, false);
  if (typeof res.access_token !== 'string' || !res.access_token || typeof res.expires_in !== 'number') {
    throw new WeComBadResponseError('gettoken', 200, '', 'answer without access_token or expires_in');
  }
  const entry = core.token;
  const lifetimeMs = res.expires_in * 1000;
  entry.token = res.access_token;
  entry.refreshAt = core.now() + lifetimeMs - Math.min(core.refreshMarginMs, lifetimeMs / 2);
  entry.seen = [res.access_token, ...entry.seen].slice(0, 4);
  core.log.debug({ api: 'gettoken', expiresIn: res.expires_in }, 'wecom: access token refreshed');
  return res.access_token;
}

/** Forget `stale` unless another caller already replaced it. */
function invalidate(core: Core, stale: string): void {
  if (core.token.token === stale) {
    core.token.token = undefined;
    core.token.refreshAt = 0;
  }
}

async function send(core: Core, spec: CallSpec, token: string | undefined): Promise<{ status: number; text: string }> {
  const params = new URLSearchParams();
  if (token) params.set('access_token', token);
  for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) params.set(k, String(v));
  const url = `${core.baseUrl}/cgi-bin/${spec.api}?${params}`;
  const init: RequestInit = { method: spec.method };
  if (spec.method === 'POST') {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(spec.body ?? {});
  }
  try {
    return await core.limit(async () => {
      // The time-out starts when a slot is free: waiting in the queue is not WeCom's slowness.
      const res = await core.doFetch(url, { ...init, signal: AbortSignal.timeout(core.timeoutMs) });
      return { status: res.status, text: await res.text() };
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const cause = err instanceof Error ? (err.cause as { code?: string } | undefined) : undefined;
    const detail = redact(core, cause?.code ?? (err instanceof Error ? err.message : String(err)));
    throw new WeComNetworkError(spec.api, timedOut, detail, { cause: err });
  }
}

function parse(core: Core, spec: CallSpec, status: number, text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  if (!isObject || (status >= 300 && typeof (body as { errcode?: unknown }).errcode !== 'number')) {
    const reason = isObject ? 'HTTP error' : 'answer is not a JSON object';
    throw new WeComBadResponseError(spec.api, status, redact(core, text.slice(0, 200)), reason);
  }
  return body as Record<string, unknown>;
}

function backoffDelay(core: Core, retry: number): number {
  // "Equal jitter": half the ceiling for sure, the other half at random, so that callers that
  // were refused together spread out but none comes back immediately.
  const ceiling = Math.min(core.maxDelayMs, core.baseDelayMs * 2 ** retry);
  return Math.round(ceiling / 2 + (core.random() * ceiling) / 2);
}

/** True for a failure before WeCom's answer that may be sent again (network, 429, a 5xx gateway error). */
function transientTransport(err: unknown, spec: CallSpec): boolean {
  return (
    (err instanceof WeComNetworkError && spec.idempotent) ||
    (err instanceof WeComBadResponseError && (err.status === 429 || (spec.idempotent && TRANSIENT_STATUS.has(err.status))))
  );
}

/** How many back-off retries an errcode allows for this call. */
function retryLimitOf(core: Core, spec: CallSpec, errcode: number): number {
  if (RATE_LIMITED_ERRCODES.has(errcode)) return core.maxRetries;
  return errcode === SYSTEM_BUSY_ERRCODE && spec.idempotent ? Math.min(MAX_BUSY_RETRIES, core.maxRetries) : 0;
}

/** Sends a call with the token, refreshes a rejected token once, backs off on rate limits; resolves with WeCom's answer or throws. */
async function call<R extends WeComOk>(core: Core, spec: CallSpec, auth = true): Promise<R> {
  let retries = 0;
  let refreshed = false;
  const backOff = async (fields: object, msg: string) => {
    const delayMs = backoffDelay(core, retries++);
    core.log.warn({ api: spec.api, ...fields, retry: retries, delayMs }, msg);
    await core.sleep(delayMs);
  };
  for (;;) {
    const token = auth ? await getToken(core) : undefined;
    let body: Record<string, unknown>;
    try {
      const { status, text } = await send(core, spec, token);
      body = parse(core, spec, status, text);
    } catch (err) {
      if (!transientTransport(err, spec) || retries >= core.maxRetries) throw err;
      await backOff({ error: (err as Error).message }, 'wecom: transient failure, retrying');
      continue;
    }
    const errcode = typeof body.errcode === 'number' ? body.errcode : 0;
    if (errcode === 0) return body as unknown as R;
    const errmsg = redact(core, typeof body.errmsg === 'string' ? body.errmsg : '');
    if (token && TOKEN_STALE.has(errcode) && !refreshed) {
      refreshed = true;
      invalidate(core, token);
      core.log.debug({ api: spec.api, errcode }, 'wecom: token rejected, refreshing once');
      continue;
    }
    if (retries >= retryLimitOf(core, spec, errcode)) throw new WeComError(spec.api, errcode, errmsg);
    await backOff({ errcode }, 'wecom: rate limited or busy, backing off');
  }
}

/** The calls of one client, for the API areas to build their typed methods on. */
export interface WeComRequester {
  /** The current access token, fetched or refreshed if needed (single-flight). */
  accessToken(): Promise<string>;
  /** Any call under `/cgi-bin/`, with the token, retries and errors of the typed calls. */
  call<R extends WeComOk>(spec: CallSpec): Promise<R>;
  /** An idempotent GET. */
  get<R extends WeComOk>(api: string, query?: CallSpec['query']): Promise<R>;
  /** An idempotent POST (WeCom's reads take a JSON body). */
  read<R extends WeComOk>(api: string, body: unknown): Promise<R>;
  /** A POST that changes something; retried after network errors only when `idempotent`. */
  write<R extends WeComOk>(api: string, body: unknown, idempotent?: boolean): Promise<R>;
  /** Walks a cursor-paged call until WeCom returns no cursor. */
  pages<R extends Cursored>(fetchPage: (cursor: string | undefined) => Promise<R>): AsyncGenerator<R>;
}

/** The request core of a client for one corp and one secret. */
export function createRequester(options: WeComClientOptions): WeComRequester {
  const core = coreOf(options);
  return {
    accessToken: () => getToken(core),
    call: (spec) => call(core, spec),
    get: (api, query) => call(core, { api, method: 'GET', query, idempotent: true }),
    read: (api, body) => call(core, { api, method: 'POST', body, idempotent: true }),
    write: (api, body, idempotent = false) => call(core, { api, method: 'POST', body, idempotent }),
    pages,
  };
}

async function* pages<R extends Cursored>(fetchPage: (cursor: string | undefined) => Promise<R>): AsyncGenerator<R> {
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    yield page;
    if (!page.next_cursor) return;
    if (page.next_cursor === cursor) throw new WeComBadResponseError('cursor', 200, '', 'the same next_cursor came back twice');
    cursor = page.next_cursor;
  }
}

/** At most `max` calls of `run` at once; the others wait in arrival order. */
function createLimiter(max: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async function run<R>(fn: () => Promise<R>): Promise<R> {
    if (active < max) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so `active` never drops below the queue's need.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
