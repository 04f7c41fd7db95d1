/**
 * Group live codes (群活码): one WeCom join way (「加入群聊」) over an ordered list of customer
 * groups of any length. WeCom's join way takes at most 5 groups and moves on only when one
 * reaches 200 members; Siyu keeps the join way's chat_id_list on a window of up to 5 open groups
 * starting at the current one, and moves the window when the current group reaches the code's
 * limit (≤ 200) or is dismissed. Rotation only goes forward: a group that later has room again
 * is not returned to. Group sizes come from the mirrored `scrm_groups` (written by callbacks and
 * sync); a group not mirrored yet counts as open.
 */
import type { Insertable, Selectable } from 'kysely';
import { parseJson } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { ScrmError } from '../errors.js';
import { newId } from '../../platform/ids.js';
import { isWeComFailure, WeComError, type WeComClient } from '../../wecom/index.js';
import type { ScrmContext, ScrmListener } from '../events.js';
import type { ScrmGroupCodesTable } from '../schema.js';
import { describeFailure, iso } from '../shared.js';
import { callWeCom, liveDb, type LiveDb } from './context.js';
import { MAX_GROUP_MEMBERS } from './group-codes.schemas.js';

/** WeCom's limits: 5 groups per join way, 200 members joining by QR code, remark 30 and room name 40 characters. */
const WINDOW = 5;
/** The most members a group may have before the code moves on; WeCom stops QR joins at 200. */
export { MAX_GROUP_MEMBERS };
const MAX_GROUPS = 100;
const UNKNOWN_CONFIG_ID = 41044;

/** A group live code as the services use it. */
export interface GroupCode {
  workspaceId: string;
  id: string;
  name: string;
  state: string;
  configId: string | null;
  qrCode: string | null;
  chatIds: string[];
  currentIndex: number;
  windowChatIds: string[];
  memberLimit: number;
  autoCreateRoom: boolean;
  roomBaseName: string | null;
  roomBaseId: number | null;
  status: 'active' | 'full' | 'deleted';
  rotatedAt: number | null;
  syncError: string | null;
  createdAt: number;
  updatedAt: number;
}

type Row = Selectable<ScrmGroupCodesTable>;

