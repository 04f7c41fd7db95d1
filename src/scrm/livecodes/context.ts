import { ScrmError } from '../errors.js';
import { scrmContextOf } from '../context.js';
import type { Scrm } from '../deps.js';
import type { ScrmContext } from '../events.js';
import { type ScrmKysely, scrmDb } from '../schema.js';
import { WeComBadResponseError, WeComError, WeComNetworkError } from '../../wecom/index.js';

/** The tables live codes and groups read and write (core, SCRM foundation, their own). */
export type LiveDb = ScrmKysely;

/** What live codes, group codes and group views need: the SCRM context (its time zone makes the days of caps and statistics). */
export type LiveDeps = ScrmContext;

/** The context's database with the live-code tables typed. */
export function liveDb(ctx: Pick<ScrmContext, 'db'>): LiveDb {
  return scrmDb(ctx.db);
}

/** The live-code deps from the SCRM module; `clientFor` defaults to the connections'. */
export function liveDepsOf(scrm: Scrm, opts: { clientFor?: ScrmContext['clientFor'] } = {}): LiveDeps {
  return scrmContextOf(scrm, opts.clientFor);
}

/**
 * Runs a WeCom call for an API request: an errcode becomes LIVE_CODE_WECOM_REJECTED (400, with
 * the errcode), an unreachable or garbled WeCom LIVE_CODE_WECOM_UNAVAILABLE (502).
 */
export async function callWeCom<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WeComError)
      throw new ScrmError('LIVE_CODE_WECOM_REJECTED', `WeCom refused to ${what}: errcode ${err.errcode} ${err.errmsg}`, { errcode: err.errcode });
    if (err instanceof WeComNetworkError || err instanceof WeComBadResponseError)
      throw new ScrmError('LIVE_CODE_WECOM_UNAVAILABLE', `could not ${what}: ${err.message}`);
    throw err;
  }
}
