/** The contacts phase of a full sync: (customer, member) pairs read in chunks, each contact resolved into a One ID profile. */
import { createHash } from 'node:crypto';
import { normaliseMessage, profilesByIdentifier, type TrackedEvent } from '../cdp/index.js';
import { WeComError } from '../wecom/index.js';
import type * as W from '../wecom/index.js';
import { aborted, type Commit, type Ctx, type FullSyncDeps, MESSAGE_PREFIX, meter } from './sync.context.js';
import * as repo from './sync.repo.js';
import type { ContactRow, FollowRow } from './sync.repo.js';

/** WeCom's cap on userid_list of batch/get_by_user. */
const USERS_PER_BATCH = 100;

interface Position {
  batch: number;
  cursor: string | null;
}

interface FetchedChunk {
  items: W.BatchExternalContact[];
  unlicensed: string[];
  /** Where the next chunk starts; `batch` past the last batch when the phase is complete. */
  next: Position;
}

/**
 * Reads pages of batch/get_by_user from `pos` until `size` relations or the end. `savedCursor`:
 * `pos` comes from a checkpoint written by an earlier process, and WeCom may have expired its
 * cursor since; if WeCom refuses it, the batch is read again from its start (the writes are
 * upserts and the events keep their ids, so reading some relations twice changes nothing).
 */
async function fetchChunk(ctx: Ctx, batches: string[][], pos: Position, size: number, savedCursor = false): Promise<FetchedChunk> {
  const items: W.BatchExternalContact[] = [];
  const unlicensed: string[] = [];
  let { batch, cursor } = pos;
  while (batch < batches.length && items.length < size) {
    let page: W.BatchGetByUserResponse;
    try {
      page = await ctx.deps.client.batchGetByUser({ userid_list: batches[batch]!, cursor: cursor ?? undefined, limit: 100 });
    } catch (err) {
      if (!(savedCursor && cursor !== null && err instanceof WeComError)) throw err;
      ctx.deps.log.warn({ batch, errcode: err.errcode }, 'wecom sync: WeCom refused the saved cursor; reading this batch of members again from its start');
      cursor = null;
      continue;
    } finally {
      savedCursor = false;
    }
    items.push(...page.external_contact_list);
    unlicensed.push(...(page.fail_info?.unlicensed_userid_list ?? []));
    if (page.next_cursor && page.next_cursor === cursor) throw new Error(`WeCom batch/get_by_user returned the same next_cursor twice (batch ${batch})`);
    if (page.next_cursor) cursor = page.next_cursor;
    else {
      batch++;
      cursor = null;
    }
  }
  return { items, unlicensed, next: { batch, cursor } };
}

