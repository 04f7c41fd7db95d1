/**
 * Full sync of a WeCom corp into a workspace: staff, corp tags, external contacts with their
 * follow relations (each contact resolved into a One ID profile), and customer groups.
 *
 * Phases run in order and each chunk commits its rows together with the checkpoint in
 * `job_state` (`wecom.sync`), so a sync killed anywhere resumes after the last committed chunk:
 * finished phases are not fetched again, and the contacts phase continues from the saved
 * (staff batch, cursor) of `batch/get_by_user`. A lease (`wecom.sync.lease`) keeps two syncs of
 * one workspace from running at once. See docs/scrm-sync.md.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { IngestWriter } from '../cdp/writer.js';
import { normaliseMessage, type TrackedEvent } from '../cdp/tracking.js';
import type { Dialect } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import { newId } from '../platform/ids.js';
import { WeComError, type WeComClient } from '../wecom/client.js';
import type * as W from '../wecom/types.js';
import * as repo from './sync.repo.js';
import type { ContactRow, FollowRow, GroupMemberRow, GroupRow, SyncDB } from './sync.repo.js';

/** The phases of a full sync, in order; `done` when the last one finished. */
export type SyncPhase = 'staff' | 'tags' | 'contacts' | 'groups' | 'done';

/** What the sync reports as it goes. */
export interface SyncProgress {
  phase: Exclude<SyncPhase, 'done'>;
  /** Items of the phase done so far in this sync (staff, tags, relations, groups), including those before a resume. */
  done: number;
  /** Items in the phase when known (WeCom has no count of relations or groups up front). */
  total?: number;
  /** Items per second in this process since the phase started (0 until time has passed). */
  rate: number;
}

/** Counts of one sync, kept in the checkpoint so that a resumed sync reports the whole run. */
export interface SyncCounts {
  staff: number;
  /** Members the run did not see any more, marked resigned. */
  resignedStaff: number;
  tags: number;
  deletedTags: number;
  /** (customer, member) relations read from batch/get_by_user. */
  relations: number;
  /** Identify events this sync stored, for new or changed contacts (each once, resumed or not). */
  events: number;
  /** Contacts whose profile could not be resolved (no usable identifier); their contact row is skipped. */
  unresolved: number;
  /** Live relations WeCom no longer lists, marked deleted. */
  vanishedFollows: number;
  groups: number;
  groupMembers: number;
  dismissedGroups: number;
  /** Members whose customers WeCom would not list (no interconnection licence). */
  unlicensedStaff: number;
}

/** The outcome of a full sync. */
export interface SyncResult extends SyncCounts {
  runId: string;
  /** True when this call continued an interrupted sync. */
  resumed: boolean;
  /** Phases this call worked on (a resumed sync skips those finished before). */
  phasesRun: Exclude<SyncPhase, 'done'>[];
  /** False when `signal` stopped the sync between chunks; run again to resume. */
  completed: boolean;
  /** Distinct contacts written by the sync. */
  contacts: number;
  startedAt: number;
  finishedAt: number | null;
}

/** What a full sync needs; the client is any WeCom client for the corp (a real one, or one pointed at the sandbox). */
export interface FullSyncDeps {
  db: Kysely<DB>;
  dialect: Dialect;
  writer: Pick<IngestWriter, 'submit' | 'settingsFor'>;
  client: WeComClient;
  workspaceId: string;
  corpId: string;
  now: () => number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  onProgress?: (p: SyncProgress) => void;
  /** Stops the sync after the chunk in progress (it resumes from there next time). */
  signal?: AbortSignal;
  /** Relations per chunk (one transaction with its checkpoint); default 1,000. */
  contactsPerChunk?: number;
  /** Groups per groupchat/list page (one transaction with its checkpoint); default 100. */
  groupsPerPage?: number;
  /** Region for phone numbers in identify events (none are sent today); default CN. */
  defaultRegion?: string;
}

