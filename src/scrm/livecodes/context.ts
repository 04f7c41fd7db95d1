import type { Kysely } from 'kysely';
import { DEFAULT_TIME_ZONE } from '../../platform/time.js';
import { workspaceTimeZone } from '../../platform/workspaces.js';
import type { Services } from '../../server/app.js';
import { parseJson } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { ScrmError } from '../errors.js';
import { WeComBadResponseError, WeComError, WeComNetworkError } from '../../wecom/client.js';
import { type ScrmContext, scrmContextOf } from '../events.js';
import type { ScrmLiveCodesDB } from '../schema.js';

/** The tables live codes and groups read and write (core, SCRM foundation, their own). */
export type LiveDb = Kysely<DB & ScrmLiveCodesDB>;

/** What live codes, group codes and group views need: the SCRM context and the workspace time zone. */
export interface LiveDeps extends ScrmContext {
  /** IANA time zone of a workspace: days of caps and statistics are its local days. */
  timeZoneOf: (workspaceId: string) => Promise<string>;
}

/** The context's database with the live-code tables typed. */
export function liveDb(ctx: Pick<ScrmContext, 'db'>): LiveDb {
  return ctx.db as LiveDb;
}

/** A reader of a workspace's time zone (settings.timezone, else `fallback`), for listeners, whose context carries no zone. */
export function workspaceTimeZones(db: Kysely<any>, fallback = DEFAULT_TIME_ZONE): (workspaceId: string) => Promise<string> {
  return (workspaceId) => workspaceTimeZone(db, workspaceId, fallback);
}

/** The live-code deps from the process services. */
export function liveDepsOf(s: Services, opts: { clientFor?: ScrmContext['clientFor'] } = {}): LiveDeps {
  return scrmContextOf(s, opts.clientFor);
}

/** True for the three failures the WeCom client throws. */
export function isWeComFailure(err: unknown): err is WeComError | WeComNetworkError | WeComBadResponseError {
  return err instanceof WeComError || err instanceof WeComNetworkError || err instanceof WeComBadResponseError;
}

/** Short text of a WeCom failure for a stored reason: `errcode 41051 (...)` or the network error. */
export function describeFailure(err: unknown): string {
  if (err instanceof WeComError) return `errcode ${err.errcode}: ${err.errmsg}`;
  if (err instanceof Error) return err.message;
  return String(err);
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

/** ISO text of epoch ms, or null. */
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
}
