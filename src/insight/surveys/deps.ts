import type { Kysely } from 'kysely';
import type { SurveyLinkSigner } from './links.js';

/** A follow-up task for the staff member who owns a customer (scrm's guide tasks). */
export interface FollowUpTaskInput {
  /** The profile and the ids merged into it (a WeCom contact may name either). */
  profileIds: string[];
  /** The staff member to give it to when they follow the customer (a survey sent by staff); else the owner. */
  preferStaff?: string;
  /** Unique per task source: the same key twice makes one task. */
  sourceKey: string;
  kind: string;
  title: string;
  now: number;
  /** The workspace's time zone (the task is for today there). */
  timeZone: string;
}

/** What the surveys feature needs beyond insight's common deps; the root fills the ports. */
export interface SurveyPorts {
  signer: SurveyLinkSigner;
  /** Port (cdp): the live profile id a reference names (`prf_…` or `type:value`); PROFILE_NOT_FOUND otherwise. */
  resolveProfile: (workspaceId: string, ref: string) => Promise<string>;
  /**
   * Port (scrm): makes a follow-up task for the customer's owning staff member in the caller's
   * transaction; undefined when the profile is no WeCom customer anybody follows.
   */
  followUpTask: (db: Kysely<any>, workspaceId: string, input: FollowUpTaskInput) => Promise<{ id: string; staffUserid: string } | undefined>;
}