interface Checkpoint {
  version: 1;
  runId: string;
  corpId: string;
  startedAt: number;
  phase: SyncPhase;
  /** Members whose customers are read, frozen at the staff phase so that batches stay stable across a resume. */
  followUserids: string[];
  unlicensed: string[];
  contacts: { batch: number; cursor: string | null };
  groups: { cursor: string | null };
  counts: SyncCounts;
  finishedAt?: number;
}

const ZERO: SyncCounts = {
  staff: 0,
  resignedStaff: 0,
  tags: 0,
  deletedTags: 0,
  relations: 0,
  events: 0,
  unresolved: 0,
  vanishedFollows: 0,
  groups: 0,
  groupMembers: 0,
  dismissedGroups: 0,
  unlicensedStaff: 0,
};
/** Message ids of the sync's identify events start with this and the run id. */
const MESSAGE_PREFIX = 'wecom-sync:';
/** WeCom's cap on userid_list of batch/get_by_user. */
const USERS_PER_BATCH = 100;
/** WeCom's root department: `user/simplelist?department_id=1&fetch_child=1` lists everyone visible. */
const ROOT_DEPARTMENT = 1;

/** Runs (or resumes) a full sync of the corp into the workspace; throws AppError WECOM_SYNC_RUNNING when one is running. */
export async function runFullSync(deps: FullSyncDeps): Promise<SyncResult> {
  const db = deps.db as unknown as Kysely<SyncDB>;
  const ws = deps.workspaceId;
  const lease = await repo.takeSyncLease(db, ws, deps.now);
  try {
    const saved = await repo.readState<Checkpoint>(db, ws, repo.SYNC_STATE);
    const resumed = !!saved && saved.version === 1 && saved.phase !== 'done' && saved.corpId === deps.corpId;
    if (saved && !resumed && saved.phase !== 'done')
      deps.log.warn({ workspaceId: ws, previousCorp: saved.corpId }, 'wecom sync: discarding the checkpoint of another corp');
    const cp: Checkpoint = resumed ? saved! : fresh(deps);
    if (resumed) deps.log.info({ workspaceId: ws, runId: cp.runId, phase: cp.phase, contacts: cp.contacts }, 'wecom sync: resuming');
    const ctx: Ctx = { deps, db, ws, cp, lease, resumed, phasesRun: [] };
    const commit: Commit = (fn) => transaction(ctx, fn);
    if (cp.phase === 'staff') await syncStaff(ctx, commit);
    if (cp.phase === 'tags') await syncTags(ctx, commit);
    if (cp.phase === 'contacts' && !aborted(ctx)) await syncContacts(ctx, commit);
    if (cp.phase === 'groups' && !aborted(ctx)) await syncGroups(ctx, commit);
    const completed = cp.phase === 'done';
    const contacts = await repo.countContactsSince(db, ws, cp.startedAt);
    // Counted in the database: a chunk identified just before a crash stored its events without
    // its checkpoint, and the resumed run finds them stored already.
    const events = await repo.countEventsWithPrefix(db, ws, `${MESSAGE_PREFIX}${cp.runId}`);
    const result: SyncResult = {
      ...cp.counts,
      events,
      runId: cp.runId,
      resumed,
      phasesRun: ctx.phasesRun,
      completed,
      contacts,
      startedAt: cp.startedAt,
      finishedAt: cp.finishedAt ?? null,
    };
    deps.log.info({ workspaceId: ws, ...result }, completed ? 'wecom sync: finished' : 'wecom sync: stopped; run again to resume');
    return result;
  } finally {
    await lease.release();
  }
}

function fresh(deps: FullSyncDeps): Checkpoint {
  const at = deps.now();
  return {
    version: 1,
    runId: newId('wsync', at),
    corpId: deps.corpId,
    startedAt: at,
    phase: 'staff',
    followUserids: [],
    unlicensed: [],
    contacts: { batch: 0, cursor: null },
    groups: { cursor: null },
    counts: { ...ZERO },
  };
}

interface Ctx {
  deps: FullSyncDeps;
  db: Kysely<SyncDB>;
  ws: string;
  cp: Checkpoint;
  lease: repo.SyncLease;
  /** The checkpoint came from an earlier run (its cursors may have expired in WeCom). */
  resumed: boolean;
  phasesRun: Exclude<SyncPhase, 'done'>[];
}

