/**
 * What the segments module needs from the process (the composition root builds it): the
 * database, the clock, the log, the hub, the settings it reads, and ports for what modules it may
 * not import (or need not know) provide.
 */
import type { Logger } from 'pino';
import type { CdpHubEvents, ProfileCard } from '../cdp/index.js';
import type { Database } from '../platform/db/database.js';
import type { StatementLimits } from '../platform/db/statement-limits.js';
import type { Hub } from '../platform/hub.js';
import type { KeyResolver } from '../platform/workspaces.js';
import type { SegmentsHubEvents } from './hub-events.js';

/** The hub as segments uses it: it emits its own events and hears cdp's committed events. */
export type SegmentsHub = Hub<SegmentsHubEvents & Pick<CdpHubEvents, 'cdp.events-committed'>>;

/** The segments module's dependencies (routes, worker, services). */
export interface SegmentsDeps {
  database: Database;
  now: () => number;
  log: Logger;
  /** The workspace's time zone (settings.timezone, else the process default). */
  timeZoneOf: (workspaceId: string) => Promise<string>;
  hub: SegmentsHub;
  /** API keys, for the routes' secret-key check. */
  keys: KeyResolver;
  /** Time zone of a workspace that has none set (SIYU_DEFAULT_TIMEZONE), for the models. */
  defaultTimeZone: string;
  /** Minutes between the worker's scheduled re-checks (SIYU_SEGMENT_RECHECK_MINUTES); 0 disables the schedule. */
  recheckMinutes: number;
  /** In-place recompute range size (SIYU_SEGMENT_RANGE_SIZE); undefined: sized by time. */
  rangeSize?: number;
  /**
   * Limits of each statement of a preview (requests) and of the worker's recomputes and change
   * feed (SIYU_SEGMENT_PREVIEW_TIMEOUT_MS, SIYU_SEGMENT_RECOMPUTE_TIMEOUT_MS, SIYU_SEGMENT_WORK_MEM).
   */
  queryLimits: { preview: StatementLimits; recompute: StatementLimits };
  /** Port (cdp's ingest writer): start of the oldest write transaction still open in this process; the feed stays behind it. */
  oldestWrite: () => number | undefined;
  /** Port (cdp's profiles): the live profile id of a reference (`prf_...` or `type:value`), or a coded error. */
  resolveProfileRef: (workspaceId: string, ref: string) => Promise<string>;
  /** Port (cdp's profiles, with the PII cipher): names and identifiers of profiles by id, for member lists; absent, members show ids only. */
  profileCards?: (workspaceId: string, ids: readonly string[]) => Promise<Map<string, ProfileCard>>;
}
