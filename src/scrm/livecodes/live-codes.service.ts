import type { TagInput } from '../../cdp/index.js';
import { AppError } from '../../platform/errors.js';
import { ScrmError } from '../errors.js';
import { newId } from '../../platform/ids.js';
import { WeComError, type WeComClient } from '../../wecom/client.js';
import { chooseUsers, STRATEGIES, type Strategy } from './assignment.js';
import { callWeCom, describeFailure, isWeComFailure, iso, liveDb, type LiveDeps } from './context.js';
import {
  activeLiveCodes,
  addsByStaff,
  CHANNELS,
  findLiveCode,
  insertLiveCode,
  listLiveCodes,
  saveAssignment,
  saveLiveCode,
  type Channel,
  type LiveCode,
} from './live-codes.repo.js';
import { checkWelcomeTemplate } from '../../messaging/welcome.service.js';
import { validateWelcome, type WelcomeMessage } from './welcome.js';
import { addDays, localDate, startOfLocalDate } from '../../platform/time.js';

/** WeCom's limits on a contact way: ≤ 100 users, remark truncated at 30 characters. */
const MAX_STAFF = 100;
const MAX_REMARK = 30;
const MAX_TAGS = 20;
const MAX_CORP_TAGS = 50;
/** WeCom answers 41044 for a config_id it does not know: the contact way is already gone. */
const UNKNOWN_CONFIG_ID = 41044;

/** The fields of a live code a request may set (all optional on update). */
export interface LiveCodeInput {
  name?: unknown;
  channel?: unknown;
  staff?: unknown;
  strategy?: unknown;
  dailyCap?: unknown;
  overflowUserid?: unknown;
  tags?: unknown;
  corpTagIds?: unknown;
  welcome?: unknown;
  skipVerify?: unknown;
  expiresAt?: unknown;
}

type Valid = Partial<
  Pick<LiveCode, 'name' | 'channel' | 'staff' | 'strategy' | 'dailyCap' | 'overflowUserid' | 'tags' | 'corpTagIds' | 'welcome' | 'skipVerify' | 'expiresAt'>
>;

const invalid = (field: string, what: string): never => {
  throw new ScrmError('VALIDATION_FAILED', `${field}: ${what}`);
};

function userid(v: unknown, field: string): string {
  if (typeof v !== 'string' || !v.trim() || v.length > 64) invalid(field, `must be a WeCom userid (1 to 64 characters); got ${JSON.stringify(v)}`);
  return (v as string).trim();
}

function tagInput(v: unknown, field: string): TagInput {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return invalid(field, 'must be { "id": "tag_..." } or { "group"?: "...", "name": "..." }');
  const t = v as Record<string, unknown>;
  const extra = Object.keys(t).filter((k) => !['id', 'group', 'name'].includes(k));
  if (extra.length) invalid(field, `unknown field ${extra.join(', ')}; accepted: id, or group and name`);
  const text = (k: string) => {
    const s = t[k];
    if (typeof s !== 'string' || !s.trim() || s.trim().length > 64) invalid(`${field}.${k}`, 'must be 1 to 64 characters');
    return (s as string).trim();
  };
  if (t.id !== undefined) {
    if (t.name !== undefined || t.group !== undefined) invalid(field, 'give either id, or name (and optionally group), not both');
    return { id: text('id') };
  }
  if (t.name === undefined) invalid(field, 'needs id, or name (and optionally group)');
  return t.group === undefined ? { name: text('name') } : { group: text('group'), name: text('name') };
}

