/** SQL of live codes (`scrm_live_codes`) and the adds attributed to them (`scrm_live_code_adds`). */
import type { Insertable, Selectable } from 'kysely';
import type { TagInput } from '../../cdp/index.js';
import { parseJson } from '../../platform/db/database.js';
import type { ScrmLiveCodeAddsTable, ScrmLiveCodesTable } from '../schema.js';
import type { Strategy } from './assignment.js';
import type { LiveDb } from './context.js';
import type { WelcomeMessage } from './welcome.js';
import { CHANNELS } from './live-codes.schemas.js';

/** The channels a live code can stand for (declared with the API's schemas). */
export { CHANNELS };
/** A live code's channel. */
export type Channel = (typeof CHANNELS)[number];

/** A live code as the services use it. */
export interface LiveCode {
  workspaceId: string;
  id: string;
  name: string;
  channel: Channel;
  state: string;
  configId: string | null;
  qrCode: string | null;
  staff: string[];
  strategy: Strategy;
  dailyCap: number | null;
  overflowUserid: string | null;
  tags: TagInput[];
  corpTagIds: string[];
  welcome: WelcomeMessage | null;
  skipVerify: boolean;
  expiresAt: number | null;
  status: 'active' | 'expired' | 'deleted';
  activeUsers: string[];
  rrNext: number;
  balancedDay: string | null;
  syncError: string | null;
  createdAt: number;
  updatedAt: number;
}

type Row = Selectable<ScrmLiveCodesTable>;