/** Runs `fn` with the transaction and a copy of the checkpoint to change; the copy becomes the checkpoint once committed. */
type Commit = (fn: (trx: Kysely<SyncDB>, next: Checkpoint) => Promise<void>) => Promise<void>;

const aborted = (ctx: Ctx) => ctx.deps.signal?.aborted === true;

/**
 * One transaction: the chunk's rows, the checkpoint after it, and the lease renewal; retried on
 * serialisation failures. The checkpoint in memory changes only after the commit, so a retry
 * starts from the same state and counts nothing twice.
 */
async function transaction(ctx: Ctx, fn: (trx: Kysely<SyncDB>, next: Checkpoint) => Promise<void>): Promise<void> {
  const { db, deps, ws } = ctx;
  for (let attempt = 1; ; attempt++) {
    const next = structuredClone(ctx.cp);
    try {
      await db.transaction().execute(async (trx) => {
        await fn(trx, next);
        await repo.writeState(trx, ws, repo.SYNC_STATE, next, deps.now());
        await ctx.lease.renew(trx);
      });
      Object.assign(ctx.cp, next);
      return;
    } catch (err) {
      if (attempt >= 5 || !deps.dialect.isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, 2 ** attempt * 5));
    }
  }
}

/** Reports progress of a phase; `initial` is what a resumed phase had done before, left out of the rate. */
function meter(ctx: Ctx, phase: Exclude<SyncPhase, 'done'>, initial = 0) {
  ctx.phasesRun.push(phase);
  const started = ctx.deps.now();
  return (done: number, total?: number) => {
    const secs = (ctx.deps.now() - started) / 1000;
    ctx.deps.onProgress?.({ phase, done, total, rate: secs > 0 ? (done - initial) / secs : 0 });
  };
}

// ── staff ────────────────────────────────────────────────────────────────────────────────

async function syncStaff(ctx: Ctx, commit: Commit): Promise<void> {
  const { client, log } = ctx.deps;
  const report = meter(ctx, 'staff');
  const departments = new Map<string, Set<number>>();
  for await (const du of client.iterateUserIds()) {
    let set = departments.get(du.userid);
    if (!set) departments.set(du.userid, (set = new Set()));
    set.add(du.department);
  }
  const follow = new Set((await client.getFollowUserList()).follow_user);
  // user/list_id carries no names; the root department's simple list does, when the app may read it.
  const names = new Map<string, string>();
  try {
    const res = await client.request<W.SimpleListResponse>({
      api: 'user/simplelist',
      method: 'GET',
      query: { department_id: ROOT_DEPARTMENT, fetch_child: 1 },
      idempotent: true,
    });
    for (const u of res.userlist) names.set(u.userid, u.name);
  } catch (err) {
    if (!(err instanceof WeComError)) throw err;
    log.warn({ errcode: err.errcode }, 'wecom sync: member names are not readable (user/simplelist); userids stand in for names');
  }
  const now = ctx.deps.now();
  const userids = [...new Set([...departments.keys(), ...follow])].sort();
  const rows = userids.map((userid) => ({
    workspace_id: ctx.ws,
    userid,
    name: names.get(userid) ?? userid,
    departments: JSON.stringify([...(departments.get(userid) ?? [])].sort((a, b) => a - b)),
    status: 'active',
    can_follow: follow.has(userid) ? 1 : 0,
    updated_at: now,
  }));
  const { cp } = ctx;
  await commit(async (trx, next) => {
    next.counts.resignedStaff = await repo.writeStaff(trx, ctx.deps.dialect, ctx.ws, rows, cp.startedAt, now);
    next.counts.staff = rows.length;
    next.followUserids = [...follow].sort();
    next.phase = 'tags';
  });
  report(rows.length, rows.length);
}

// ── tags ─────────────────────────────────────────────────────────────────────────────────

