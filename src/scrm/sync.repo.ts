/**
 * SQL of the WeCom full sync: set-based upserts of staff, tags, contacts, follows, groups and
 * group members (one statement per table per chunk, through `dialect.insertMany`), the marks for
 * what vanished since the last sync, and the sync's lease in `job_state` (platform/db/job-state.ts;
 * the checkpoint is written there too, by sync.service.ts).
 */
import type { Insertable, Kysely } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import { type Lease, leaseStartedAt, liveLeaseStartedAt, takeLease } from '../platform/db/job-state.js';
import type { DB } from '../platform/db/schema.js';
import { ScrmError } from './errors.js';
import type { ScrmContactsTable, ScrmCorpTagsTable, ScrmDB, ScrmFollowsTable, ScrmGroupMembersTable, ScrmGroupsTable, ScrmStaffTable } from './schema.js';

/** The tables the sync reads and writes. */
export type SyncDB = DB & ScrmDB;

/** The job_state row holding the checkpoint of the current (or last) full sync. */
export const SYNC_STATE = 'wecom.sync';
/** The job_state row holding the lease of a running full sync. */
export const SYNC_LEASE = 'wecom.sync.lease';
/** A lease not renewed for this long belongs to a sync that died; another run may take it over. */
export const SYNC_LEASE_MS = 5 * 60_000;

/** Rows per statement: well under both engines' bound-parameter limits (12 columns × 1,000). */
const IN_CHUNK = 1000;

const chunked = <T>(items: readonly T[], size = IN_CHUNK): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/**
 * `insertMany` over an SCRM table: the dialect is typed against the core schema; the SCRM tables
 * live in the same database and the statement it builds does not depend on the type.
 */
async function upsert(
  dialect: Dialect,
  db: Kysely<SyncDB>,
  table: keyof ScrmDB,
  rows: Record<string, unknown>[],
  key: string[],
  update: string[],
): Promise<void> {
  for (const part of chunked(rows))
    await dialect.insertMany(db as unknown as Kysely<DB>, table as unknown as keyof DB & string, part, { columns: key, update });
}

// ── rows ─────────────────────────────────────────────────────────────────────────────────

/**
 * A row of `T` as the sync writes it: every column present (`insertMany` takes the column list
 * from the first row, and the upserts set the `Cleared` ones too), the `Cleared` columns null (what
 * the sync sees again is alive again).
 */
type SyncRow<T, Cleared extends keyof T = never> = Omit<Required<Insertable<T>>, Cleared> & { [K in Cleared]: null };

/** A scrm_staff row as the sync writes it. */
export type StaffRow = SyncRow<ScrmStaffTable>;

/** A scrm_corp_tags row as the sync writes it. */
export type CorpTagRow = SyncRow<ScrmCorpTagsTable, 'deleted_at'>;

/** A scrm_contacts row as the sync writes (and reads) it. */
export type ContactRow = SyncRow<ScrmContactsTable>;

/** A scrm_follows row as the sync writes it (alive: deletion columns cleared). */
export type FollowRow = SyncRow<ScrmFollowsTable, 'deleted_at' | 'deleted_by'>;

/** A scrm_groups row as the sync writes it. */
export type GroupRow = SyncRow<ScrmGroupsTable, 'dismissed_at'>;

/** A scrm_group_members row as the sync writes it (present: quit columns cleared). */
export type GroupMemberRow = SyncRow<ScrmGroupMembersTable, 'quit_at' | 'quit_scene'>;

// ── writes ───────────────────────────────────────────────────────────────────────────────

/**
 * Upserts the staff seen by this run, then marks members the run did not see (left the corp, or
 * out of the app's visible range) as resigned; their follow relations are kept (they await
 * inheritance in WeCom).
 */
