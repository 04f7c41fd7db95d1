/**
 * What the insight module needs from the process (the composition root builds it). Insight reads
 * the other modules' data only through their published functions (cdp: events, orders, profiles;
 * segments: members and scores; messaging: message outcomes; journeys; scrm: contacts and groups).
 */
import type { Logger } from 'pino';
import type { Database } from '../platform/db/database.js';
import type { Hub } from '../platform/hub.js';
import type { KeyResolver } from '../platform/workspaces.js';
import type { CdpHubEvents } from '../cdp/index.js';
import type { SegmentsHubEvents } from '../segments/index.js';
import type { InsightHubEvents } from './hub-events.js';

/** The insight module's dependencies (routes and workers). */
export interface InsightDeps {
  database: Database;
  now: () => number;
  log: Logger;
  /** The process's hub: insight hears `cdp.events-committed` (the metrics cache's invalidation) and asks segments to recompute (CLV traits changed under trait rules). */
  hub: Hub<InsightHubEvents & Pick<CdpHubEvents, 'cdp.events-committed'> & SegmentsHubEvents>;
  /** API keys, for the routes' secret-key check. */
  keys: KeyResolver;
  /** The workspace's time zone (days, weeks and months of metrics are its local ones). */
  timeZoneOf: (workspaceId: string) => Promise<string>;
  /** A profile reference (id or `type:value`) to the live profile id; cdp's PROFILE_NOT_FOUND otherwise. */
  resolveProfile: (workspaceId: string, ref: string) => Promise<string>;
}
