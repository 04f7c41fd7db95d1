import type { JsonColumn, Millis } from '../../platform/db/schema.js';

/** The tables of SCRM operations (src/scrm/ops/, migration 0005_scrm_ops). Owned by scrm; see ../schema.ts. */

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
