import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import pino, { type Logger } from 'pino';
import { cdpRoutes, createRuleBook, createIngestWriter, type IngestWriter, type TimelineSource, type WorkspaceIngestSettings } from '../cdp/index.js';
import type { Config } from '../platform/config.js';
import { createPiiCipher, type PiiCipher } from '../platform/crypto.js';
import { type Database, openDatabase } from '../platform/db/database.js';
import { migrateSiyu } from './migrations.js';
import { installErrorHandler } from '../platform/http.js';
import { createKeyResolver, getWorkspace, type KeyResolver } from '../platform/workspaces.js';
import { type Clock, systemClock } from '../platform/clock.js';
import { platformRoutes } from '../platform/platform.routes.js';
import { consoleRoutes } from '../platform/console.routes.js';
import {
  type MembershipDeps,
  membershipOf,
  modelRoutes,
  type SegmentsDeps,
  type SegmentsHubEvents,
  segmentRoutes,
  segmentTimelineSource,
  type SegmentWorker,
  startSegmentWorker,
} from '../segments/index.js';
import { createHub, type Hub } from '../platform/hub.js';
import type { CdpHubEvents } from '../cdp/index.js';
import { profileDeps } from '../cdp/profiles.routes.js';
import { resolveProfileRef } from '../cdp/profiles.service.js';
import { churnAlertListener, handoverFailedListener, opsContext, type ScrmOpsWorker, scrmOpsRoutes, startScrmOpsWorker } from '../scrm/ops/index.js';
import { createLiveCodeListener, groupCodeListener, liveCodeRoutes, liveDepsOf, type LiveCodeWorker, startLiveCodeWorker } from '../scrm/livecodes/index.js';
import { groupRoutes } from '../scrm/groups/index.js';
import { callbackRoutes, connectionRoutes, createScrmServices, inboxDeps, type InboxWorker, type ScrmServices, startInboxWorker } from '../scrm/index.js';
import { type Dispatcher, messagingRoutes, startMessagingWorker } from '../messaging/index.js';
import { type BroadcastWorker, broadcastRoutes, startBroadcasts } from '../broadcasts/index.js';
import { journeyRoutes, type JourneyWorker, startJourneyWorker } from '../journeys/index.js';

/** Everything the HTTP layer and CLI commands share, built once per process. */
export interface Services {
  config: Config;
  database: Database;
  writer: IngestWriter;
  keys: KeyResolver;
  cipher: PiiCipher;
  clock: Clock;
  log: Logger;
  /** The workspace's time zone (settings.timezone, else SIYU_DEFAULT_TIMEZONE). */
  timeZoneOf: (workspaceId: string) => Promise<string>;
  /** The in-process hub of cross-module notifications (platform/hub.ts). */
  hub: Hub<CdpHubEvents & SegmentsHubEvents>;
  /** The segments module's deps (its routes, worker and CLI commands). */
  segments: SegmentsDeps;
  /**
   * What segment membership needs (the CLI and tests use it). `onChange` is transitional: it hears
   * `segments.membership-changed` for journeys/worker.ts until that listens on the hub itself.
   */
  membership: MembershipDeps & { onChange?: (workspaceId: string) => void };
  /** Timeline items other domains keep outside `events` (segment membership). */
  timelineSources: TimelineSource[];
  /** The background segment worker, when this process runs it (see startWorkers). */
  segmentWorker?: SegmentWorker;
  /** The SCRM operations worker (SOP ticks, mass-message and handover results), when this process runs it. */
  scrmOpsWorker?: ScrmOpsWorker;
  /** The messaging outbox dispatcher, when this process runs it (see startWorkers). */
  messagingDispatcher?: Dispatcher;
  /** The broadcast fan-out worker, when this process runs it (see startWorkers). */
  broadcastWorker?: BroadcastWorker;
  /** The journey worker (triggers and the durable executor), when this process runs it (see startWorkers). */
  journeyWorker?: JourneyWorker;
  /** SCRM: WeCom connections (clientFor), SCRM event listeners, callback replay record. */
  scrm: ScrmServices;
  /** The WeCom callback inbox worker, when this process runs it (see startWorkers). */
  inboxWorker?: InboxWorker;
  /** Live-code upkeep (expiry, staff back under their daily cap), when this process runs it. */
  liveCodeWorker?: LiveCodeWorker;
}

/** Creates the process logger; nothing secret is logged (auth headers and keys are redacted). */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'writeKey', '*.writeKey', 'secretKey', '*.secretKey', 'key'], censor: '[redacted]' },
  });
}

