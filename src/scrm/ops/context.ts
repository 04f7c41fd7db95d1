import type { Kysely } from 'kysely';
import { DEFAULT_TIME_ZONE } from '../../platform/time.js';
import { workspaceTimeZone } from '../../platform/workspaces.js';
import type { Services } from '../../server/app.js';
import { ScrmError } from '../errors.js';
import type { DB } from '../../platform/db/schema.js';
import { WeComBadResponseError, WeComError, WeComNetworkError } from '../../wecom/client.js';
import { type ScrmContext, scrmContextOf } from '../events.js';
import type { ScrmDB, ScrmOpsDB } from '../schema.js';

/** The tables the operations features read and write. */
export type OpsDb = Kysely<DB & ScrmDB & ScrmOpsDB>;

/**
 * What every operations service needs: the SCRM context, plus the workspace time zone and group
 * tags when the process has them (a bare `ScrmContext` works: the zone then comes from the
 * workspace's settings, default Asia/Shanghai).
 */
export interface OpsContext extends ScrmContext {
  /** IANA zone of a workspace (settings.timezone, else the process default). */
  timeZoneOf?: (workspaceId: string) => Promise<string>;
  /**
   * Chat ids of the active groups carrying any of the given group tags. Group tags belong to the
   * groups feature; without this, SOPs may target groups by chat id or by owner only.
   */
  groupsWithTags?: (workspaceId: string, tagIds: string[]) => Promise<string[]>;
}

/** The workspace's time zone: `ctx.timeZoneOf`, else settings.timezone, else Asia/Shanghai. */
export async function zoneOf(ctx: OpsContext, ws: string): Promise<string> {
  return ctx.timeZoneOf ? ctx.timeZoneOf(ws) : workspaceTimeZone(ctx.db, ws, DEFAULT_TIME_ZONE);
}

/** The context's database with the operations tables typed. */
export function opsDb(ctx: ScrmContext): OpsDb {
  return ctx.db as OpsDb;
}

/**
 * The live follow relations of a segment's members, to select from: the members `sm`, their
 * contacts `c`, and the contacts' relations `f` that have not ended.
 */
export function segmentFollows(db: OpsDb, ws: string, segmentId: string) {
  return db
    .selectFrom('segment_members as sm')
    .innerJoin('scrm_contacts as c', (j) => j.onRef('c.workspace_id', '=', 'sm.workspace_id').onRef('c.profile_id', '=', 'sm.profile_id'))
    .innerJoin('scrm_follows as f', (j) => j.onRef('f.workspace_id', '=', 'c.workspace_id').onRef('f.external_userid', '=', 'c.external_userid'))
    .where('sm.workspace_id', '=', ws)
    .where('sm.segment_id', '=', segmentId)
    .where('f.deleted_at', 'is', null);
}

/** Builds the operations context from the process services; `clientFor` defaults to the SCRM connection module's. */
export function opsContext(s: Services, opts: { clientFor?: ScrmContext['clientFor']; groupsWithTags?: OpsContext['groupsWithTags'] } = {}): OpsContext {
  return { ...scrmContextOf(s, opts.clientFor), groupsWithTags: opts.groupsWithTags };
}

/** WeCom's answer to a failed call as short text for a task or handover row: `errcode 41048: ...`. */
export function describeWeComError(err: unknown): { errcode: number | null; text: string } {
  if (err instanceof WeComError) return { errcode: err.errcode, text: `errcode ${err.errcode}: ${err.meaning.en}` };
  if (err instanceof WeComNetworkError || err instanceof WeComBadResponseError) return { errcode: null, text: err.message };
  throw err;
}

/** Rethrows a WeCom failure as the API's `WECOM_CALL_FAILED` (with the errcode), other errors as they are. */
export function asApiError(err: unknown): never {
  if (err instanceof WeComError || err instanceof WeComNetworkError || err instanceof WeComBadResponseError) {
    const { errcode, text } = describeWeComError(err);
    throw new ScrmError('WECOM_CALL_FAILED', `WeCom refused or failed ${(err as { api: string }).api}: ${text}`, errcode === null ? undefined : { errcode });
  }
  throw err;
}

/** Parses a JSON column (text on SQLite, an object on PostgreSQL). */
export function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** ISO-8601 text of epoch ms, or null. */
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
}