function fromRow(r: Row): LiveCode {
  return {
    workspaceId: r.workspace_id,
    id: r.id,
    name: r.name,
    channel: r.channel as Channel,
    state: r.state,
    configId: r.config_id,
    qrCode: r.qr_code,
    staff: parseJson<string[]>(r.staff),
    strategy: r.strategy as Strategy,
    dailyCap: r.daily_cap === null ? null : Number(r.daily_cap),
    overflowUserid: r.overflow_userid,
    tags: parseJson<TagInput[]>(r.tags),
    corpTagIds: parseJson<string[]>(r.corp_tag_ids),
    welcome: r.welcome === null ? null : parseJson<WelcomeMessage>(r.welcome),
    skipVerify: Number(r.skip_verify) === 1,
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    status: r.status as LiveCode['status'],
    activeUsers: parseJson<string[]>(r.active_users),
    rrNext: Number(r.rr_next),
    balancedDay: r.balanced_day,
    syncError: r.sync_error,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** The row of a live code (JSON columns as text). */
export function toRow(c: LiveCode): Insertable<ScrmLiveCodesTable> {
  return {
    workspace_id: c.workspaceId,
    id: c.id,
    name: c.name,
    channel: c.channel,
    state: c.state,
    config_id: c.configId,
    qr_code: c.qrCode,
    staff: JSON.stringify(c.staff),
    strategy: c.strategy,
    daily_cap: c.dailyCap,
    overflow_userid: c.overflowUserid,
    tags: JSON.stringify(c.tags),
    corp_tag_ids: JSON.stringify(c.corpTagIds),
    welcome: c.welcome === null ? null : JSON.stringify(c.welcome),
    skip_verify: c.skipVerify ? 1 : 0,
    expires_at: c.expiresAt,
    status: c.status,
    active_users: JSON.stringify(c.activeUsers),
    rr_next: c.rrNext,
    balanced_day: c.balancedDay,
    sync_error: c.syncError,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

/** Inserts a new live code. */
export async function insertLiveCode(db: LiveDb, c: LiveCode): Promise<void> {
  await db.insertInto('scrm_live_codes').values(toRow(c)).execute();
}

/** Writes every column of a live code but its keys. */
export async function saveLiveCode(db: LiveDb, c: LiveCode): Promise<void> {
  const { workspace_id: _w, id: _i, created_at: _c, ...changes } = toRow(c);
  await db.updateTable('scrm_live_codes').set(changes).where('workspace_id', '=', c.workspaceId).where('id', '=', c.id).execute();
}

/** Updates the assignment columns only (so a concurrent edit of other fields is not overwritten). */
export async function saveAssignment(
  db: LiveDb,
  c: Pick<LiveCode, 'workspaceId' | 'id' | 'activeUsers' | 'balancedDay' | 'syncError' | 'updatedAt'>,
): Promise<void> {
  await db
    .updateTable('scrm_live_codes')
    .set({ active_users: JSON.stringify(c.activeUsers), balanced_day: c.balancedDay, sync_error: c.syncError, updated_at: c.updatedAt })
    .where('workspace_id', '=', c.workspaceId)
    .where('id', '=', c.id)
    .execute();
}

/** Sets where round-robin continues (after an add to the member before it). */
export async function saveRoundRobin(db: LiveDb, ws: string, id: string, rrNext: number): Promise<void> {
  await db.updateTable('scrm_live_codes').set({ rr_next: rrNext }).where('workspace_id', '=', ws).where('id', '=', id).execute();
}

/** A live code by id (deleted ones included). */
export async function findLiveCode(db: LiveDb, ws: string, id: string): Promise<LiveCode | undefined> {
  const r = await db.selectFrom('scrm_live_codes').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return r && fromRow(r);
}

/** The live code whose contact way carries `state`. */
export async function findLiveCodeByState(db: LiveDb, ws: string, state: string): Promise<LiveCode | undefined> {
  const r = await db.selectFrom('scrm_live_codes').selectAll().where('workspace_id', '=', ws).where('state', '=', state).executeTakeFirst();
  return r && fromRow(r);
}

/** A page of live codes (not deleted), newest first by id; `after` is the last id of the previous page. */
export async function listLiveCodes(db: LiveDb, ws: string, q: { channel?: string; status?: string; after?: string; limit: number }): Promise<LiveCode[]> {
  let query = db.selectFrom('scrm_live_codes').selectAll().where('workspace_id', '=', ws).where('status', '!=', 'deleted');
  if (q.channel) query = query.where('channel', '=', q.channel);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.after) query = query.where('id', '<', q.after);
  const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
  return rows.map(fromRow);
}

/** Every active code, of one workspace or of all (the maintenance pass checks expiry and the day). */
export async function activeLiveCodes(db: LiveDb, workspaceId?: string): Promise<LiveCode[]> {
  let q = db.selectFrom('scrm_live_codes').selectAll().where('status', '=', 'active');
  if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
  return (await q.execute()).map(fromRow);
}

/** Adds per staff member through a code in [from, to). */
export async function addsByStaff(db: LiveDb, ws: string, codeId: string, from: number, to: number): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('scrm_live_code_adds')
    .select(['userid', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .where('code_id', '=', codeId)
    .where('added_at', '>=', from)
    .where('added_at', '<', to)
    .groupBy('userid')
    .execute();
  return new Map(rows.map((r) => [r.userid, Number(r.n)]));
}

/** An attributed add. */
export type AddRow = Selectable<ScrmLiveCodeAddsTable>;

/** Records an add once: true when this call inserted it, false when it was already there (redelivery). */
export async function insertAdd(db: LiveDb, row: Insertable<ScrmLiveCodeAddsTable>): Promise<boolean> {
  const res = await db
    .insertInto('scrm_live_code_adds')
    .values(row)
    .onConflict((oc) => oc.columns(['workspace_id', 'code_id', 'userid', 'external_userid', 'added_at']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** The key of one add row. */
export interface AddKey {
  workspaceId: string;
  codeId: string;
  userid: string;
  externalUserid: string;
  addedAt: number;
}

/** The column values of an add's key, for a `where`. */
function keyColumns(k: AddKey) {
  return { workspace_id: k.workspaceId, code_id: k.codeId, userid: k.userid, external_userid: k.externalUserid, added_at: k.addedAt };
}

/** Reads one add row. */
export async function findAdd(db: LiveDb, k: AddKey): Promise<AddRow | undefined> {
  return db
    .selectFrom('scrm_live_code_adds')
    .selectAll()
    .where((eb) => eb.and(keyColumns(k)))
    .executeTakeFirst();
}

/**
 * Moves an add's welcome from one status to another; true when this call made the move. The
 * compare-and-set is what makes a welcome go out at most once when an event is delivered twice.
 */
export async function moveWelcome(db: LiveDb, k: AddKey, from: string, to: { status: string; reason?: string | null; at?: number | null }): Promise<boolean> {
  const res = await db
    .updateTable('scrm_live_code_adds')
    .set({ welcome_status: to.status, welcome_reason: to.reason ?? null, welcome_at: to.at ?? null })
    .where((eb) => eb.and(keyColumns(k)))
    .where('welcome_status', '=', from)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Records how applying the code's tags went. */
export async function setTagsStatus(db: LiveDb, k: AddKey, status: 'done' | 'failed', error: string | null): Promise<void> {
  await db
    .updateTable('scrm_live_code_adds')
    .set({ tags_status: status, tags_error: error })
    .where((eb) => eb.and(keyColumns(k)))
    .execute();
}

/** Marks the open adds of a (customer, staff) pair as deleted; returns how many (0 on redelivery). */
export async function markDeleted(db: LiveDb, ws: string, userid: string, externalUserid: string, at: number, by: 'customer' | 'staff'): Promise<number> {
  const res = await db
    .updateTable('scrm_live_code_adds')
    .set({ deleted_at: at, deleted_by: by })
    .where('workspace_id', '=', ws)
    .where('userid', '=', userid)
    .where('external_userid', '=', externalUserid)
    .where('deleted_at', 'is', null)
    .where('added_at', '<=', at)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Adds (by `added_at`) and deletions (by `deleted_at`) of a code in [from, to), for statistics. */
export async function statRows(db: LiveDb, ws: string, codeId: string, from: number, to: number) {
  const within = (at: 'added_at' | 'deleted_at') =>
    db.selectFrom('scrm_live_code_adds').where('workspace_id', '=', ws).where('code_id', '=', codeId).where(at, '>=', from).where(at, '<', to);
  const adds = await within('added_at').select(['userid', 'added_at', 'welcome_status']).execute();
  const deletions = await within('deleted_at').select(['userid', 'deleted_at', 'deleted_by']).execute();
  return { adds, deletions };
}
