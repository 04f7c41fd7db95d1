import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { PiiKeyring } from '../platform/keys.js';
import type { Database } from '../platform/db/database.js';
import type { Hub } from '../platform/hub.js';
import type { OutboundAllowList } from '../platform/outbound.js';
import type { KeyResolver } from '../platform/workspaces.js';
import type { WeComClient } from '../wecom/index.js';
import type { MessagingHubEvents } from './hub-events.js';
import type { LinkSigner, SurveyUrlRequest } from './links.js';
import type { MessagingDB } from './schema.js';

/**
 * A connection or transaction handed across a module boundary: journeys, broadcasts and scrm pass
 * their own transactions to the outbox, and messaging passes its transaction to the ports below.
 * `any` because Kysely's database types do not convert into one another (a `Transaction<A & B>`
 * is not a `Kysely<B>`); each side views it through its own tables (`mdb` here).
 */
export type CallerDb = Kysely<any>;

/** The database typed with messaging's own tables (a view, not a cast: `CallerDb` is untyped). */
export function mdb(db: CallerDb): Kysely<MessagingDB> {
  return db;
}

/** The staff member who sends to a WeCom group, and whether the group is still active. */
export interface WeComGroupOwner {
  owner: string;
  status: string;
}

/** What the messaging module needs, built once by the composition root (src/server). */
export interface MessagingDeps {
  database: Database;
  cipher: PiiKeyring;
  links: LinkSigner;
  now: () => number;
  log: Logger;
  /** The dispatcher listens to `messaging.outbox-has-work`; the API routes emit it after queueing. */
  hub: Hub<MessagingHubEvents>;
  /** API keys (the management routes take the secret key). */
  keys: KeyResolver;
  /** The time zone of workspaces whose settings name none (SIYU_DEFAULT_TIMEZONE). */
  defaultTimeZone: string;
  /** Region of phone numbers written without a country code (SIYU_DEFAULT_PHONE_REGION; default CN): SMS addresses and replies are compared in E.164. */
  defaultPhoneRegion?: string;
  /**
   * Outbound HTTP for the HTTP channels (webhook, SMS gateway, official account, mini program):
   * the root gives the guarded fetch (platform/outbound.ts), which refuses internal addresses at
   * connect time unless allow-listed. Replaceable in tests only to inject faults.
   */
  fetch: typeof globalThis.fetch;
  /** The operator's allow list of internal destinations (SIYU_OUTBOUND_ALLOW): channel URLs naming an internal address literally are refused when saved unless it allows them. */
  outboundAllow: OutboundAllowList;
  /** Port (scrm): the workspace's WeCom client (from its stored connection); throws CHANNEL_NOT_CONFIGURED if none. */
  wecomClientFor: (workspaceId: string) => Promise<WeComClient>;
  /** Port (cdp): the live profile id a reference names (`prf_…` or an identifier `type:value`); PROFILE_NOT_FOUND otherwise. */
  resolveProfile: (workspaceId: string, ref: string) => Promise<string>;
  /**
   * Port (cdp, issue #19): consent given anew for an erased identifier — when `ref` is a tombstoned
   * identifier nobody holds, lifts the tombstone and answers the fresh profile that holds it; else undefined.
   */
  reviveErased?: (workspaceId: string, ref: string) => Promise<string | undefined>;
  /** Port (scrm): a WeCom group's owner and status, read in the dispatcher's transaction `db`; undefined for a group SCRM does not know. */
  wecomGroupOwner: (db: CallerDb, workspaceId: string, chatId: string) => Promise<WeComGroupOwner | undefined>;
  /**
   * Port (scrm): the staff member who follows a WeCom customer (the one who added them first; only
   * `sender` when given), read in the dispatcher's transaction `db`; undefined when nobody does.
   */
  wecomFollower: (db: CallerDb, workspaceId: string, externalUserid: string, sender?: string) => Promise<string | undefined>;
  /**
   * Port (insight): the signed answer link of a survey for a message's recipient under the
   * workspace's link base URL (synchronous: signing only). Without it `survey_url` renders empty.
   */
  surveyUrl?: (baseUrl: string, req: SurveyUrlRequest) => string;
}

/** Just a database handle, a connection or a transaction: what the readers of messaging's own tables need. */
export interface DbScope {
  database: { db: CallerDb };
}
