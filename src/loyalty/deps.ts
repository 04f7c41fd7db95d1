import type { Logger } from 'pino';
import type { TokenSigner } from '../platform/crypto.js';
import type { CdpHubEvents } from '../cdp/index.js';
import type { Hub } from '../platform/hub.js';
import type { Database } from '../platform/db/database.js';
import type { KeyResolver } from '../platform/workspaces.js';
import type { Conn } from './ledger.repo.js';
import type { GroupBuysLedPort, TierDaysPort } from './referrals.ports.js';

/** What the loyalty module needs, built by the composition root (src/server). */
export interface LoyaltyDeps {
  database: Database;
  now: () => number;
  log: Logger;
  /** API keys (the routes take the secret key). */
  keys: KeyResolver;
  /** Port (cdp): the live profile id a reference names (`prf_…` or an identifier `type:value`); PROFILE_NOT_FOUND otherwise. */
  resolveProfile: (workspaceId: string, ref: string) => Promise<string>;
  /** The time zone of workspaces whose settings name none (coupon validity counts local days). */
  defaultTimeZone: string;
  /** Signs coupon claim links (a key derived from the master key for this purpose only). */
  claimTokens: TokenSigner;
  /** Signs member tokens: a signer under a key derived from the master key for member tokens of this workspace only. */
  memberTokens: (workspaceId: string) => TokenSigner;
  /** The workspace's time zone (days, weeks, months, years and check-ins are counted in it). */
  timeZoneOf: (workspaceId: string) => Promise<string>;
  /** Hub (cdp's committed events wake the loyalty worker). */
  hub: Hub<CdpHubEvents>;
  /** The points multiplier of a member's tier (read on `conn`, the engine's transaction); the worker fills it with the tiers' own (members.service.ts) where the root gives none. */
  tierMultiplier?: (workspaceId: string, profileId: string, conn?: Conn) => Promise<number>;
  /** Port (the tiers, filled by the root): gives referral rewards in tier days; absent, such rewards fail with TIER_DAYS_UNAVAILABLE. */
  tierDays?: TierDaysPort;
  /** Formed group-buys each profile led, for the KOC score; absent, loyalty's own group-buys (groupBuysLedMany). */
  groupBuysLed?: GroupBuysLedPort;
}
