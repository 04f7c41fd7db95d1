/**
 * What the demo module needs: the owning modules' deps, because the demo writes only through their
 * published functions (cdp's import, segments, messaging, journeys, broadcasts, scrm, loyalty), and the
 * stand-ins for WeCom and the SMS gateway when the process has them.
 */
import type { BroadcastsDeps } from '../broadcasts/index.js';
import type { CdpDeps } from '../cdp/index.js';
import type { JourneyDeps } from '../journeys/index.js';
import type { LoyaltyDeps } from '../loyalty/index.js';
import type { MessagingDeps } from '../messaging/index.js';
import type { KeyResolver } from '../platform/workspaces.js';
import type { Scrm } from '../scrm/index.js';
import type { MembershipDeps, SegmentsDeps } from '../segments/index.js';
import type { DemoSandboxes } from './sandboxes.js';

/** The demo module's dependencies (the composition root builds them from the services). */
export interface DemoDeps {
  now: () => number;
  /** API keys and console sessions, for the route's secret-key check. */
  keys: KeyResolver;
  cdp: Pick<CdpDeps, 'database' | 'cipher' | 'writer' | 'defaultPhoneRegion' | 'now' | 'importSpoolDir'>;
  segments: SegmentsDeps;
  membership: MembershipDeps;
  messaging: MessagingDeps;
  journeys: JourneyDeps;
  broadcasts: BroadcastsDeps;
  /** Loyalty: the tier program, the earning rule, opening balances, a coupon template. */
  loyalty: LoyaltyDeps;
  /** The SCRM module: the WeCom connection, live codes, callbacks and the full sync. */
  scrm: Scrm;
  /** The WeCom sandbox and SMS gateway stand-ins; without them the demo has no WeCom data and sends nothing (docs/demo.md). */
  sandboxes?: DemoSandboxes;
  /** This server's public address, for tracked links when the workspace has none set (SIYU_PUBLIC_URL, else the listening address). */
  publicUrl: string;
}
