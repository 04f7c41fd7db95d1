import type { Logger } from 'pino';
import type { PiiKeyring } from '../platform/keys.js';
import type { Database } from '../platform/db/database.js';
import type { Hub } from '../platform/hub.js';
import type { KeyResolver } from '../platform/workspaces.js';
import type { CdpHubEvents } from './hub-events.js';
import type { ImportDeps } from './import.service.js';
import type { ProfileAudiencePort, ProfileDeps, ProfileModelsPort } from './profiles.service.js';
import type { TimelineSource } from './timeline.repo.js';
import type { IngestWriter } from './writer.js';

/** What the CDP needs (its routes, imports and profile rules), built once by the composition root. */
export interface CdpDeps {
  database: Database;
  cipher: PiiKeyring;
  now: () => number;
  log: Logger;
  /** The writer (built with `createIngestWriter` on this hub) emits `cdp.events-committed` on it. */
  hub: Hub<CdpHubEvents>;
  /** Resolves API keys to workspaces (tracking: write keys; management: secret keys). */
  keys: KeyResolver;
  /** The process's group-commit ingest writer; its `settingsFor` gives each workspace's identifier rules. */
  writer: IngestWriter;
  /** Region of phone numbers given without a country code (config `defaultPhoneRegion`). */
  defaultPhoneRegion: string;
  /** Port: timeline items other modules keep outside `events` (segment membership). */
  timelineSources: readonly TimelineSource[];
  /** Port: what the segmentation models computed for a profile (segments' `profileModels`), shown by GET /v1/profiles/:id. */
  modelsOf?: ProfileModelsPort;
  /** Port: the profile list's segment, RFM cell and lifecycle stage filters (segments' `audienceSubqueries`). */
  audienceOf?: ProfileAudiencePort;
  /**
   * Where all-or-nothing imports stage their rows: the root gives `importSpoolDir(config.dataDir)`
   * (and calls `cleanImportSpool(config.dataDir)` at start). Absent: a per-user folder in the temp dir.
   */
  importSpoolDir?: string;
  /** Tracking from browsers and through proxies (all optional; without them: no proxy trusted, addresses from the request). */
  tracking?: TrackingOptions;
}

/** How the tracking API sees its clients (config `trustedProxies`, `publicUrl`). */
export interface TrackingOptions {
  /** Proxies (addresses, CIDR ranges) whose X-Forwarded-For/-Proto/-Host are believed; none by default. */
  trustedProxies?: readonly string[];
  /** The URL browsers reach Siyu by (`https://cdp.example.com`), for the SDK settings' apiHost; default: the request's Host. */
  publicUrl?: string;
}

/** The profile rules' dependencies (also what the root gives other modules that resolve profile references). */
export function profileDepsOf(
  deps: Pick<CdpDeps, 'database' | 'cipher' | 'writer' | 'defaultPhoneRegion' | 'now' | 'timelineSources' | 'modelsOf' | 'audienceOf'>,
): ProfileDeps {
  return {
    database: deps.database,
    cipher: deps.cipher,
    rulesFor: async (ws) => (await deps.writer.settingsFor(ws)).rules,
    defaultRegion: deps.defaultPhoneRegion,
    now: deps.now,
    timelineSources: deps.timelineSources,
    modelsOf: deps.modelsOf,
    audienceOf: deps.audienceOf,
  };
}

/** An import's dependencies (the API route and `siyu import`). */
export function importDeps(deps: Pick<CdpDeps, 'database' | 'cipher' | 'writer' | 'defaultPhoneRegion' | 'now' | 'importSpoolDir'>): ImportDeps {
  return {
    spoolDir: deps.importSpoolDir,
    writer: deps.writer,
    database: deps.database,
    ingest: { dialect: deps.database.dialect, cipher: deps.cipher, now: deps.now },
    defaultRegion: deps.defaultPhoneRegion,
  };
}