/** Customers: (customer, member) pairs of every member who may have customers, in chunks committed with their checkpoint; relations not seen end. */
export async function syncContacts(ctx: Ctx, commit: Commit): Promise<void> {
  const { cp, deps } = ctx;
  const report = meter(ctx, 'contacts', cp.counts.relations);
  const size = deps.contactsPerChunk ?? 1000;
  const batches: string[][] = [];
  for (let i = 0; i < cp.followUserids.length; i += USERS_PER_BATCH) batches.push(cp.followUserids.slice(i, i + USERS_PER_BATCH));
  const settings = await deps.writer.settingsFor(ctx.ws);
  const norm = { rules: settings.rules, currency: settings.currency, defaultRegion: deps.defaultRegion ?? 'CN' };

  // One chunk is fetched from WeCom while the previous one is written.
  const start = (pos: Position, savedCursor = false) => {
    const p = fetchChunk(ctx, batches, pos, size, savedCursor);
    p.catch(() => {}); // observed when awaited; an abandoned read must not crash the process
    return p;
  };
  let pending: Promise<FetchedChunk> | undefined = cp.contacts.batch < batches.length ? start(cp.contacts, ctx.resumed) : undefined;
  // Chunk N's rows commit while chunk N+1 is resolved (identified, profiles read back): on
  // PostgreSQL the two overlap. Commits stay in order, so the checkpoint only moves forward.
  let writing: Promise<void> | undefined;
  const settle = async () => {
    const w = writing;
    writing = undefined;
    await w;
  };
  try {
    while (pending) {
      const chunk = await pending;
      pending = chunk.next.batch < batches.length && !aborted(ctx) ? start(chunk.next) : undefined;
      const now = deps.now();
      const { contacts, follows, events, unresolved } = await resolveChunk(ctx, chunk.items, now, norm);
      await settle();
      if (aborted(ctx)) return;
      writing = commit(async (trx, next) => {
        await repo.writeContacts(trx, deps.dialect, contacts, follows);
        next.contacts = chunk.next;
        next.counts.relations += chunk.items.length;
        next.counts.events += events;
        next.counts.unresolved += unresolved;
        next.unlicensed = [...new Set([...next.unlicensed, ...chunk.unlicensed])];
        next.counts.unlicensedStaff = next.unlicensed.length;
      }).then(() => report(cp.counts.relations));
      writing.catch(() => {}); // observed by settle(); not an unhandled rejection meanwhile
    }
    await settle();
  } finally {
    // Never leave a commit running behind an error: the lease is released after this returns.
    await writing?.catch(() => {});
  }
  if (aborted(ctx)) return;
  if (cp.unlicensed.length)
    deps.log.warn(
      { userids: cp.unlicensed.slice(0, 20), count: cp.unlicensed.length },
      'wecom sync: members without an interconnection licence; their customers were not read',
    );
  const licensed = cp.followUserids.filter((u) => !cp.unlicensed.includes(u));
  const now = deps.now();
  await commit(async (trx, next) => {
    next.counts.vanishedFollows = await repo.markVanishedFollows(trx, ctx.ws, licensed, cp.startedAt, now);
    next.phase = 'groups';
  });
}

type Norm = { rules: Awaited<ReturnType<FullSyncDeps['writer']['settingsFor']>>['rules']; currency: string; defaultRegion: string };

/**
 * One ID for a chunk: identify events (external_userid:<corp>, unionid, traits) for contacts that
 * are new or changed since the stored row, through the ingest writer; then every contact's live
 * profile read back in bulk by its external_userid identifier.
 */
async function resolveChunk(ctx: Ctx, items: W.BatchExternalContact[], now: number, norm: Norm) {
  const { deps, ws, cp } = ctx;
  const byId = new Map<string, W.ExternalContact>();
  for (const it of items) byId.set(it.external_contact.external_userid, it.external_contact);
  const ids = [...byId.keys()];
  const idType = `external_userid:${deps.corpId}`;
  const stored = await repo.loadContacts(ctx.db, ws, ids);
  const changed = ids.filter((id) => !sameContact(stored.get(id), byId.get(id)!));
  const isChanged = new Set(changed);
  let events = await submit(
    ctx,
    changed.map((id) => byId.get(id)!),
    now,
    norm,
    '',
  );
  let profiles = await profilesByIdentifier(ctx.db, ws, idType, ids);
  // An unchanged contact whose identifier is gone (erased, or detached by a One ID rule) is identified again.
  const lost = ids.filter((id) => !profiles.has(id) && !isChanged.has(id));
  if (lost.length) {
    events += await submit(
      ctx,
      lost.map((id) => byId.get(id)!),
      now,
      norm,
      'r',
    );
    profiles = new Map([...profiles, ...(await profilesByIdentifier(ctx.db, ws, idType, lost))]);
  }
  const contacts: ContactRow[] = [];
  let unresolved = 0;
  for (const [id, c] of byId) {
    const profileId = profiles.get(id);
    if (!profileId) {
      unresolved++;
      continue;
    }
    contacts.push({
      workspace_id: ws,
      external_userid: id,
      profile_id: profileId,
      name: c.name ?? '',
      type: c.type,
      unionid: c.unionid || null,
      avatar: c.avatar || null,
      gender: c.gender ?? null,
      corp_name: c.corp_name || null,
      created_at: now,
      updated_at: now,
    });
  }
  if (unresolved) deps.log.warn({ runId: cp.runId, unresolved }, 'wecom sync: contacts without a resolvable profile were skipped');
  const seen = new Set<string>();
  const follows: FollowRow[] = [];
  for (const it of items) {
    const f = it.follow_info;
    const key = it.external_contact.external_userid + '\u0000' + f.userid;
    // A contact no profile holds (erased, its identifier tombstoned: issue #19) keeps no follow either.
    if (seen.has(key) || !profiles.has(it.external_contact.external_userid)) continue;
    seen.add(key);
    follows.push({
      workspace_id: ws,
      external_userid: it.external_contact.external_userid,
      userid: f.userid,
      remark: f.remark || null,
      description: f.description || null,
      add_way: f.add_way ?? null,
      state: f.state || null,
      tag_ids: JSON.stringify(f.tag_id ?? []),
      added_at: f.createtime * 1000,
      deleted_at: null,
      deleted_by: null,
      updated_at: now,
    });
  }
  return { contacts, follows, events, unresolved };
}

