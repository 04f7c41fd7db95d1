import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { PiiCipher } from '../platform/crypto.js';
import type { Database } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import type { ScrmDB } from '../scrm/schema.js';
import type { WeComClient } from '../wecom/client.js';
import type { LinkSigner } from './links.js';
import type { MessagingDB } from './schema.js';

/** The tables messaging reads and writes: core (profiles, identities, events), its own, and SCRM's (read only). */
export type MsgDB = DB & MessagingDB & ScrmDB;

/** The database typed with the messaging tables. */
export function mdb(db: Kysely<any>): Kysely<MsgDB> {
  return db as Kysely<MsgDB>;
}

/** What the messaging services need, built once by the composition root (see `messagingDeps`). */
export interface MessagingDeps {
  database: Database;
  cipher: PiiCipher;
  links: LinkSigner;
  now: () => number;
  log: Logger;
  /** The time zone of workspaces whose settings name none (SIYU_DEFAULT_TIMEZONE). */
  defaultTimeZone: string;
  /** Region of phone numbers written without a country code (SIYU_DEFAULT_PHONE_REGION; default CN): SMS addresses and replies are compared in E.164. */
  defaultPhoneRegion?: string;
  /** The workspace's WeCom client (from its stored connection); throws CHANNEL_NOT_CONFIGURED if none. */
  wecomClientFor: (workspaceId: string) => Promise<WeComClient>;
  /** Outbound HTTP for the HTTP channels (replaceable in tests only to inject faults). */
  fetch: typeof globalThis.fetch;
}