/** Checks a request's fields; `partial` for updates, where absent fields stay as they are. */
export function validateLiveCodeInput(raw: LiveCodeInput, partial: boolean): Valid {
  const out: Valid = {};
  const need = (k: keyof LiveCodeInput) => {
    if (!partial && raw[k] === undefined) invalid(k, 'is required');
    return raw[k] !== undefined;
  };
  if (need('name')) {
    if (typeof raw.name !== 'string' || !raw.name.trim() || raw.name.trim().length > 64) invalid('name', 'must be 1 to 64 characters');
    out.name = (raw.name as string).trim();
  }
  if (need('channel')) {
    if (!CHANNELS.includes(raw.channel as Channel)) invalid('channel', `is ${JSON.stringify(raw.channel)}; accepted: ${CHANNELS.join(', ')}`);
    out.channel = raw.channel as Channel;
  }
  if (need('staff')) {
    if (!Array.isArray(raw.staff) || raw.staff.length === 0 || raw.staff.length > MAX_STAFF)
      invalid('staff', `must list 1 to ${MAX_STAFF} staff userids (WeCom's limit on a contact way)`);
    const staff = (raw.staff as unknown[]).map((u, i) => userid(u, `staff[${i}]`));
    const dup = staff.find((u, i) => staff.indexOf(u) !== i);
    if (dup) invalid('staff', `lists ${dup} twice`);
    out.staff = staff;
  }
  if (raw.strategy !== undefined || !partial) {
    const s = raw.strategy ?? 'least_load';
    if (!STRATEGIES.includes(s as Strategy)) invalid('strategy', `is ${JSON.stringify(s)}; accepted: ${STRATEGIES.join(', ')}`);
    out.strategy = s as Strategy;
  }
  if (raw.dailyCap !== undefined || !partial) {
    const c = raw.dailyCap ?? null;
    if (c !== null && (!Number.isInteger(c) || (c as number) < 1 || (c as number) > 100_000))
      invalid('dailyCap', 'must be null (no cap) or an integer from 1 to 100000');
    out.dailyCap = c as number | null;
  }
  if (raw.overflowUserid !== undefined || !partial) out.overflowUserid = raw.overflowUserid == null ? null : userid(raw.overflowUserid, 'overflowUserid');
  if (raw.tags !== undefined || !partial) {
    const tags = raw.tags ?? [];
    if (!Array.isArray(tags) || tags.length > MAX_TAGS) invalid('tags', `must be a list of at most ${MAX_TAGS} Siyu tags`);
    out.tags = (tags as unknown[]).map((t, i) => tagInput(t, `tags[${i}]`));
  }
  if (raw.corpTagIds !== undefined || !partial) {
    const ids = raw.corpTagIds ?? [];
    if (!Array.isArray(ids) || ids.length > MAX_CORP_TAGS || ids.some((t) => typeof t !== 'string' || !t))
      invalid('corpTagIds', `must be a list of at most ${MAX_CORP_TAGS} WeCom corp tag ids`);
    out.corpTagIds = [...new Set(ids as string[])];
  }
  if (raw.welcome !== undefined || !partial) out.welcome = validateWelcome(raw.welcome ?? null);
  if (raw.skipVerify !== undefined || !partial) {
    const s = raw.skipVerify ?? true;
    if (typeof s !== 'boolean') invalid('skipVerify', 'must be true or false');
    out.skipVerify = s as boolean;
  }
  if (raw.expiresAt !== undefined || !partial) {
    const e = raw.expiresAt ?? null;
    if (e === null) out.expiresAt = null;
    else {
      const ms = typeof e === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(e) ? Date.parse(e) : NaN;
      if (Number.isNaN(ms)) invalid('expiresAt', `must be an ISO-8601 date-time such as 2026-12-31T23:59:59+08:00, or null; got ${JSON.stringify(e)}`);
      out.expiresAt = ms;
    }
  }
  return out;
}

/** Checks the corp tag ids against WeCom, so a typo fails now and not on every add. */
async function checkCorpTags(client: WeComClient, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const res = await callWeCom('list corp tags', () => client.getCorpTagList({ tag_id: ids }));
  const known = new Set(res.tag_group.flatMap((g) => g.tag.filter((t) => !t.deleted).map((t) => t.id)));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length) invalid('corpTagIds', `WeCom has no corp tag ${missing.join(', ')}`);
}

/** Today's local date and its bounds in the workspace zone. */
async function today(deps: LiveDeps, ws: string): Promise<{ day: string; from: number; to: number }> {
  const tz = await deps.timeZoneOf(ws);
  const day = localDate(deps.now(), tz);
  return { day, from: startOfLocalDate(day, tz), to: startOfLocalDate(addDays(day, 1), tz) };
}