function sameContact(row: ContactRow | undefined, c: W.ExternalContact): boolean {
  return (
    !!row &&
    row.name === (c.name ?? '') &&
    row.type === c.type &&
    row.unionid === (c.unionid || null) &&
    row.avatar === (c.avatar || null) &&
    row.gender === (c.gender ?? null) &&
    row.corp_name === (c.corp_name || null)
  );
}

/** Submits identify events for contacts; returns how many were stored (a resumed chunk's repeats are duplicates). */
async function submit(ctx: Ctx, contacts: W.ExternalContact[], now: number, norm: Norm, salt: string): Promise<number> {
  const { deps, cp } = ctx;
  const events: TrackedEvent[] = [];
  for (const c of contacts) {
    const msg = identifyMessage(c, deps.corpId, cp.runId + salt, now);
    try {
      events.push(normaliseMessage(msg, `contact ${c.external_userid}`, { receivedAt: now, ...norm }, { traitIdentifiersSuffice: true }));
    } catch (err) {
      deps.log.warn({ externalUserid: c.external_userid, err: (err as Error).message }, 'wecom sync: contact not identifiable');
    }
  }
  if (!events.length) return 0;
  return (await deps.writer.submit(ctx.ws, events)).stored;
}

/**
 * The identify call for a contact. The message id is derived from the run, the contact and its
 * content: a resumed run re-sends the same ids (stored once), and a later run sends an event only
 * for contacts that changed since the stored row.
 */
export function identifyMessage(c: W.ExternalContact, corpId: string, runId: string, at: number): Record<string, unknown> {
  const traits: Record<string, unknown> = { name: c.name, wecom_contact_type: c.type === 2 ? 'wecom' : 'wechat' };
  if (c.avatar) traits.avatar = c.avatar;
  if (c.gender === 1 || c.gender === 2) traits.gender = c.gender === 1 ? 'male' : 'female';
  if (c.corp_name) traits.corp_name = c.corp_name;
  const externalIds = [{ type: `external_userid:${corpId}`, id: c.external_userid }];
  if (c.unionid) externalIds.push({ type: 'unionid', id: c.unionid });
  const digest = createHash('sha1')
    .update(JSON.stringify([traits, c.unionid ?? null]))
    .digest('hex')
    .slice(0, 12);
  return {
    type: 'identify',
    messageId: `${MESSAGE_PREFIX}${runId}:${c.external_userid}:${digest}`,
    timestamp: new Date(at).toISOString(),
    traits,
    context: { externalIds, library: { name: 'siyu-wecom-sync', version: '1' } },
  };
}
