import { AppError } from '../../platform/errors.js';
import { ScrmError } from '../errors.js';
import { newId } from '../../platform/ids.js';
import { isWeComFailure, WeComError, type WeComClient } from '../../wecom/index.js';
import { chooseUsers } from './assignment.js';
import { invalid, type LiveCodeInput, type Valid, validateLiveCodeInput } from './live-codes.input.js';
import { describeFailure, iso } from '../shared.js';
import { callWeCom, liveDb, type LiveDeps } from './context.js';
import { activeLiveCodes, addsByStaff, findLiveCode, insertLiveCode, listLiveCodes, saveAssignment, saveLiveCode, type LiveCode } from './live-codes.repo.js';
import { checkWelcomeTemplate } from '../../messaging/index.js';
import type { WelcomeMessage } from './welcome.js';
import { addDays, localDate, startOfLocalDate } from '../../platform/time.js';

/** WeCom truncates a contact way's remark at 30 characters. */
const MAX_REMARK = 30;
/** WeCom answers 41044 for a config_id it does not know: the contact way is already gone. */
const UNKNOWN_CONFIG_ID = 41044;

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
  return { data: codes.map(liveCodeView), nextCursor: last ? Buffer.from(last.id).toString('base64url') : null };
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

export type { WelcomeMessage, LiveCodeInput };
export { validateLiveCodeInput };