/** Today's adds per staff member through a code. */
export async function addsToday(deps: LiveDeps, code: LiveCode): Promise<{ day: string; adds: Map<string, number> }> {
  const t = await today(deps, code.workspaceId);
  return { day: t.day, adds: await addsByStaff(liveDb(deps), code.workspaceId, code.id, t.from, t.to) };
}

/**
 * Recomputes a code's contact-way users (see assignment.ts) and pushes them to WeCom when they
 * changed. A WeCom failure is stored in `sync_error` and retried by the next add or maintenance
 * pass; it is not thrown, since the add that triggered it has been recorded already.
 */
export async function rebalance(deps: LiveDeps, code: LiveCode): Promise<LiveCode> {
  if (code.status !== 'active' || !code.configId) return code;
  const { day, adds } = await addsToday(deps, code);
  const choice = chooseUsers({
    staff: code.staff,
    strategy: code.strategy,
    dailyCap: code.dailyCap,
    overflowUserid: code.overflowUserid,
    addsToday: adds,
    rrNext: code.rrNext,
  });
  const changed = choice.users.join('\n') !== code.activeUsers.join('\n');
  let syncError: string | null = null;
  if (changed || code.syncError) {
    try {
      const client = await deps.clientFor(code.workspaceId);
      await client.updateContactWay({ config_id: code.configId, user: choice.users });
    } catch (err) {
      if (!isWeComFailure(err) && !(err instanceof AppError)) throw err;
      syncError = `update_contact_way: ${describeFailure(err)}`;
      deps.log.warn({ workspaceId: code.workspaceId, liveCode: code.id, err: syncError }, 'live code: could not update the contact way users');
    }
  }
  const next: LiveCode = {
    ...code,
    activeUsers: syncError ? code.activeUsers : choice.users,
    balancedDay: syncError ? code.balancedDay : day,
    syncError,
    updatedAt: deps.now(),
  };
  await saveAssignment(liveDb(deps), next);
  return next;
}

async function deleteContactWay(client: WeComClient, configId: string): Promise<void> {
  try {
    await client.delContactWay(configId);
  } catch (err) {
    // Already gone (deleted in WeCom's console, or by an earlier attempt whose answer was lost).
    if (!(err instanceof WeComError && err.errcode === UNKNOWN_CONFIG_ID)) throw err;
  }
}

/**
 * Expires a code whose time has come: its contact way is deleted in WeCom, so the QR code stops
 * adding anyone. If WeCom cannot be reached the code stays active with `sync_error` and the next
 * maintenance pass tries again. Returns the code as it now is.
 */
export async function expireIfDue(deps: LiveDeps, code: LiveCode): Promise<LiveCode> {
  if (code.status !== 'active' || code.expiresAt === null || code.expiresAt > deps.now()) return code;
  const next: LiveCode = { ...code, updatedAt: deps.now() };
  try {
    if (code.configId) await deleteContactWay(await deps.clientFor(code.workspaceId), code.configId);
    Object.assign(next, { status: 'expired', configId: null, qrCode: null, activeUsers: [], syncError: null });
  } catch (err) {
    if (!isWeComFailure(err) && !(err instanceof AppError)) throw err;
    next.syncError = `del_contact_way: ${describeFailure(err)}`;
  }
  await saveLiveCode(liveDb(deps), next);
  return next;
}

/** Creates the WeCom contact way of a code (type 2, QR code) with its first users. */
async function createContactWay(deps: LiveDeps, client: WeComClient, code: LiveCode): Promise<LiveCode> {
  const choice = chooseUsers({
    staff: code.staff,
    strategy: code.strategy,
    dailyCap: code.dailyCap,
    overflowUserid: code.overflowUserid,
    addsToday: (await addsToday(deps, code)).adds,
    rrNext: code.rrNext,
  });
  // Type 2 (several members) even for one: the user list changes as caps and turns move on.
  const res = await callWeCom('create the contact way', () =>
    client.addContactWay({
      type: 2,
      scene: 2,
      remark: [...code.name].slice(0, MAX_REMARK).join(''),
      skip_verify: code.skipVerify,
      state: code.state,
      user: choice.users,
    }),
  );
  return { ...code, configId: res.config_id, qrCode: res.qr_code ?? null, activeUsers: choice.users, rrNext: choice.rrNext };
}

