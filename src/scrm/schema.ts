import type { JsonColumn, Millis } from '../platform/db/schema.js';

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

// ── SCRM operations (src/scrm/ops/, migration 0005_scrm_ops) ──────────────────────────────

/** A content plan (SOP): who it targets and its scheduled steps. */
export interface ScrmSopsTable {
  workspace_id: string;
  id: string;
  name: string;
  /** 'active' | 'paused' | 'archived'. */
  status: string;
  /** What the SOP targets (groups or 1:1 customers), JSON; see src/scrm/ops/sops.service.ts. */
  target: JsonColumn;
  /** Steps with schedule and content, JSON array. */
  steps: JsonColumn;
  created_at: Millis;
  updated_at: Millis;
}

/**
 * One staff task of a SOP: one (sop, step, target, occurrence), unique, so ticks are idempotent.
 * `msgid` is WeCom's mass-message task the staff member confirms (shared by one staff's batch).
 */
export interface ScrmSopTasksTable {
  workspace_id: string;
  id: string;
  sop_id: string;
  step_id: string;
  /** 'group' | 'customer'. */
  target_type: string;
  /** chat_id or external_userid. */
  target_id: string;
  /** 'once' for relative steps; the local date (YYYY-MM-DD) of a recurring step's occurrence. */
  occurrence: string;
  staff_userid: string;
  due_at: Millis;
  /** 'pending' (no WeCom task yet) | 'waiting' (staff to confirm) | 'done' | 'failed'. */
  status: string;
  msgid: string | null;
  error: string | null;
  /** 'wecom' (seen sent in WeCom's results) | 'manual'. */
  completed_by: string | null;
  completed_at: Millis | null;
  created_at: Millis;
  updated_at: Millis;
}

/** A workbench rule: members of a segment become daily tasks for the staff who own them. */
export interface ScrmWorkbenchRulesTable {
  workspace_id: string;
  id: string;
  segment_id: string;
  /** 'follow_up_vip' | 'birthday' | 'win_back' | 'custom'. */
  kind: string;
  title_template: string;
  created_at: Millis;
  updated_at: Millis;
}

/** A generated follow-up task for one staff member and one customer on one local day. */
export interface ScrmGuideTasksTable {
  workspace_id: string;
  id: string;
  rule_id: string;
  staff_userid: string;
  external_userid: string;
  profile_id: string;
  /** Local date, YYYY-MM-DD. */
  day: string;
  kind: string;
  title: string;
  /** 'open' | 'done'. */
  status: string;
  created_at: Millis;
  done_at: Millis | null;
}

/** A message snippet for 1:1 recommendations, keyed by tags. */
export interface ScrmSnippetsTable {
  workspace_id: string;
  id: string;
  title: string;
  /** `{ text?, attachments? }` in add_msg_template's shape, JSON. */
  content: JsonColumn;
  /** Tag names or corp tag ids, JSON array. */
  tags: JsonColumn;
  created_at: Millis;
  updated_at: Millis;
}

/** The last contact between a staff member and a customer (archive messages, completed SOP tasks). */
export interface ScrmLastContactsTable {
  workspace_id: string;
  userid: string;
  external_userid: string;
  last_at: Millis;
}

/** One customer of one handover request (在职继承 / 离职继承). */
export interface ScrmHandoversTable {
  workspace_id: string;
  id: string;
  batch_id: string;
  /** 'in_service' | 'resigned'. */
  kind: string;
  from_userid: string;
  to_userid: string;
  external_userid: string;
  /** 'waiting' | 'succeeded' | 'failed'. */
  status: string;
  /** WeCom's per-customer errcode of the transfer call. */
  errcode: number | null;
  /** WeCom's transfer_result status (1 accepted, 2 waiting, 3 refused, 4 limit, 5 no customer). */
  wecom_status: number | null;
  reason: string | null;
  takeover_at: Millis | null;
  created_at: Millis;
  updated_at: Millis;
}

/** Alerts: churn (a customer deleted a staff member, or the reverse) and sensitive-word hits. */
export interface ScrmAlertsTable {
  workspace_id: string;
  id: string;
  /** 'customer_deleted_staff' | 'staff_deleted_customer' | 'keyword'. */
  kind: string;
  /** One alert per source event (redeliveries land on the same row). */
  dedup_key: string;
  userid: string | null;
  external_userid: string | null;
  profile_id: string | null;
  word: string | null;
  excerpt: string | null;
  msgid: string | null;
  /** 'pending' | 'sent' | 'not notified: ...' | 'failed: ...' | null (keyword alerts are not pushed). */
  notify_status: string | null;
  /** 'open' | 'acked'. */
  status: string;
  at: Millis;
  acked_at: Millis | null;
  created_at: Millis;
}

/** Sensitive words checked against imported conversation archives. */
export interface ScrmSensitiveWordsTable {
  workspace_id: string;
  id: string;
  word: string;
  created_at: Millis;
}

/** The Kysely database type of the SCRM operations tables. */
export interface ScrmOpsDB {
  scrm_sops: ScrmSopsTable;
  scrm_sop_tasks: ScrmSopTasksTable;
  scrm_workbench_rules: ScrmWorkbenchRulesTable;
  scrm_guide_tasks: ScrmGuideTasksTable;
  scrm_snippets: ScrmSnippetsTable;
  scrm_last_contacts: ScrmLastContactsTable;
  scrm_handovers: ScrmHandoversTable;
  scrm_alerts: ScrmAlertsTable;
  scrm_sensitive_words: ScrmSensitiveWordsTable;
}

// ── Live codes and groups (0004_scrm_livecodes; src/scrm/livecodes/, src/scrm/groups/) ─────

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

/** The Kysely database type of the live-code and group-feature tables (with the foundation's). */
export interface ScrmLiveCodesDB extends ScrmDB {
  scrm_live_codes: ScrmLiveCodesTable;
  scrm_live_code_adds: ScrmLiveCodeAddsTable;
  scrm_group_codes: ScrmGroupCodesTable;
  scrm_group_tags: ScrmGroupTagsTable;
}
