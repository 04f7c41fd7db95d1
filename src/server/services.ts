/**
 * The composition root's process state: one database (two pools on PostgreSQL: requests and
 * background work), one hub, one ingest writer, the key resolver and cipher, and each module's
 * deps built from them. Only src/server/ knows the whole; modules see their own narrow deps.
 */
import type { Logger } from 'pino';
import {
  type CdpDeps,
  type CdpHubEvents,
  cleanImportSpool,
  createIngestWriter,
  importSpoolDir,
  createRuleBook,
  type IngestWriter,
  mergedIdsOf,
  profileDepsOf,
  resolveProfileRef,
  profileCards,
  type TimelineSource,
  type WorkspaceIngestSettings,
} from '../cdp/index.js';
import { type AccessDeps, createConsoleAuth, type GuideScope } from '../access/index.js';
import type { DemoSandboxes, DemoSandboxFactory } from '../demo/index.js';
import type { BroadcastsHubEvents, BroadcastWorker } from '../broadcasts/index.js';
import { journeyTimelineSource, type JourneysHubEvents, type JourneyWorker } from '../journeys/index.js';
import type { ClvWorker, InsightHubEvents } from '../insight/index.js';
import type { RetentionWorker } from '../compliance/index.js';
import type { CouponWorker, LoyaltyHubEvents, LoyaltyWorker } from '../loyalty/index.js';
import { createLinkSigner, type Dispatcher, type LinkSigner, type MessagingHubEvents, sendWorkspaceEmail } from '../messaging/index.js';
import { type Clock, systemClock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import { createKeyring, type PiiKeyring } from '../platform/keys.js';
import type { Loop } from '../platform/loop.js';
import { type Database, openDatabase } from '../platform/db/database.js';
import { createHub, type Hub } from '../platform/hub.js';
import { createGuardedFetch, type OutboundAllowList, parseAllowList } from '../platform/outbound.js';
import { createKeyResolver, getWorkspace, type KeyResolver } from '../platform/workspaces.js';
import {
  staffFollowsProfile,
  taskStaff,
  createScrm,
  type InboxWorker,
  type LiveCodeWorker,
  type Scrm,
  type ScrmDeps,
  type ScrmHubEvents,
  type ScrmOpsWorker,
} from '../scrm/index.js';
import {
  audienceSubqueries,
  type MembershipDeps,
  membershipOf,
  profileModels,
  type SegmentsDeps,
  type SegmentsHubEvents,
  segmentTimelineSource,
  type SegmentWorker,
} from '../segments/index.js';
import { createLogger } from './logger.js';
import { migrateSiyu } from './migrations.js';

/** Every module's hub events: the one hub of a process carries them all. */
export type SiyuHubEvents = CdpHubEvents &
  SegmentsHubEvents &
  MessagingHubEvents &
  JourneysHubEvents &
  BroadcastsHubEvents &
  ScrmHubEvents &
  LoyaltyHubEvents &
  InsightHubEvents;

/** The process state the root builds once and hands out piecewise (routes, workers, CLI commands). */
export interface Services {
  config: Config;
  /** The database of API requests: on PostgreSQL a pool with short time limits (SIYU_DB_API_TIMEOUT_MS). */
  database: Database;
  /** The database of background work: on PostgreSQL a pool with long limits (SIYU_DB_WORKER_TIMEOUT_MS); on SQLite the same as `database`. */
  workerDatabase: Database;
  writer: IngestWriter;
  /** The in-process hub (platform/hub.ts) over every module's events. */
  hub: Hub<SiyuHubEvents>;
  keys: KeyResolver;
  cipher: PiiKeyring;
  clock: Clock;
  log: Logger;
  /** Signs tracked links and unsubscribe links (messaging). */
  links: LinkSigner;
  /** Outbound HTTP to tenant-configured addresses: internal destinations refused unless allow-listed (platform/outbound.ts). */
  outboundFetch: typeof globalThis.fetch;
  /** The operator's allow list of internal destinations (SIYU_OUTBOUND_ALLOW), parsed. */
  outboundAllow: OutboundAllowList;
  /** The workspace's time zone (settings.timezone, else SIYU_DEFAULT_TIMEZONE). */
  timeZoneOf: (workspaceId: string) => Promise<string>;
  /** Drops this process's cached ingest settings of a workspace (after its time zone changed); other processes see a change within 30 s. */
  forgetWorkspaceSettings: (workspaceId: string) => void;
  /** Timeline items other modules keep outside `events` (segment membership). */
  timelineSources: TimelineSource[];
  cdp: CdpDeps;
  segments: SegmentsDeps;
  /** What segment membership needs (the CLI and tests use it). */
  membership: MembershipDeps;
  /** SCRM: WeCom connections, callback replay record, the SCRM event listeners. */
  scrm: Scrm;
  /** Console users, sessions and roles (the key resolver's `console` is built from it). */
  access: AccessDeps;
  /** The demo brand's stand-ins (WeCom sandbox, SMS gateway) when the CLI or a test gave them (docs/demo.md). */
  demoSandboxes?: DemoSandboxes;
  /** Workers this process runs (see workers.ts), each set when started. */
  segmentWorker?: SegmentWorker;
  inboxWorker?: InboxWorker;
  messagingDispatcher?: Dispatcher;
  broadcastWorker?: BroadcastWorker;
  journeyWorker?: JourneyWorker;
  scrmOpsWorker?: ScrmOpsWorker;
  liveCodeWorker?: LiveCodeWorker;
  clvWorker?: ClvWorker;
  couponWorker?: CouponWorker;
  loyaltyWorker?: LoyaltyWorker;
  keyRotationWorker?: Loop;
  retentionWorker?: RetentionWorker;
  /** Closes the databases this process opened (not one passed in by the caller). */
  close(): Promise<void>;
}

/** Options of {@link createServices}; tests pass their own database and clock. */
export interface ServicesOptions {
  /** An open database to use for requests and background work alike (tests); otherwise opened from the config. */
  database?: Database;
  log?: Logger;
  clock?: Clock;
  /** Apply pending migrations first (default true). */
  migrate?: boolean;
  /**
   * The demo brand's stand-ins for WeCom and an SMS gateway (development tools: the CLI and tests
   * pass wecom-sandbox's `createDemoSandboxes`, which product code may not import). Messaging's
   * outbound requests to the stand-ins' host are answered by them; all others go out guarded.
   */
  demoSandboxes?: DemoSandboxFactory;
}

/** Opens the database(s) the config names: two PostgreSQL pools with different limits, or one SQLite file. */
function openDatabases(config: Config, log: Logger): { api: Database; worker: Database } {
  const onPoolError = (err: Error) =>
    log.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, 'database connection lost; a new one is opened on next use');
  if (!config.databaseUrl) {
    const d = openDatabase({ dataDir: config.dataDir });
    return { api: d, worker: d };
  }
  const base = { databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize, onPoolError };
  // The client's own limit sits 2 s above the server's, so a live server answers with its error
  // (57014) first and only a frozen or unreachable one trips the client's.
  const api = openDatabase({
    ...base,
    timeouts: { connectMs: config.dbConnectTimeoutMs, statementMs: config.dbApiTimeoutMs, queryMs: config.dbApiTimeoutMs + 2_000 },
  });
  const worker = openDatabase({
    ...base,
    timeouts: { connectMs: config.dbConnectTimeoutMs, statementMs: config.dbWorkerTimeoutMs, queryMs: config.dbWorkerTimeoutMs + 2_000 },
  });
  return { api, worker };
}

