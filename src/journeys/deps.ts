import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { CdpHubEvents } from '../cdp/index.js';
import type { ChannelName, MessagingHubEvents } from '../messaging/index.js';
import type { Database } from '../platform/db/database.js';
import type { Hub } from '../platform/hub.js';
import type { KeyResolver } from '../platform/workspaces.js';
import type { SegmentsHubEvents } from '../segments/index.js';
import type { Conn } from './db.js';
import type { JourneysHubEvents } from './hub-events.js';

/** The hub events journeys hear (committed events, membership changes, its own entries) or emit (outbox has work, entered). */
export type JourneysHub = Hub<CdpHubEvents & SegmentsHubEvents & MessagingHubEvents & JourneysHubEvents>;

/**
 * What an award step asks of a loyalty module. Each call carries an idempotency key; a repeat must
 * change nothing. The transaction is untyped on purpose: the loyalty module writes its own tables,
 * which journeys does not know, in the transaction that advances the step. A loyalty module without
 * coupons leaves `issueCoupon` out: coupon awards are then skipped (and publish says so); with
 * `couponTemplateProblem`, publish also warns about a coupon template that cannot issue.
 */
export interface LoyaltyPort {
  awardPoints(
    trx: Kysely<any>,
    input: { workspaceId: string; profileId: string; points: number; reason: string; idempotencyKey: string; now: number },
  ): Promise<{ ok: true; detail?: string } | { ok: false; reason: string }>;
  issueCoupon?(
    trx: Kysely<any>,
    input: { workspaceId: string; profileId: string; couponTemplateId: string; reason: string; idempotencyKey: string; now: number },
  ): Promise<{ ok: true; couponCode?: string } | { ok: false; reason: string }>;
  /**
   * Why coupons of a template cannot be issued now (no such template, paused, archived, out of
   * stock), or undefined when they can; read in the publish transaction for the publish warnings.
   */
  couponTemplateProblem?(db: Kysely<any>, input: { workspaceId: string; couponTemplateId: string }): Promise<string | undefined>;
}

/**
 * Port (scrm): chat ids of the workspace's active WeCom customer groups, ordered by chat id, among
 * `chatIds` and with a name containing `nameContains` when given, read on `db` (a connection or the
 * trigger pass's transaction). The root fills it with scrm's `activeGroupChatIds`.
 */
export type ActiveGroupChatIds = (db: Conn, ws: string, filter: { chatIds?: string[]; nameContains?: string }) => Promise<string[]>;

/**
 * Port (messaging, and scrm for the WeCom channels): whether the workspace can send on `channel`
 * (its channel configuration is stored; for `wecom` and `wecom_group`, a WeCom connection exists).
 */
export type ChannelConfigured = (db: Conn, ws: string, channel: ChannelName) => Promise<boolean>;

/** What the journey engine needs; the composition root builds it. */
export interface JourneyDeps {
  database: Database;
  now: () => number;
  log: Logger;
  /** The time zone of workspaces whose settings name none (SIYU_DEFAULT_TIMEZONE). */
  defaultTimeZone: string;
  /** Wake-ups: hears committed events, membership changes and entries; tells the dispatcher about queued messages. */
  hub: JourneysHub;
  /** The loyalty module, when one is installed; award steps are skipped (and say so) without it. */
  loyalty?: LoyaltyPort;
  /**
   * Port (scrm's `activeGroupChatIds`): the groups of a `wecom_group` schedule audience with a name
   * filter. Optional until the root passes it: without it such an occurrence waits (logged as an error).
   */
  activeGroupChatIds?: ActiveGroupChatIds;
  /** Port: whether a channel is configured, for the publish warnings; without it channels are not checked. */
  channelConfigured?: ChannelConfigured;
}

/** What the journeys API needs besides the engine's deps: the key resolver of its secret-key routes. */
export interface JourneyRoutesDeps extends JourneyDeps {
  keys: KeyResolver;
}
