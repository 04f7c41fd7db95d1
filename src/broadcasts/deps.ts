import type { Logger } from 'pino';
import type { MessagingHubEvents, TestSendInput, TestSendResult } from '../messaging/index.js';
import type { Database } from '../platform/db/database.js';
import type { Hub } from '../platform/hub.js';
import type { KeyResolver } from '../platform/workspaces.js';
import type { BroadcastsHubEvents } from './hub-events.js';

/** What the broadcasts module needs, built once by the composition root (src/server). */
export interface BroadcastsDeps {
  database: Database;
  now: () => number;
  log: Logger;
  /**
   * Emits `broadcasts.due` (a broadcast was scheduled or sent now: the worker listens) and
   * `messaging.outbox-has-work` (messages were queued: the outbox dispatcher listens).
   */
  hub: Hub<BroadcastsHubEvents & MessagingHubEvents>;
  /** API keys (the routes take the secret key). */
  keys: KeyResolver;
  /** Port (cdp): the live profile id a reference names (`prf_…` or an identifier `type:value`); PROFILE_NOT_FOUND otherwise. */
  resolveProfile: (workspaceId: string, ref: string) => Promise<string>;
  /**
   * Messaging's test sends (`queueTestSends` over messaging's deps, which hold the cipher and
   * SCRM's ports a broadcast does not have): sent at once, guardrails reported, recipients
   * without an address refused.
   */
  queueTestSends: (input: TestSendInput) => Promise<TestSendResult[]>;
}