/** The statement limits of segment previews and of the worker's recomputes and feed. */
function segmentQueryLimits(config: Config): SegmentsDeps['queryLimits'] {
  return {
    preview: { timeoutMs: config.segmentPreviewTimeoutMs, workMem: config.segmentWorkMem },
    recompute: { timeoutMs: config.segmentRecomputeTimeoutMs, workMem: config.segmentWorkMem },
  };
}

/** Applies migrations on a connection of their own without time limits (an index on a large table takes as long as it takes). */
async function migrate(config: Config, database: Database | undefined, log: Logger): Promise<void> {
  const own = database ?? (config.databaseUrl ? openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 }) : undefined);
  const target = own ?? openDatabase({ dataDir: config.dataDir });
  try {
    const applied = await migrateSiyu(target.db, target.dialect.engine);
    if (applied.length) log.info({ applied }, 'migrations applied');
  } finally {
    if (!database) await target.close();
  }
}

/** The ingest settings of a workspace (identity rules, currency, time zone), read through a 30-second cache (`forget` drops one). */
function workspaceSettingsReader(database: Database, config: Config): ((ws: string) => Promise<WorkspaceIngestSettings>) & { forget(ws: string): void } {
  const cache = new Map<string, { value: WorkspaceIngestSettings; until: number }>();
  const read = async (ws: string) => {
    const hit = cache.get(ws);
    if (hit && hit.until > Date.now()) return hit.value;
    const s = (await getWorkspace(database.db, ws))?.settings ?? {};
    const value = {
      rules: createRuleBook(Array.isArray(s.identityRules) ? s.identityRules : undefined),
      currency: s.currency ?? 'CNY',
      timeZone: s.timezone ?? config.defaultTimezone,
    };
    cache.set(ws, { value, until: Date.now() + 30_000 });
    return value;
  };
  return Object.assign(read, { forget: (ws: string) => void cache.delete(ws) });
}

/** What keeps a console guide to their own customers and tasks: cdp resolves the profile, scrm knows who follows it. */
function guideScope(database: Database, profiles: ReturnType<typeof profileDepsOf>): GuideScope {
  return {
    async ownsProfile(ws, userid, ref) {
      const live = await resolveProfileRef(profiles, ws, ref).catch(() => undefined);
      if (!live) return false;
      return staffFollowsProfile(database.db, ws, userid, [live, ...(await mergedIdsOf(database.db, ws, live))]);
    },
    taskStaff: (ws, kind, id) => taskStaff(database.db, ws, kind, id),
  };
}

