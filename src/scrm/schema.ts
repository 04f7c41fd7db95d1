import type { Kysely } from 'kysely';
import type { DB, JsonColumn, Millis } from '../platform/db/schema.js';
import type { LiveCodeTables } from './livecodes/schema.js';
import type { ScrmOpsDB } from './ops/schema.js';

/**
 * The SCRM domain's tables (WeCom). Owned by `src/scrm/`; other domains read SCRM state through
 * the functions `src/scrm/index.ts` exports, never these tables directly. Every table is keyed by
 * `workspace_id` first. One workspace holds one WeCom corp.
 */

/** A workspace's WeCom connection. Secrets are encrypted with the PII cipher (`*_enc`). */
export interface WeComAppsTable {
  workspace_id: string;
  corp_id: string;
  /** Self-built app id, for app messages; optional. */
  agent_id: string | null;
  /** The 客户联系 secret (or an app secret allowed to call the 客户联系 APIs), encrypted. */
  secret_enc: string;
  /** Callback token, encrypted. */
  callback_token_enc: string;
  /** Callback EncodingAESKey (43 chars), encrypted. */
  encoding_aes_key_enc: string;
  /** WeCom's API base URL; `https://qyapi.weixin.qq.com` unless pointed at the sandbox. */
  api_base_url: string;
  created_at: Millis;
  updated_at: Millis;
}

/**
 * Callbacks accepted and not yet (or already) applied: the durable queue between the callback
 * route (which answers WeCom within its 5 s) and the processor. `dedup_key` makes WeCom's
 * redeliveries of one event land on one row.
 */
export interface WeComInboxTable {
  workspace_id: string;
  id: string;
  dedup_key: string;
  /** `Event` of the message, with `ChangeType` when present: `change_external_contact.add_external_contact`. */
  kind: string;
  /** The decrypted message (XML text as WeCom sent it, or JSON text). */
  payload: string;
  status: 'pending' | 'done' | 'failed';
  attempts: number;
  error: string | null;
  received_at: Millis;
  /** Earliest time the processor may (re)try it. */
  next_attempt_at: Millis;
  processed_at: Millis | null;
}

/** Members of the corp (staff, guides). */
export interface ScrmStaffTable {
  workspace_id: string;
  userid: string;
  name: string;
  /** Department ids, JSON array. */
  departments: JsonColumn;
  /** 'active' | 'resigned' (left the corp, customers await inheritance). */
  status: string;
  /** Allowed to have customers (get_follow_user_list). */
  can_follow: number;
  updated_at: Millis;
}

/** External contacts (customers), each resolved to a One ID profile. */
export interface ScrmContactsTable {
  workspace_id: string;
  external_userid: string;
  /** The One ID profile (identifier `external_userid:<corpid>`, and `unionid` when known). */
  profile_id: string;
  name: string;
  /** 1 WeChat user, 2 WeCom user. */
  type: number;
  unionid: string | null;
  avatar: string | null;
  gender: number | null;
  corp_name: string | null;
  created_at: Millis;
  updated_at: Millis;
}

/** Who follows whom: one row per (customer, staff member) relation, kept after deletion. */
export interface ScrmFollowsTable {
  workspace_id: string;
  external_userid: string;
  userid: string;
  remark: string | null;
  description: string | null;
  /** WeCom's add_way code. */
  add_way: number | null;
  /** The `state` of the contact way the customer came through (channel attribution). */
  state: string | null;
  /** Corp tag ids this member put on the customer, JSON array. */
  tag_ids: JsonColumn;
  added_at: Millis;
  /** Set when the relation ended. */
  deleted_at: Millis | null;
  /** 'customer' (del_follow_user: the customer deleted the member) | 'staff' (del_external_contact) | 'transfer'. */
  deleted_by: string | null;
  updated_at: Millis;
}

/** Corp tags (企业标签) as WeCom holds them. */
export interface ScrmCorpTagsTable {
  workspace_id: string;
  tag_id: string;
  group_id: string;
  group_name: string;
  name: string;
  sort_order: number;
  deleted_at: Millis | null;
  updated_at: Millis;
}

/** Customer groups (客户群). */
export interface ScrmGroupsTable {
  workspace_id: string;
  chat_id: string;
  name: string;
  owner: string;
  notice: string | null;
  /** 'active' | 'dismissed'. */
  status: string;
  member_count: number;
  /** WeCom's create_time. */
  created_at: Millis;
  dismissed_at: Millis | null;
  updated_at: Millis;
}

/** Group membership, kept after a member quits (join and quit history for growth and churn). */
export interface ScrmGroupMembersTable {
  workspace_id: string;
  chat_id: string;
  /** userid (type 1) or external_userid (type 2). */
  member_id: string;
  /** 1 corp member, 2 external contact. */
  type: number;
  unionid: string | null;
  join_time: Millis;
  /** 1 invited directly, 2 invited by link, 3 scanned a group QR code. */
  join_scene: number | null;
  invitor: string | null;
  quit_at: Millis | null;
  /** 0 left by themselves, 1 removed by the owner. */
  quit_scene: number | null;
  updated_at: Millis;
}

/** The Kysely database type of the SCRM foundation tables. */
export interface ScrmDB {
  wecom_apps: WeComAppsTable;
  wecom_inbox: WeComInboxTable;
  scrm_staff: ScrmStaffTable;
  scrm_contacts: ScrmContactsTable;
  scrm_follows: ScrmFollowsTable;
  scrm_corp_tags: ScrmCorpTagsTable;
  scrm_groups: ScrmGroupsTable;
  scrm_group_members: ScrmGroupMembersTable;
}

export type * from './ops/schema.js';
export type * from './livecodes/schema.js';

/** The Kysely database type of the live-code and group-feature tables (with the foundation's). */
export interface ScrmLiveCodesDB extends ScrmDB, LiveCodeTables {}

/**
 * Every table scrm's code touches: its own, and the core ones (`DB`) that the functions of
 * foreign.ts read until cdp and segments publish their own (see foreign.ts).
 */
export type ScrmAllDB = DB & ScrmDB & ScrmOpsDB & ScrmLiveCodesDB;

/** A database connection or transaction with scrm's tables typed. */
export type ScrmKysely = Kysely<ScrmAllDB>;

/**
 * `db` with scrm's tables typed. Database opens Kysely over the core schema; scrm's tables live in
 * the same database, and a query's SQL does not depend on the type it was built with.
 */
export function scrmDb<D>(db: Kysely<D>): ScrmKysely {
  return db as unknown as ScrmKysely;
}

// This module's tables in the whole-database type (see platform/db/schema.ts).
declare module '../platform/db/schema.js' {
  interface DB extends ScrmDB, ScrmOpsDB, LiveCodeTables {}
}