function fromRow(r: Row): GroupCode {
  return {
    workspaceId: r.workspace_id,
    id: r.id,
    name: r.name,
    state: r.state,
    configId: r.config_id,
    qrCode: r.qr_code,
    chatIds: parseJson<string[]>(r.chat_ids),
    currentIndex: Number(r.current_index),
    windowChatIds: parseJson<string[]>(r.window_chat_ids),
    memberLimit: Number(r.member_limit),
    autoCreateRoom: Number(r.auto_create_room) === 1,
    roomBaseName: r.room_base_name,
    roomBaseId: r.room_base_id === null ? null : Number(r.room_base_id),
    status: r.status as GroupCode['status'],
    rotatedAt: r.rotated_at === null ? null : Number(r.rotated_at),
    syncError: r.sync_error,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toRow(c: GroupCode): Insertable<ScrmGroupCodesTable> {
  return {
    workspace_id: c.workspaceId,
    id: c.id,
    name: c.name,
    state: c.state,
    config_id: c.configId,
    qr_code: c.qrCode,
    chat_ids: JSON.stringify(c.chatIds),
    current_index: c.currentIndex,
    window_chat_ids: JSON.stringify(c.windowChatIds),
    member_limit: c.memberLimit,
    auto_create_room: c.autoCreateRoom ? 1 : 0,
    room_base_name: c.roomBaseName,
    room_base_id: c.roomBaseId,
    status: c.status,
    rotated_at: c.rotatedAt,
    sync_error: c.syncError,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

async function save(db: LiveDb, c: GroupCode): Promise<void> {
  const { workspace_id: _w, id: _i, created_at: _c, ...changes } = toRow(c);
  await db.updateTable('scrm_group_codes').set(changes).where('workspace_id', '=', c.workspaceId).where('id', '=', c.id).execute();
}

async function find(db: LiveDb, ws: string, id: string): Promise<GroupCode | undefined> {
  const r = await db.selectFrom('scrm_group_codes').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return r && fromRow(r);
}

/** Size and status of the listed groups, from the mirrored group table. */
async function groupStates(db: LiveDb, ws: string, chatIds: string[]): Promise<Map<string, { memberCount: number; status: string; name: string }>> {
  if (!chatIds.length) return new Map();
  const rows = await db
    .selectFrom('scrm_groups')
    .select(['chat_id', 'member_count', 'status', 'name'])
    .where('workspace_id', '=', ws)
    .where('chat_id', 'in', chatIds)
    .execute();
  return new Map(rows.map((r) => [r.chat_id, { memberCount: Number(r.member_count), status: r.status, name: r.name }]));
}

/** Where the code points now: the first open group at or after the current one, and up to 5 open groups from there. */
export function computeWindow(
  code: Pick<GroupCode, 'chatIds' | 'currentIndex' | 'memberLimit'>,
  states: Map<string, { memberCount: number; status: string }>,
): { index: number; window: string[] } {
  const open = (chatId: string) => {
    const s = states.get(chatId);
    return !s || (s.status !== 'dismissed' && s.memberCount < code.memberLimit);
  };
  const window: string[] = [];
  let index = -1;
  for (let i = code.currentIndex; i < code.chatIds.length && window.length < WINDOW; i++) {
    if (!open(code.chatIds[i]!)) continue;
    if (index < 0) index = i;
    window.push(code.chatIds[i]!);
  }
  return { index, window };
}

/** What a request may set on a group code. */
export interface GroupCodeInput {
  name?: unknown;
  chatIds?: unknown;
  memberLimit?: unknown;
  autoCreateRoom?: unknown;
  roomBaseName?: unknown;
  roomBaseId?: unknown;
}

const invalid = (field: string, what: string): never => {
  throw new ScrmError('VALIDATION_FAILED', `${field}: ${what}`);
};

function validate(
  raw: GroupCodeInput,
  partial: boolean,
): Partial<Pick<GroupCode, 'name' | 'chatIds' | 'memberLimit' | 'autoCreateRoom' | 'roomBaseName' | 'roomBaseId'>> {
  const out: ReturnType<typeof validate> = {};
  if (raw.name !== undefined || !partial) {
    if (typeof raw.name !== 'string' || !raw.name.trim() || raw.name.trim().length > 64) invalid('name', 'must be 1 to 64 characters');
    out.name = (raw.name as string).trim();
  }
  if (raw.chatIds !== undefined || !partial) {
    if (!Array.isArray(raw.chatIds) || !raw.chatIds.length || raw.chatIds.length > MAX_GROUPS)
      invalid('chatIds', `must list 1 to ${MAX_GROUPS} customer group chat ids, in the order they fill`);
    const ids = raw.chatIds as unknown[];
    ids.forEach((c, i) => (typeof c !== 'string' || !c || c.length > 128) && invalid(`chatIds[${i}]`, 'must be a chat id'));
    const dup = (ids as string[]).find((c, i) => ids.indexOf(c) !== i);
    if (dup) invalid('chatIds', `lists ${dup} twice`);
    out.chatIds = ids as string[];
  }
  if (raw.memberLimit !== undefined || !partial) {
    const m = raw.memberLimit ?? MAX_GROUP_MEMBERS;
    if (!Number.isInteger(m) || (m as number) < 1 || (m as number) > MAX_GROUP_MEMBERS)
      invalid('memberLimit', `must be an integer from 1 to ${MAX_GROUP_MEMBERS} (WeCom stops joins by QR code at ${MAX_GROUP_MEMBERS})`);
    out.memberLimit = m as number;
  }
  if (raw.autoCreateRoom !== undefined || !partial) {
    const a = raw.autoCreateRoom ?? false;
    if (typeof a !== 'boolean') invalid('autoCreateRoom', 'must be true or false');
    out.autoCreateRoom = a as boolean;
  }
  if (raw.roomBaseName !== undefined || !partial) {
    const n = raw.roomBaseName ?? null;
    if (n !== null && (typeof n !== 'string' || !n.trim() || [...n].length > 40)) invalid('roomBaseName', 'must be 1 to 40 characters, or null');
    out.roomBaseName = n as string | null;
  }
  if (raw.roomBaseId !== undefined || !partial) {
    const n = raw.roomBaseId ?? null;
    if (n !== null && (!Number.isInteger(n) || (n as number) < 0)) invalid('roomBaseId', 'must be a non-negative integer, or null');
    out.roomBaseId = n as number | null;
  }
  return out;
}

function joinWayBody(code: GroupCode, chatIds: string[]) {
  return {
    scene: 2 as const,
    remark: [...code.name].slice(0, 30).join(''),
    auto_create_room: (code.autoCreateRoom ? 1 : 0) as 0 | 1,
    ...(code.autoCreateRoom && code.roomBaseName ? { room_base_name: code.roomBaseName } : {}),
    ...(code.autoCreateRoom && code.roomBaseId !== null ? { room_base_id: code.roomBaseId } : {}),
    chat_id_list: chatIds,
    state: code.state,
  };
}

/** A group code as the API shows it, with each listed group's size and role. */
export async function groupCodeView(deps: Pick<ScrmContext, 'db'>, c: GroupCode) {
  const states = await groupStates(liveDb(deps), c.workspaceId, c.chatIds);
  return {
    id: c.id,
    name: c.name,
    state: c.state,
    configId: c.configId,
    qrCode: c.qrCode,
    memberLimit: c.memberLimit,
    autoCreateRoom: c.autoCreateRoom,
    roomBaseName: c.roomBaseName,
    roomBaseId: c.roomBaseId,
    status: c.status,
    currentChatId: c.status === 'active' ? (c.chatIds[c.currentIndex] ?? null) : null,
    windowChatIds: c.windowChatIds,
    groups: c.chatIds.map((chatId, i) => {
      const s = states.get(chatId);
      return {
        chatId,
        name: s?.name ?? null,
        memberCount: s?.memberCount ?? null,
        status: s?.status ?? 'unknown',
        position: i < c.currentIndex ? 'done' : i === c.currentIndex && c.status === 'active' ? 'current' : 'waiting',
      };
    }),
    rotatedAt: iso(c.rotatedAt),
    syncError: c.syncError,
    createdAt: iso(c.createdAt)!,
    updatedAt: iso(c.updatedAt)!,
  };
}

/** Loads a group code that was not deleted, or 404. */
export async function loadGroupCode(deps: Pick<ScrmContext, 'db'>, ws: string, id: string): Promise<GroupCode> {
  const code = await find(liveDb(deps), ws, id);
  if (!code || code.status === 'deleted') throw new ScrmError('GROUP_CODE_NOT_FOUND', `no group live code ${id} in this workspace`);
  return code;
}

/** Creates a group code and its WeCom join way over the first open groups. */
export async function createGroupCode(deps: ScrmContext, ws: string, raw: GroupCodeInput): Promise<GroupCode> {
  const v = validate(raw, false) as Required<ReturnType<typeof validate>>;
  const now = deps.now();
  const id = newId('gc', now);
  const code: GroupCode = {
    workspaceId: ws,
    id,
    state: id,
    configId: null,
    qrCode: null,
    currentIndex: 0,
    windowChatIds: [],
    status: 'active',
    rotatedAt: null,
    syncError: null,
    createdAt: now,
    updatedAt: now,
    ...v,
  };
  const { index, window } = computeWindow(code, await groupStates(liveDb(deps), ws, code.chatIds));
  if (index < 0) invalid('chatIds', `every listed group is dismissed or has ${code.memberLimit} members or more`);
  Object.assign(code, { currentIndex: index, windowChatIds: window });
  const client = await deps.clientFor(ws);
  const res = await callWeCom('create the join way', () => client.addJoinWay(joinWayBody(code, window)));
  code.configId = res.config_id;
  try {
    code.qrCode = (await callWeCom('read the join way', () => client.getJoinWay(res.config_id))).join_way.qr_code ?? null;
    await liveDb(deps).insertInto('scrm_group_codes').values(toRow(code)).execute();
  } catch (err) {
    await client.delJoinWay(res.config_id).catch((e) => deps.log.error({ err: e, configId: res.config_id }, 'group code: could not delete an orphan join way'));
    throw err;
  }
  return code;
}

/**
 * Moves a code to the first open group and keeps the join way's list in step. Returns the code
 * as it now is; a WeCom failure is kept in `sync_error` (and retried by the next event) when
 * `throwOnWeCom` is false, as in the listener.
 */
export async function rotateGroupCode(deps: ScrmContext, code: GroupCode, opts: { throwOnWeCom?: boolean } = {}): Promise<GroupCode> {
  if (code.status === 'deleted' || !code.configId) return code;
  const { index, window } = computeWindow(code, await groupStates(liveDb(deps), code.workspaceId, code.chatIds));
  const next: GroupCode = { ...code, updatedAt: deps.now() };
  if (index < 0) {
    // Nothing open: the join way keeps its last list (WeCom needs one); with autoCreateRoom WeCom opens a new group itself.
    Object.assign(next, { status: 'full', currentIndex: code.chatIds.length });
  } else {
    if (index !== code.currentIndex) next.rotatedAt = deps.now();
    Object.assign(next, { status: 'active', currentIndex: index });
    if (window.join('\n') !== code.windowChatIds.join('\n') || code.syncError) {
      try {
        const client = await deps.clientFor(code.workspaceId);
        await client.updateJoinWay({ config_id: code.configId, ...joinWayBody(code, window) });
        Object.assign(next, { windowChatIds: window, syncError: null });
      } catch (err) {
        if (opts.throwOnWeCom || (!isWeComFailure(err) && !(err instanceof AppError))) throw err;
        next.syncError = `update_join_way: ${describeFailure(err)}`;
        deps.log.warn({ workspaceId: code.workspaceId, groupCode: code.id, err: next.syncError }, 'group code: could not move the join way');
      }
    }
  }
  await save(liveDb(deps), next);
  return next;
}

/** Edits a group code; a new list starts again from its first open group. */
export async function updateGroupCode(deps: ScrmContext, ws: string, id: string, raw: GroupCodeInput): Promise<GroupCode> {
  const v = validate(raw, true);
  const current = await loadGroupCode(deps, ws, id);
  const code: GroupCode = { ...current, ...v, updatedAt: deps.now() };
  if (v.chatIds) code.currentIndex = 0;
  const { index, window } = computeWindow(code, await groupStates(liveDb(deps), ws, code.chatIds));
  if (index < 0) invalid('chatIds', `every listed group is dismissed or has ${code.memberLimit} members or more`);
  const client = await deps.clientFor(ws);
  await callWeCom('update the join way', () => client.updateJoinWay({ config_id: code.configId!, ...joinWayBody(code, window) }));
  Object.assign(code, { currentIndex: index, windowChatIds: window, status: 'active', syncError: null });
  await save(liveDb(deps), code);
  return code;
}

/** Deletes a group code and its join way. */
export async function deleteGroupCode(deps: ScrmContext, ws: string, id: string): Promise<void> {
  const code = await loadGroupCode(deps, ws, id);
  if (code.configId) {
    const client: WeComClient = await deps.clientFor(ws);
    await callWeCom('delete the join way', async () => {
      try {
        await client.delJoinWay(code.configId!);
      } catch (err) {
        if (!(err instanceof WeComError && err.errcode === UNKNOWN_CONFIG_ID)) throw err;
      }
    });
  }
  await save(liveDb(deps), { ...code, status: 'deleted', configId: null, qrCode: null, updatedAt: deps.now() });
}

/** A page of group codes (not deleted), newest first. */
export async function pageGroupCodes(deps: ScrmContext, ws: string, q: { limit: number; cursor?: string }) {
  const after = q.cursor ? Buffer.from(q.cursor, 'base64url').toString('utf8') : undefined;
  if (after !== undefined && !after.startsWith('gc_')) invalid('cursor', 'is not a nextCursor returned by this endpoint');
  let query = liveDb(deps).selectFrom('scrm_group_codes').selectAll().where('workspace_id', '=', ws).where('status', '!=', 'deleted');
  if (after) query = query.where('id', '<', after);
  const codes = (await query.orderBy('id', 'desc').limit(q.limit).execute()).map(fromRow);
  return {
    data: await Promise.all(codes.map((c) => groupCodeView(deps, c))),
    nextCursor: codes.length === q.limit ? Buffer.from(codes[codes.length - 1]!.id).toString('base64url') : null,
  };
}

/**
 * Rotates the codes pointing at a group that gained members or was dismissed. Idempotent: a
 * redelivered event finds the window already moved and changes nothing.
 */
export const groupCodeListener: ScrmListener = async (event, ctx) => {
  const relevant = (event.type === 'group.updated' && event.updateDetail === 'add_member') || event.type === 'group.dismissed';
  if (!relevant) return;
  const rows = await liveDb(ctx)
    .selectFrom('scrm_group_codes')
    .selectAll()
    .where('workspace_id', '=', event.workspaceId)
    .where('status', '=', 'active')
    .execute();
  for (const code of rows.map(fromRow)) {
    if (code.windowChatIds.includes(event.chatId) || code.chatIds[code.currentIndex] === event.chatId) await rotateGroupCode(ctx, code);
  }
};