/** A live code as the API shows it. */
export function liveCodeView(c: LiveCode) {
  return {
    id: c.id,
    name: c.name,
    channel: c.channel,
    state: c.state,
    configId: c.configId,
    qrCode: c.qrCode,
    staff: c.staff,
    strategy: c.strategy,
    dailyCap: c.dailyCap,
    overflowUserid: c.overflowUserid,
    tags: c.tags,
    corpTagIds: c.corpTagIds,
    welcome: c.welcome,
    skipVerify: c.skipVerify,
    expiresAt: iso(c.expiresAt),
    status: c.status,
    activeUsers: c.activeUsers,
    syncError: c.syncError,
    createdAt: iso(c.createdAt)!,
    updatedAt: iso(c.updatedAt)!,
  };
}

/** A live code view with today's adds per staff member and whether they are at the cap. */
export async function liveCodeDetail(deps: LiveDeps, c: LiveCode) {
  const { day, adds } = await addsToday(deps, c);
  const members = [...new Set([...c.staff, ...adds.keys()])];
  return {
    ...liveCodeView(c),
    today: { date: day, staff: members.map((u) => ({ userid: u, adds: adds.get(u) ?? 0, atCap: c.dailyCap !== null && (adds.get(u) ?? 0) >= c.dailyCap })) },
  };
}

/** Loads a code that was not deleted, expiring it first if its time has passed; 404 otherwise. */
export async function loadLiveCode(deps: LiveDeps, ws: string, id: string): Promise<LiveCode> {
  const code = await findLiveCode(liveDb(deps), ws, id);
  if (!code || code.status === 'deleted') throw new ScrmError('LIVE_CODE_NOT_FOUND', `no live code ${id} in this workspace`);
  return expireIfDue(deps, code);
}

/** A welcome naming a messaging template must name an active `wecom` template of this workspace. */
async function checkTemplate(deps: LiveDeps, ws: string, welcome: WelcomeMessage | null | undefined): Promise<void> {
  if (!welcome?.templateId) return;
  try {
    await checkWelcomeTemplate({ database: { db: deps.db } }, ws, welcome.templateId);
  } catch (err) {
    if (err instanceof AppError) invalid('welcome.templateId', err.message);
    throw err;
  }
}

/** Creates a live code and its WeCom contact way (state = the code's id, 29 characters). */
export async function createLiveCode(deps: LiveDeps, ws: string, raw: LiveCodeInput): Promise<LiveCode> {
  const v = validateLiveCodeInput(raw, false) as Required<Valid>;
  await checkTemplate(deps, ws, v.welcome);
  const now = deps.now();
  if (v.expiresAt !== null && v.expiresAt <= now) invalid('expiresAt', 'is in the past');
  const client = await deps.clientFor(ws);
  await checkCorpTags(client, v.corpTagIds);
  const id = newId('lc', now);
  let code: LiveCode = {
    workspaceId: ws,
    id,
    state: id,
    configId: null,
    qrCode: null,
    status: 'active',
    activeUsers: [],
    rrNext: 0,
    balancedDay: null,
    syncError: null,
    createdAt: now,
    updatedAt: now,
    ...v,
  };
  code = await createContactWay(deps, client, code);
  code.balancedDay = (await today(deps, ws)).day;
  try {
    await insertLiveCode(liveDb(deps), code);
  } catch (err) {
    // Never leave a contact way that no code owns: WeCom allows 500,000 per corp, and it would attribute to nothing.
    await client
      .delContactWay(code.configId!)
      .catch((e) => deps.log.error({ err: e, configId: code.configId }, 'live code: could not delete an orphan contact way'));
    throw err;
  }
  return code;
}

/**
 * Edits a code and keeps its contact way in step: name, verification and users are pushed with
 * update_contact_way. Moving the expiry of an expired code into the future (or clearing it)
 * reactivates it with a new contact way, hence a new QR code.
 */
