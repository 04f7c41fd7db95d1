/**
 * What the SCRM module needs from the composition root (`ScrmDeps`), and the module as a process
 * holds it (`Scrm`: the deps plus its per-process state). Routes and workers take a `Scrm`, built
 * once per process by `createScrm` (scrm.ts).
 */
import type { Logger } from 'pino';
import type { IngestWriter } from '../cdp/index.js';
import type { PiiKeyring } from '../platform/keys.js';
import type { Database } from '../platform/db/database.js';
import type { Hub } from '../platform/hub.js';
import type { KeyResolver } from '../platform/workspaces.js';
import type { WeComConnections } from './connection.service.js';
import type { ScrmHubEvents } from './hub-events.js';
import type { ScrmListeners } from './listeners.js';
import type { ReplayGuard } from './replay-guard.js';

/** What the composition root gives the SCRM module. */
export interface ScrmDeps {
  database: Database;
  /** Encrypts the WeCom secrets at rest; decrypts PII identifiers for the ingest path. */
  cipher: PiiKeyring;
  /** Epoch ms (the injected clock). */
  now: () => number;
  log: Logger;
  /** SCRM emits `scrm.inbox-has-work` (the callback route) and hears it (the inbox worker). */
  hub: Hub<ScrmHubEvents>;
  /** The workspace's IANA time zone (settings.timezone, else SIYU_DEFAULT_TIMEZONE). */
  timeZoneOf: (workspaceId: string) => Promise<string>;
  /** CDP's ingest writer: callbacks, the full sync and archive imports store timeline events and identify calls through it. */
  writer: Pick<IngestWriter, 'submit' | 'settingsFor' | 'exclusive'>;
  /** API keys, for the secret-key routes. */
  keys: KeyResolver;
  /** Region of phone numbers written without a country code (SIYU_DEFAULT_PHONE_REGION). */
  defaultPhoneRegion: string;
  /** Accepted distance of a callback's timestamp from the clock, ms (default 300,000). */
  callbackWindowMs?: number;
  /** WeCom's API base URL for connections that name none (default https://qyapi.weixin.qq.com). */
  wecomApiBaseUrl?: string;
  /** Port (cdp's profiles): the live profile id of a reference (`prf_...` or `type:value`), or a coded error (PROFILE_NOT_FOUND). */
  resolveProfileRef: (workspaceId: string, ref: string) => Promise<string>;
}

/** The SCRM module of a process: its deps and its per-process state. */
export interface Scrm extends ScrmDeps {
  /** WeCom clients and callback keys per workspace (cached, rebuilt on change). */
  connections: WeComConnections;
  /** Listeners told about SCRM events once their state is committed (the features register theirs in createScrm). */
  listeners: ScrmListeners;
  /** Exact callback replays seen by this process. */
  replay: ReplayGuard;
}
