import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Dialect } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import type { WeComClient } from '../wecom/index.js';

/**
 * What the callback processor (and incremental sync) tells the SCRM features about, after the
 * SCRM state and the timeline event for it are committed. Listeners (live codes, churn alerts,
 * handover, groups, SOPs) must be idempotent: an event can be delivered again after a crash.
 */
export type ScrmEvent =
  | {
      type: 'contact.added';
      workspaceId: string;
      userid: string;
      externalUserid: string;
      profileId: string;
      /** `State` of the contact way (channel attribution), if the customer came through one. */
      state?: string;
      /** `WelcomeCode`: valid for 20 s from `at`, one use (send_welcome_msg). */
      welcomeCode?: string;
      /** Customer's WeChat name when known (for "{name}" in welcome messages). */
      contactName?: string;
      /** true for add_half_external_contact (the customer has not yet accepted). */
      half?: boolean;
      at: number;
    }
  | { type: 'contact.edited'; workspaceId: string; userid: string; externalUserid: string; profileId: string; at: number }
  /** del_follow_user: the customer deleted the staff member (churn alert). */
  | { type: 'contact.deleted_by_customer'; workspaceId: string; userid: string; externalUserid: string; profileId: string; at: number }
  /** del_external_contact: the staff member deleted the customer. */
  | { type: 'contact.deleted_by_staff'; workspaceId: string; userid: string; externalUserid: string; profileId: string; at: number }
  /** transfer_fail: a handover of the customer to `userid` failed. */
  | { type: 'transfer.failed'; workspaceId: string; userid: string; externalUserid: string; failReason: string; at: number }
  | { type: 'group.created'; workspaceId: string; chatId: string; at: number }
  | {
      type: 'group.updated';
      workspaceId: string;
      chatId: string;
      /** WeCom's UpdateDetail: add_member, del_member, change_owner, change_name, change_notice. */
      updateDetail: string;
      joinScene?: number;
      quitScene?: number;
      memberIds: string[];
      at: number;
    }
  | { type: 'group.dismissed'; workspaceId: string; chatId: string; at: number }
  | { type: 'tag.changed'; workspaceId: string; changeType: 'create' | 'update' | 'delete' | 'shuffle'; tagType: 'tag' | 'tag_group'; id: string; at: number };

/** What a listener (and every SCRM feature) may use; built from the module by `scrmContextOf` (context.ts). */
export interface ScrmContext {
  /** The database, typed with the core schema; features type their tables with `scrmDb` (schema.ts). */
  db: Kysely<DB>;
  dialect: Dialect;
  now: () => number;
  log: Logger;
  /** The workspace's WeCom client (from its stored connection); throws if none is configured. */
  clientFor: (workspaceId: string) => Promise<WeComClient>;
  /** IANA time zone of a workspace (settings.timezone, else the process default): days of caps, statistics and SOP schedules are its local days. */
  timeZoneOf: (workspaceId: string) => Promise<string>;
}

/** Told about an SCRM event after its state is committed; must be idempotent (an event can be delivered again after a crash). */
export type ScrmListener = (event: ScrmEvent, ctx: ScrmContext) => Promise<void>;
