/**
 * The "test connection" check of a workspace's WeCom connection: with the stored corp id and
 * secret, a fresh client (its own token cache, so gettoken really runs, and no retries, so an
 * unreachable WeCom answers within one time-out) asks for a token, then calls one 客户联系 API
 * (`get_follow_user_list`, which the secret must be allowed to call for anything else to work).
 * WeCom's refusals are part of the answer, with the errcode's meaning in English and Chinese; only a
 * workspace without a connection is an error (WECOM_NOT_CONNECTED).
 */
import type { Logger } from 'pino';
import { createWeComClient, WeComError } from '../wecom/index.js';
import { type ConnectionDeps, notConnected, openConnection } from './connection.service.js';
import type { CONNECTION_CHECKS } from './connection.schemas.js';
import { scrmDb } from './schema.js';

/** One check's outcome. */
export interface ConnectionCheck {
  check: (typeof CONNECTION_CHECKS)[number];
  status: 'ok' | 'failed' | 'skipped';
  ms: number | null;
  errcode: number | null;
  message: string | null;
  hint: { en: string; zh: string } | null;
}

/** What `POST /v1/wecom/connection/test` answers. */
export interface ConnectionTest {
  ok: boolean;
  corpId: string;
  apiBaseUrl: string;
  checkedAt: string;
  checks: ConnectionCheck[];
  followUsers: number | null;
  lastCallbackAt: string | null;
}

/** A time-out for each call of the check: long enough for WeCom, short enough for a button. */
const CHECK_TIMEOUT_MS = 10_000;

/** Runs the checks against WeCom with the workspace's stored connection. */
export async function testConnection(deps: ConnectionDeps & { log: Logger }, ws: string): Promise<ConnectionTest> {
  const c = await openConnection(deps, ws);
  if (!c) throw notConnected(ws);
  const client = createWeComClient({
    baseUrl: c.apiBaseUrl,
    corpId: c.corpId,
    secret: c.secret,
    now: deps.now,
    log: deps.log,
    maxRetries: 0,
    timeoutMs: CHECK_TIMEOUT_MS,
  });
  let followUsers: number | null = null;
  const checks: ConnectionCheck[] = [];
  const run = async (check: ConnectionCheck['check'], call: () => Promise<void>) => {
    if (checks.some((x) => x.status !== 'ok')) {
      checks.push({ check, status: 'skipped', ms: null, errcode: null, message: null, hint: null });
      return;
    }
    const started = performance.now();
    try {
      await call();
      checks.push({ check, status: 'ok', ms: Math.round(performance.now() - started), errcode: null, message: null, hint: null });
    } catch (err) {
      const ms = Math.round(performance.now() - started);
      if (err instanceof WeComError)
        checks.push({ check, status: 'failed', ms, errcode: err.errcode, message: err.message, hint: { en: err.meaning.en, zh: err.meaning.zh } });
      else if (err instanceof Error) checks.push({ check, status: 'failed', ms, errcode: null, message: err.message, hint: null });
      else throw err;
    }
  };
  await run('token', async () => void (await client.accessToken()));
  await run('contact_api', async () => {
    followUsers = (await client.getFollowUserList()).follow_user.length;
  });
  // Inbox ids start with their receipt time (newId), so the primary key finds the latest at once.
  const last = await scrmDb(deps.database.db)
    .selectFrom('wecom_inbox')
    .select('received_at as at')
    .where('workspace_id', '=', ws)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return {
    ok: checks.every((x) => x.status === 'ok'),
    corpId: c.corpId,
    apiBaseUrl: c.apiBaseUrl,
    checkedAt: new Date(deps.now()).toISOString(),
    checks,
    followUsers,
    lastCallbackAt: last ? new Date(Number(last.at)).toISOString() : null,
  };
}