async function syncTags(ctx: Ctx, commit: Commit): Promise<void> {
  const report = meter(ctx, 'tags');
  const res = await ctx.deps.client.getCorpTagList({});
  const now = ctx.deps.now();
  const rows = res.tag_group
    .filter((g) => !g.deleted)
    .flatMap((g) =>
      g.tag
        .filter((t) => !t.deleted)
        .map((t) => ({
          workspace_id: ctx.ws,
          tag_id: t.id,
          group_id: g.group_id,
          group_name: g.group_name,
          name: t.name,
          sort_order: t.order,
          deleted_at: null,
          updated_at: now,
        })),
    );
  const { cp } = ctx;
  await commit(async (trx, next) => {
    next.counts.deletedTags = await repo.writeCorpTags(trx, ctx.deps.dialect, ctx.ws, rows, cp.startedAt, now);
    next.counts.tags = rows.length;
    next.phase = 'contacts';
  });
  report(rows.length, rows.length);
}

// ── contacts ─────────────────────────────────────────────────────────────────────────────

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

async function syncContacts(ctx: Ctx, commit: Commit): Promise<void> {
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
  let profiles = await repo.profilesByIdentifier(ctx.db, ws, idType, ids);
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
    profiles = new Map([...profiles, ...(await repo.profilesByIdentifier(ctx.db, ws, idType, lost))]);
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
    if (seen.has(key)) continue;
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

// ── groups ───────────────────────────────────────────────────────────────────────────────

/** errcode of groupchat/get for a group dismissed between the list and the read. */
const CHAT_GONE = 40050;

async function syncGroups(ctx: Ctx, commit: Commit): Promise<void> {
  const { cp, deps, ws } = ctx;
  const report = meter(ctx, 'groups', cp.counts.groups);
  const limit = Math.min(1000, Math.max(1, deps.groupsPerPage ?? 100));
  for (;;) {
    const page = await deps.client.listGroupChats({ cursor: cp.groups.cursor ?? undefined, limit });
    // groupchat/get per group; the client caps requests in flight.
    const details = await Promise.all(
      page.group_chat_list.map((g) =>
        deps.client.getGroupChat(g.chat_id).then(
          (r) => r.group_chat,
          (err) => {
            if (err instanceof WeComError && err.errcode === CHAT_GONE) return undefined;
            throw err;
          },
        ),
      ),
    );
    const now = deps.now();
    const groups: GroupRow[] = [];
    const members: GroupMemberRow[] = [];
    for (const g of details) {
      if (!g) continue;
      groups.push({
        workspace_id: ws,
        chat_id: g.chat_id,
        name: g.name ?? '',
        owner: g.owner,
        notice: g.notice || null,
        status: 'active',
        member_count: g.member_list.length,
        created_at: g.create_time * 1000,
        dismissed_at: null,
        updated_at: now,
      });
      const seen = new Set<string>();
      for (const m of g.member_list) {
        if (seen.has(m.userid)) continue;
        seen.add(m.userid);
        members.push({
          workspace_id: ws,
          chat_id: g.chat_id,
          member_id: m.userid,
          type: m.type,
          unionid: m.unionid || null,
          join_time: m.join_time * 1000,
          join_scene: m.join_scene ?? null,
          invitor: m.invitor?.userid ?? null,
          quit_at: null,
          quit_scene: null,
          updated_at: now,
        });
      }
    }
    const next = page.next_cursor || null;
    if (next && next === cp.groups.cursor) throw new Error('WeCom groupchat/list returned the same next_cursor twice');
    await commit(async (trx, state) => {
      await repo.writeGroups(trx, deps.dialect, ws, groups, members, cp.startedAt, now);
      state.groups.cursor = next;
      state.counts.groups += groups.length;
      state.counts.groupMembers += members.length;
      if (!next) {
        state.counts.dismissedGroups = await repo.markDismissedGroups(trx, ws, cp.startedAt, now);
        state.phase = 'done';
        state.finishedAt = now;
      }
    });
    report(cp.counts.groups, next ? undefined : cp.counts.groups);
    if (!next || aborted(ctx)) return;
  }
}
