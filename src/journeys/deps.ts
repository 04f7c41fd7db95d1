import type { Kysely } from 'kysely';
import type { Services } from '../server/app.js';
import type { Logger } from 'pino';
import type { Database } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import type { MessagingDB } from '../messaging/index.js';
import type { ScrmDB } from '../scrm/schema.js';
import type { JourneysDB } from './schema.js';
import { parseJson } from '../platform/db/database.js';
import { isTimeZone } from '../platform/time.js';

/** The tables journeys read and write: core, its own, and (read only) messaging's log and SCRM's groups. */
export type JDB = DB & JourneysDB & MessagingDB & ScrmDB;

/** The database typed with the journeys tables. */
export function jdb(db: Kysely<any>): Kysely<JDB> {
  return db as Kysely<JDB>;
}

/** What an award step asks of a loyalty module. Each call carries an idempotency key; a repeat must change nothing. */
export interface LoyaltyPort {
  awardPoints(
    trx: Kysely<any>,
    input: { workspaceId: string; profileId: string; points: number; reason: string; idempotencyKey: string; now: number },
  ): Promise<{ ok: true; detail?: string } | { ok: false; reason: string }>;
  issueCoupon(
    trx: Kysely<any>,
    input: { workspaceId: string; profileId: string; couponTemplateId: string; reason: string; idempotencyKey: string; now: number },
  ): Promise<{ ok: true; couponCode?: string } | { ok: false; reason: string }>;
}

/** What the journey engine needs, built once by the composition root (see `journeyDeps`). */
export interface JourneyDeps {
  database: Database;
  now: () => number;
  log: Logger;
  /** The time zone of workspaces whose settings name none (SIYU_DEFAULT_TIMEZONE). */
  defaultTimeZone: string;
  /** The loyalty module, when one is installed; award steps are skipped (and say so) without it. */
  loyalty?: LoyaltyPort;
  /** Told after a commit that queued messages (wakes the messaging dispatcher). */
  onMessages?: () => void;
  /** Told after new entries (wakes the executor). */
  onEntered?: () => void;
}

/** The journey deps, taken from the process services (the dispatcher and the worker are woken when present). */
export function journeyDeps(s: Services, extra: Partial<JourneyDeps> = {}): JourneyDeps {
  return {
    database: s.database,
    now: () => s.clock.now(),
    log: s.log,
    defaultTimeZone: s.config.defaultTimezone,
    onMessages: () => s.messagingDispatcher?.wake(),
    ...extra,
  };
}