export async function writeStaff(db: Kysely<SyncDB>, dialect: Dialect, ws: string, rows: StaffRow[], runStart: number, now: number): Promise<number> {
  await upsert(
    dialect,
    db,
    'scrm_staff',
    rows as unknown as Record<string, unknown>[],
    ['workspace_id', 'userid'],
    ['name', 'departments', 'status', 'can_follow', 'updated_at'],
  );
  const res = await db
    .updateTable('scrm_staff')
    .set({ status: 'resigned', can_follow: 0, updated_at: now })
    .where('workspace_id', '=', ws)
    .where('status', '!=', 'resigned')
    .where('updated_at', '<', runStart)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Upserts corp tags, then marks tags the run did not see as deleted; returns how many were marked. */
export async function writeCorpTags(db: Kysely<SyncDB>, dialect: Dialect, ws: string, rows: CorpTagRow[], runStart: number, now: number): Promise<number> {
  await upsert(
    dialect,
    db,
    'scrm_corp_tags',
    rows as unknown as Record<string, unknown>[],
    ['workspace_id', 'tag_id'],
    ['group_id', 'group_name', 'name', 'sort_order', 'deleted_at', 'updated_at'],
  );
  const res = await db
    .updateTable('scrm_corp_tags')
    .set({ deleted_at: now, updated_at: now })
    .where('workspace_id', '=', ws)
    .where('deleted_at', 'is', null)
    .where('updated_at', '<', runStart)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Upserts contacts and their follow relations (a relation seen again is alive again). */
export async function writeContacts(db: Kysely<SyncDB>, dialect: Dialect, contacts: ContactRow[], follows: FollowRow[]): Promise<void> {
  await upsert(
    dialect,
    db,
    'scrm_contacts',
    contacts as unknown as Record<string, unknown>[],
    ['workspace_id', 'external_userid'],
    ['profile_id', 'name', 'type', 'unionid', 'avatar', 'gender', 'corp_name', 'updated_at'],
  );
  await upsert(
    dialect,
    db,
    'scrm_follows',
    follows as unknown as Record<string, unknown>[],
    ['workspace_id', 'external_userid', 'userid'],
    ['remark', 'description', 'add_way', 'state', 'tag_ids', 'added_at', 'deleted_at', 'deleted_by', 'updated_at'],
  );
}

/**
 * Marks live relations of the given (synced, active) members that this run did not see as ended
 * (`deleted_by` 'sync': WeCom no longer lists them, and the callback saying who ended them was
 * missed). Relations of members outside the list are left alone. Returns how many were marked.
 */
export async function markVanishedFollows(db: Kysely<SyncDB>, ws: string, userids: readonly string[], runStart: number, now: number): Promise<number> {
  let marked = 0;
  for (const part of chunked(userids)) {
    const res = await db
      .updateTable('scrm_follows')
      .set({ deleted_at: now, deleted_by: 'sync', updated_at: now })
      .where('workspace_id', '=', ws)
      .where('userid', 'in', part)
      .where('deleted_at', 'is', null)
      .where('updated_at', '<', runStart)
      .executeTakeFirst();
    marked += Number(res.numUpdatedRows);
  }
  return marked;
}

/** Upserts groups and their members, then marks members of those groups the run did not see as having quit. */
export async function writeGroups(
  db: Kysely<SyncDB>,
  dialect: Dialect,
  ws: string,
  groups: GroupRow[],
  members: GroupMemberRow[],
  runStart: number,
  now: number,
): Promise<void> {
  await upsert(
    dialect,
    db,
    'scrm_groups',
    groups as unknown as Record<string, unknown>[],
    ['workspace_id', 'chat_id'],
    ['name', 'owner', 'notice', 'status', 'member_count', 'created_at', 'dismissed_at', 'updated_at'],
  );
  await upsert(
    dialect,
    db,
    'scrm_group_members',
    members as unknown as Record<string, unknown>[],
    ['workspace_id', 'chat_id', 'member_id'],
    ['type', 'unionid', 'join_time', 'join_scene', 'invitor', 'quit_at', 'quit_scene', 'updated_at'],
  );
  for (const part of chunked(groups.map((g) => g.chat_id))) {
    await db
      .updateTable('scrm_group_members')
      .set({ quit_at: now, updated_at: now })
      .where('workspace_id', '=', ws)
      .where('chat_id', 'in', part)
      .where('quit_at', 'is', null)
      .where('updated_at', '<', runStart)
      .execute();
  }
}

/** Marks active groups this run did not see as dismissed; returns how many. */
export async function markDismissedGroups(db: Kysely<SyncDB>, ws: string, runStart: number, now: number): Promise<number> {
  const res = await db
    .updateTable('scrm_groups')
    .set({ status: 'dismissed', dismissed_at: now, updated_at: now })
    .where('workspace_id', '=', ws)
    .where('status', '=', 'active')
    .where('updated_at', '<', runStart)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

// ── reads ────────────────────────────────────────────────────────────────────────────────

/** The stored contacts among `externalUserids`, keyed by external_userid. */
export async function loadContacts(db: Kysely<SyncDB>, ws: string, externalUserids: readonly string[]): Promise<Map<string, ContactRow>> {
  const out = new Map<string, ContactRow>();
  for (const part of chunked(externalUserids)) {
    const rows = await db.selectFrom('scrm_contacts').selectAll().where('workspace_id', '=', ws).where('external_userid', 'in', part).execute();
    for (const r of rows) out.set(r.external_userid, r);
  }
  return out;
}

/** Contacts whose row was written at or after `since` (this run's distinct contacts). */
export async function countContactsSince(db: Kysely<SyncDB>, ws: string, since: number): Promise<number> {
  const row = await db
    .selectFrom('scrm_contacts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .where('updated_at', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// ── lease ────────────────────────────────────────────────────────────────────────────────

/** The lease held by one running sync; renewed after every chunk. */
export type SyncLease = Pick<Lease, 'renew' | 'release'>;

/** When the sync holding the workspace's lease now started; undefined when none runs (a dead run's lease has lapsed). */
export function syncLeaseHolder(db: Kysely<SyncDB>, ws: string, now: () => number): Promise<string | undefined> {
  return liveLeaseStartedAt(db, ws, SYNC_LEASE, SYNC_LEASE_MS, now);
}

/**
 * Takes the workspace's sync lease, or throws AppError WECOM_SYNC_RUNNING while another run holds
 * it. Two overlapping syncs would race on the checkpoint and on the "vanished since the last
 * sync" marks. A lease not renewed for SYNC_LEASE_MS (a run killed with -9) is taken over.
 */
export async function takeSyncLease(db: Kysely<SyncDB>, ws: string, now: () => number): Promise<SyncLease> {
  const lease = await takeLease(db, ws, SYNC_LEASE, SYNC_LEASE_MS, now);
  if (lease) return lease;
  const startedAt = await leaseStartedAt(db, ws, SYNC_LEASE);
  throw new ScrmError(
    'WECOM_SYNC_RUNNING',
    `a WeCom full sync of workspace ${ws} is already running (started at ${startedAt ?? 'an unknown time'}); wait for it to finish, or ${SYNC_LEASE_MS / 60_000} minutes after it died`,
  );
}
