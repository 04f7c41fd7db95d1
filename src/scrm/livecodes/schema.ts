import type { JsonColumn, Millis } from '../../platform/db/schema.js';

/** The tables of live codes and groups (0004_scrm_livecodes; src/scrm/livecodes/, src/scrm/groups/). Owned by scrm; see ../schema.ts. */

/** A channel live QR code (渠道活码): one WeCom contact way whose users Siyu re-balances. */
export interface ScrmLiveCodesTable {
  workspace_id: string;
  id: string;
  name: string;
  /** 'store' | 'event' | 'poster' | 'ad' | 'other'. */
  channel: string;
  /** The contact way's `state` (≤ 30 characters, unique in the workspace): attributes an add to the code. */
  state: string;
  /** WeCom's config_id; null once the contact way was deleted (expired or deleted code). */
  config_id: string | null;
  qr_code: string | null;
  /** Staff userids in order, JSON array. */
  staff: JsonColumn;
  /** 'round_robin' | 'least_load'. */
  strategy: string;
  /** Adds a staff member may receive through this code per local day; null for no cap. */
  daily_cap: number | null;
  /** Who gets customers when every staff member is at the cap; null keeps the least-loaded one. */
  overflow_userid: string | null;
  /** Siyu tags put on the profile (TagInput[]), JSON. */
  tags: JsonColumn;
  /** WeCom corp tag ids marked on the customer, JSON array. */
  corp_tag_ids: JsonColumn;
  /** `{ text?, attachments?, nameFallback? }` or null (no welcome message), JSON. */
  welcome: JsonColumn | null;
  skip_verify: number;
  expires_at: Millis | null;
  /** 'active' | 'expired' | 'deleted'. */
  status: string;
  /** The users last set on the contact way, JSON array. */
  active_users: JsonColumn;
  /** Round-robin: index into `staff` where the search for the next user starts. */
  rr_next: number;
  /** Local date the user list was last computed for (caps reset when it changes). */
  balanced_day: string | null;
  /** Last failure to update the contact way, if the latest attempt failed. */
  sync_error: string | null;
  created_at: Millis;
  updated_at: Millis;
}

/**
 * One add through a live code: the attribution, and what was done about it. The key holds the
 * event's time, so a redelivered event lands on the same row and a later re-add on a new one.
 */
export interface ScrmLiveCodeAddsTable {
  workspace_id: string;
  code_id: string;
  userid: string;
  external_userid: string;
  added_at: Millis;
  profile_id: string;
  /** 'pending' | 'done' | 'failed'. */
  tags_status: string;
  tags_error: string | null;
  /** 'pending' | 'sending' | 'sent' | 'skipped' | 'failed'. */
  welcome_status: string;
  welcome_reason: string | null;
  welcome_at: Millis | null;
  deleted_at: Millis | null;
  /** 'customer' | 'staff'. */
  deleted_by: string | null;
  created_at: Millis;
}

/** A group live code: one WeCom join way over an ordered list of groups, moved on when one fills. */
export interface ScrmGroupCodesTable {
  workspace_id: string;
  id: string;
  name: string;
  state: string;
  config_id: string | null;
  qr_code: string | null;
  /** Ordered chat ids, JSON array. */
  chat_ids: JsonColumn;
  /** Index into `chat_ids` of the group new members are sent to. */
  current_index: number;
  /** The chat_id_list last set on the join way: the current group and the next open ones, ≤ 5, JSON. */
  window_chat_ids: JsonColumn;
  /** A group counts as full at this many members (≤ 200, WeCom's cap for joining by QR code). */
  member_limit: number;
  auto_create_room: number;
  room_base_name: string | null;
  room_base_id: number | null;
  /** 'active' | 'full' (every listed group is full or dismissed) | 'deleted'. */
  status: string;
  rotated_at: Millis | null;
  sync_error: string | null;
  created_at: Millis;
  updated_at: Millis;
}

/** Siyu-side tags on customer groups (WeCom has no group tags of its own). */
export interface ScrmGroupTagsTable {
  workspace_id: string;
  chat_id: string;
  tag: string;
  created_at: Millis;
}

/** The live-code and group-feature tables (../schema.ts joins them with the foundation's as `ScrmLiveCodesDB`). */
export interface LiveCodeTables {
  scrm_live_codes: ScrmLiveCodesTable;
  scrm_live_code_adds: ScrmLiveCodeAddsTable;
  scrm_group_codes: ScrmGroupCodesTable;
  scrm_group_tags: ScrmGroupTagsTable;
}