export async function updateLiveCode(deps: LiveDeps, ws: string, id: string, raw: LiveCodeInput): Promise<LiveCode> {
  const v = validateLiveCodeInput(raw, true);
  const current = await loadLiveCode(deps, ws, id);
  await checkTemplate(deps, ws, v.welcome);
  const now = deps.now();
  const client = await deps.clientFor(ws);
  if (v.corpTagIds)
    await checkCorpTags(
      client,
      v.corpTagIds.filter((t) => !current.corpTagIds.includes(t)),
    );
  let code: LiveCode = { ...current, ...v, updatedAt: now };
  if (v.staff) code.rrNext = 0;
  if (code.status === 'expired') {
    if (v.expiresAt !== undefined && (v.expiresAt === null || v.expiresAt > now))
      code = { ...(await createContactWay(deps, client, code)), status: 'active', syncError: null };
  } else if (code.expiresAt !== null && code.expiresAt <= now) {
    await saveLiveCode(liveDb(deps), code);
    return expireIfDue(deps, code);
  } else {
    const { day, adds } = await addsToday(deps, code);
    const choice = chooseUsers({
      staff: code.staff,
      strategy: code.strategy,
      dailyCap: code.dailyCap,
      overflowUserid: code.overflowUserid,
      addsToday: adds,
      rrNext: code.rrNext,
    });
    await callWeCom('update the contact way', () =>
      client.updateContactWay({
        config_id: code.configId!,
        remark: [...code.name].slice(0, MAX_REMARK).join(''),
        skip_verify: code.skipVerify,
        user: choice.users,
      }),
    );
    Object.assign(code, { activeUsers: choice.users, rrNext: choice.rrNext, balancedDay: day, syncError: null });
  }
  await saveLiveCode(liveDb(deps), code);
  return code;
}

/** Deletes a code: its contact way is removed in WeCom; its adds stay for the statistics. */
export async function deleteLiveCode(deps: LiveDeps, ws: string, id: string): Promise<void> {
  const code = await findLiveCode(liveDb(deps), ws, id);
  if (!code || code.status === 'deleted') throw new ScrmError('LIVE_CODE_NOT_FOUND', `no live code ${id} in this workspace`);
  if (code.configId) {
    const client = await deps.clientFor(ws);
    await callWeCom('delete the contact way', () => deleteContactWay(client, code.configId!));
  }
  await saveLiveCode(liveDb(deps), { ...code, status: 'deleted', configId: null, qrCode: null, activeUsers: [], updatedAt: deps.now() });
}

/** A page of codes and the cursor of the next page. */
export async function pageLiveCodes(deps: LiveDeps, ws: string, q: { channel?: string; status?: string; cursor?: string; limit: number }) {
  const after = q.cursor ? Buffer.from(q.cursor, 'base64url').toString('utf8') : undefined;
  if (after !== undefined && !after.startsWith('lc_')) invalid('cursor', 'is not a nextCursor returned by this endpoint');
  const codes = await listLiveCodes(liveDb(deps), ws, { channel: q.channel, status: q.status, after, limit: q.limit });
  const last = codes.length === q.limit ? codes[codes.length - 1] : undefined;
  return { items: codes.map(liveCodeView), nextCursor: last ? Buffer.from(last.id).toString('base64url') : null };
}

/**
 * The periodic pass: expires codes whose time has come, and re-balances codes whose users were
 * computed on an earlier local day (caps reset at local midnight). Returns what it did.
 */
export async function runLiveCodeMaintenance(deps: LiveDeps, workspaceId?: string): Promise<{ expired: number; rebalanced: number }> {
  let expired = 0;
  let rebalanced = 0;
  for (const code of await activeLiveCodes(liveDb(deps), workspaceId)) {
    const after = await expireIfDue(deps, code);
    if (after.status === 'expired') {
      expired++;
      continue;
    }
    const day = localDate(deps.now(), await deps.timeZoneOf(code.workspaceId));
    if (after.balancedDay !== day || after.syncError) {
      await rebalance(deps, after);
      rebalanced++;
    }
  }
  return { expired, rebalanced };
}

export type { WelcomeMessage };
