import type { TrackedEvent } from './tracking.js';

/** Events the CDP tells other modules of this process about (see platform/hub.ts). */
export interface CdpHubEvents {
  /** The ingest writer committed events (after the commit): their profiles and the events themselves. */
  'cdp.events-committed': { workspaceId: string; profileIds: string[]; events: TrackedEvent[] };
}