/** Opens the database, applies migrations and wires the services (the composition root). */
export async function createServices(config: Config, opts: { database?: Database; log?: Logger; clock?: Clock; migrate?: boolean } = {}): Promise<Services> {
  const log = opts.log ?? createLogger(config);
  const clock = opts.clock ?? systemClock;
  const database = opts.database ?? openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize });
  if (opts.migrate !== false) {
    const applied = await migrateSiyu(database.db, database.dialect.engine);
    if (applied.length) log.info({ applied }, 'migrations applied');
  }
  const cipher = createPiiCipher(config.encryptionKey);
  const settingsCache = new Map<string, { value: WorkspaceIngestSettings; until: number }>();
  const settingsFor = async (ws: string): Promise<WorkspaceIngestSettings> => {
    const hit = settingsCache.get(ws);
    if (hit && hit.until > Date.now()) return hit.value;
    const w = await getWorkspace(database.db, ws);
    const s = w?.settings ?? {};
    const value = {
      rules: createRuleBook(Array.isArray(s.identityRules) ? s.identityRules : undefined),
      currency: s.currency ?? 'CNY',
      timeZone: s.timezone ?? config.defaultTimezone,
    };
    settingsCache.set(ws, { value, until: Date.now() + 30_000 });
    return value;
  };
  const writer = createIngestWriter({ database, deps: { dialect: database.dialect, cipher, now: () => clock.now() }, settingsFor, log });
  const timeZoneOf = async (ws: string) => (await settingsFor(ws)).timeZone;
  const hub = createHub<CdpHubEvents & SegmentsHubEvents>(log);
  // Transitional, until the ingest writer emits on the hub itself (cdp's part of this change).
  writer.onCommitted((workspaceId, committed) =>
    hub.emit('cdp.events-committed', { workspaceId, profileIds: [...committed.profileIds], events: committed.events }),
  );
  const keys = createKeyResolver(database.db);
  let services: Services | undefined;
  const segments: SegmentsDeps = {
    database,
    now: () => clock.now(),
    log,
    timeZoneOf,
    hub,
    keys,
    defaultTimeZone: config.defaultTimezone,
    recheckMinutes: config.segmentRecheckMinutes,
    rangeSize: config.segmentRangeSize || undefined,
    oldestWrite: () => writer.oldestInFlight(),
    resolveProfileRef: (ws, ref) => resolveProfileRef(profileDeps(services!), ws, ref),
  };
  const membership: Services['membership'] = membershipOf(segments);
  hub.on('segments.membership-changed', ({ workspaceId }) => membership.onChange?.(workspaceId));
  const timelineSources = [segmentTimelineSource()];
  const scrm = createScrmServices({ database, cipher, clock, log });
  // What SCRM features do when a WeCom event has been applied (see src/scrm/events.ts).
  scrm.listeners.add('live-codes', createLiveCodeListener({ timeZoneOf }));
  scrm.listeners.add('group-codes', groupCodeListener);
  scrm.listeners.add('churn-alerts', churnAlertListener);
  scrm.listeners.add('handover', (event, ctx) => handoverFailedListener(event, { ...ctx, timeZoneOf }));
  services = { config, database, writer, keys, cipher, clock, log, timeZoneOf, hub, segments, membership, timelineSources, scrm };
  return services;
}

/** Starts the background workers of a serving process: WeCom inbox, message dispatcher, broadcasts, journeys, SCRM operations, live codes, segment membership and schedules. */
export function startWorkers(s: Services): void {
  s.inboxWorker ??= startInboxWorker(inboxDeps(s));
  s.messagingDispatcher ??= startMessagingWorker(s);
  s.broadcastWorker ??= startBroadcasts(s);
  s.journeyWorker ??= startJourneyWorker(s);
  s.scrmOpsWorker ??= startScrmOpsWorker(opsContext(s));
  s.liveCodeWorker ??= startLiveCodeWorker(liveDepsOf(s));
  if (!s.config.segmentWorker || s.segmentWorker) return;
  s.segmentWorker = startSegmentWorker(s.segments);
}

/** Stops every background worker this process started, each after its current transaction. */
export async function stopWorkers(s: Services): Promise<void> {
  await Promise.all([
    s.segmentWorker?.stop(),
    s.inboxWorker?.stop(),
    s.messagingDispatcher?.stop(),
    s.broadcastWorker?.stop(),
    s.journeyWorker?.stop(),
    s.scrmOpsWorker?.stop(),
    s.liveCodeWorker?.stop(),
  ]);
}

/** Builds the Fastify app over ready services: routes, OpenAPI at /openapi.json and /docs, errors. */
export async function buildApp(services: Services): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: services.log as FastifyBaseLogger,
    // Per-request lines only at debug: at ingest rates they would cost more than the work itself.
    logController: new LogController({ disableRequestLogging: services.config.logLevel !== 'debug' && services.config.logLevel !== 'trace' }),
    // Unknown keys are rejected (where a schema closes an object), not silently dropped.
    ajv: { customOptions: { allowUnionTypes: true, removeAdditional: false } },
    // Identifiers in URLs (`/v1/profiles/email:...`, long openids) exceed Fastify's default of 100.
    routerOptions: { maxParamLength: 1024 },
    // Segment clients sometimes post JSON as text/plain (sendBeacon).
    bodyLimit: 512 * 1024,
  });
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  installErrorHandler(app);
  // Graceful shutdown: requests in flight when close() starts answer with `Connection: close`,
  // so keep-alive clients let go and the server can finish instead of waiting for them.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Siyu API', version: '0.1.0', description: 'Tracking (Segment-compatible, write key) and management (secret key) API.' },
      components: {
        securitySchemes: {
          writeKey: { type: 'http', scheme: 'basic', description: 'Write key as user name, empty password' },
          secretKey: { type: 'http', scheme: 'bearer', description: 'Secret API key (sk_...)' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(async (scope) => platformRoutes(scope, services));
  await app.register(async (scope) => cdpRoutes(scope, services));
  await app.register(async (scope) => segmentRoutes(scope, services.segments));
  await app.register(async (scope) => modelRoutes(scope, services.segments));
  await app.register(async (scope) => messagingRoutes(scope, services));
  await app.register(async (scope) => broadcastRoutes(scope, services));
  await app.register(async (scope) => journeyRoutes(scope, services));
  await app.register(async (scope) => scrmOpsRoutes(scope, services));
  await app.register(async (scope) => liveCodeRoutes(scope, services));
  await app.register(async (scope) => groupRoutes(scope, services));
  await app.register(async (scope) => connectionRoutes(scope, services));
  await app.register(async (scope) => callbackRoutes(scope, services));
  await app.register(async (scope) => consoleRoutes(scope));
  return app;
}
