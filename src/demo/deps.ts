/**
 * What the demo module needs: the owning modules' deps, because the demo writes only through their
 * published functions (cdp's import, segments, messaging templates, journeys, broadcasts).
 */
import type { BroadcastsDeps } from '../broadcasts/index.js';
import type { CdpDeps } from '../cdp/index.js';
import type { JourneyDeps } from '../journeys/index.js';
import type { MessagingDeps } from '../messaging/index.js';
import type { KeyResolver } from '../platform/workspaces.js';
import type { MembershipDeps, SegmentsDeps } from '../segments/index.js';

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
}
