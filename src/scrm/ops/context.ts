import { scrmContextOf } from '../context.js';
import type { Scrm } from '../deps.js';
import { ScrmError } from '../errors.js';
import type { ScrmContext } from '../events.js';
import { segmentMembers } from '../foreign.js';
import { type ScrmKysely, scrmDb } from '../schema.js';
import { describeWeComError } from '../shared.js';
import { isWeComFailure } from '../../wecom/index.js';

/** The tables the operations features read and write. */
export type OpsDb = ScrmKysely;

/** What every operations service needs: the SCRM context, and the groups feature's tag look-up when wired. */
export interface OpsContext extends ScrmContext {
  /**
   * Chat ids of the active groups carrying any of the given group tags. Group tags belong to the
   * groups feature; without this, SOPs may target groups by chat id or by owner only.
   */
  groupsWithTags?: (workspaceId: string, tagIds: string[]) => Promise<string[]>;
}

/** The workspace's time zone. */
export async function zoneOf(ctx: OpsContext, ws: string): Promise<string> {
  return ctx.timeZoneOf(ws);
}

/** The context's database with the operations tables typed. */
export function opsDb(ctx: Pick<ScrmContext, 'db'>): OpsDb {
  return scrmDb(ctx.db);
}

/**
 * The live follow relations of a segment's members, to select from: the members `sm`, their
 * contacts `c`, and the contacts' relations `f` that have not ended.
 */
export function segmentFollows(db: OpsDb, ws: string, segmentId: string) {
  return segmentMembers(db, ws, segmentId)
    .innerJoin('scrm_contacts as c', (j) => j.onRef('c.workspace_id', '=', 'sm.workspace_id').onRef('c.profile_id', '=', 'sm.profile_id'))
    .innerJoin('scrm_follows as f', (j) => j.onRef('f.workspace_id', '=', 'c.workspace_id').onRef('f.external_userid', '=', 'c.external_userid'))
    .where('f.deleted_at', 'is', null);
}

/** Builds the operations context from the SCRM module; `clientFor` defaults to the connections'. */
export function opsContext(scrm: Scrm, opts: { clientFor?: ScrmContext['clientFor']; groupsWithTags?: OpsContext['groupsWithTags'] } = {}): OpsContext {
  return { ...scrmContextOf(scrm, opts.clientFor), groupsWithTags: opts.groupsWithTags };
}

/** Rethrows a WeCom failure as the API's `WECOM_CALL_FAILED` (with the errcode), other errors as they are. */
export function asApiError(err: unknown): never {
  if (isWeComFailure(err)) {
    const { errcode, text } = describeWeComError(err);
    throw new ScrmError('WECOM_CALL_FAILED', `WeCom refused or failed ${err.api}: ${text}`, errcode === null ? undefined : { errcode });
  }
  throw err;
}