/** SCRM's deps: the process values it shares, and cdp's profile references as its resolver port. */
function scrmDeps(shared: Omit<ScrmDeps, 'resolveProfileRef'>, profiles: ReturnType<typeof profileDepsOf>): ScrmDeps {
  return { ...shared, resolveProfileRef: (ws, ref) => resolveProfileRef(profiles, ws, ref) };
}

/** Outbound HTTP to tenant-configured addresses: guarded, except what the demo's stand-ins answer (their own host). */
function routedFetch(allow: OutboundAllowList, sandboxes: DemoSandboxes | undefined): typeof globalThis.fetch {
  const guarded = createGuardedFetch(allow);
  return sandboxes ? (input, init) => sandboxes.fetch(input, init) ?? guarded(input, init) : guarded;
}

/** Stops the demo's stand-ins and closes the databases this process opened. */
async function closeAll(sandboxes: DemoSandboxes | undefined, databases: Database[]): Promise<void> {
  await sandboxes?.close();
  for (const d of databases) await d.close();
}

/** Builds the process state (the composition root): databases, hub, writer, and every module's deps. */
// size: the one place every module's deps and ports are wired; split, the wiring would be spread over several functions passing the same dozen values
export async function createServices(config: Config, opts: ServicesOptions = {}): Promise<Services> {
  const log = opts.log ?? createLogger(config);
  const clock = opts.clock ?? systemClock;
  if (opts.migrate !== false) await migrate(config, opts.database, log);
  // Spool files of imports a crash interrupted (customer rows: never left behind).
  const spooled = await cleanImportSpool(config.dataDir);
  if (spooled.length) log.info({ files: spooled.length }, 'removed the spool files of interrupted imports');
  const { api: database, worker: workerDatabase } = opts.database ? { api: opts.database, worker: opts.database } : openDatabases(config, log);
  const now = () => clock.now();
  const cipher = createKeyring(database, { masterKey: config.encryptionKey, previousMasterKey: config.encryptionKeyPrevious, now });
  const hub = createHub<SiyuHubEvents>(log);
  const keys = createKeyResolver(database.db, { now, onUseError: (err) => log.warn({ err }, "could not record an API key's last use") });

  const settingsFor = workspaceSettingsReader(database, config);
  const timeZoneOf = async (ws: string) => (await settingsFor(ws)).timeZone;
  const writer = createIngestWriter({ database, deps: { dialect: database.dialect, cipher, now }, settingsFor, log, hub });
  const timelineSources: TimelineSource[] = [segmentTimelineSource(), journeyTimelineSource()];

  const cdp: CdpDeps = {
    database,
    cipher,
    now,
    log,
    hub,
    keys,
    writer,
    defaultPhoneRegion: config.defaultPhoneRegion,
    timelineSources,
    modelsOf: (ws, profileId) => profileModels(database.db, ws, profileId), // segments owns the models' outputs
    audienceOf: (ws, filter) => audienceSubqueries(database.db, ws, filter), // and segment membership
    importSpoolDir: importSpoolDir(config.dataDir),
    tracking: { trustedProxies: config.trustedProxies, publicUrl: config.publicUrl },
  };
  const profiles = profileDepsOf(cdp);
  const segments: SegmentsDeps = {
    database,
    now,
    log,
    timeZoneOf,
    hub,
    keys,
    defaultTimeZone: config.defaultTimezone,
    recheckMinutes: config.segmentRecheckMinutes,
    rangeSize: config.segmentRangeSize || undefined,
    queryLimits: segmentQueryLimits(config),
    oldestWrite: () => writer.oldestInFlight(),
    resolveProfileRef: (ws, ref) => resolveProfileRef(profiles, ws, ref),
    profileCards: async (ws, ids) => profileCards(database.db, await cipher.forWorkspace(ws), ws, ids),
  };
  const outboundAllow = parseAllowList(config.outboundAllow);
  const demoSandboxes = opts.demoSandboxes?.(now);
  const outboundFetch = routedFetch(outboundAllow, demoSandboxes);
  const scrm = createScrm(scrmDeps({ database, cipher, now, log, hub, timeZoneOf, writer, keys, defaultPhoneRegion: config.defaultPhoneRegion }, profiles));
  const access: AccessDeps = {
    database,
    now,
    log,
    keys,
    guide: guideScope(database, profiles),
    // Invitation emails go out with the workspace's email channel settings (messaging).
    mailer: (ws, mail) => sendWorkspaceEmail({ database, cipher, log }, ws, mail),
  };
  keys.console = createConsoleAuth(access);
  return {
    config,
    database,
    workerDatabase,
    writer,
    hub,
    keys,
    cipher,
    clock,
    log,
    links: createLinkSigner(config.encryptionKey),
    outboundFetch,
    outboundAllow,
    timeZoneOf,
    forgetWorkspaceSettings: (ws) => settingsFor.forget(ws),
    timelineSources,
    cdp,
    segments,
    membership: membershipOf(segments),
    scrm,
    access,
    demoSandboxes,
    close: () => closeAll(demoSandboxes, opts.database ? [] : workerDatabase === database ? [database] : [database, workerDatabase]),
  };
}
