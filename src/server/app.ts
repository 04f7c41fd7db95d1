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
import type { MembershipDeps } from '../segments/membership.js';
import { segmentRoutes } from '../segments/segments.routes.js';
import { computeModels, modelRoutes } from '../segments/models/index.js';
import { type SegmentWorker, startSegmentWorker } from '../segments/worker.js';
import { churnAlertListener, handoverFailedListener, opsContext, type ScrmOpsWorker, scrmOpsRoutes, startScrmOpsWorker } from '../scrm/ops/index.js';
import { createLiveCodeListener, groupCodeListener, liveCodeRoutes, liveDepsOf, type LiveCodeWorker, startLiveCodeWorker } from '../scrm/livecodes/index.js';
import { groupRoutes } from '../scrm/groups/index.js';
import { callbackRoutes, connectionRoutes, createScrmServices, inboxDeps, type InboxWorker, type ScrmServices, startInboxWorker } from '../scrm/index.js';
import { segmentTimelineSource } from '../segments/history.js';
import {
  type CallerDb,
  createLinkSigner,
  type Dispatcher,
  type MessagingDeps,
  type MessagingHubEvents,
  messagingRoutes,
  queueTestSends,
  startMessagingWorker,
} from '../messaging/index.js';
import { type BroadcastsDeps, type BroadcastsHubEvents, type BroadcastWorker, broadcastRoutes, startBroadcastWorker } from '../broadcasts/index.js';
import { journeyRoutes, type JourneyWorker, type JourneysHubEvents, startJourneyWorker } from '../journeys/index.js';
import type { CdpHubEvents } from '../cdp/index.js';
import type { SegmentsHubEvents } from '../segments/index.js';
import type { ScrmHubEvents } from '../scrm/index.js';
import type { ScrmDB } from '../scrm/schema.js';
import { profileDeps } from '../cdp/profiles.routes.js';
import { resolveProfileRef } from '../cdp/profiles.service.js';
import { createHub, type Hub } from '../platform/hub.js';
import { createGuardedFetch, type OutboundAllowList, parseAllowList } from '../platform/outbound.js';
import type { Kysely } from 'kysely';

/** Every module's hub events: the one hub of a process carries them all. */
export type SiyuHubEvents = CdpHubEvents & SegmentsHubEvents & MessagingHubEvents & JourneysHubEvents & BroadcastsHubEvents & ScrmHubEvents;

/** Everything the HTTP layer and CLI commands share, built once per process. */
export interface Services {
  config: Config;
  database: Database;
  writer: IngestWriter;
  keys: KeyResolver;
  cipher: PiiCipher;
  clock: Clock;
  log: Logger;
  /** The in-process event hub (platform/hub.ts): modules' notifications to each other. */
  hub: Hub<SiyuHubEvents>;
  /** The workspace's time zone (settings.timezone, else SIYU_DEFAULT_TIMEZONE). */
  timeZoneOf: (workspaceId: string) => Promise<string>;
  /** What segment membership needs; the worker and the CLI use it. */
  membership: MembershipDeps;
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
  const membership: MembershipDeps = {
    db: database.db,
    dialect: database.dialect,
    now: () => clock.now(),
    timeZoneOf,
    oldestWrite: () => writer.oldestInFlight(),
    scan: database.scan,
  };
  const timelineSources = [segmentTimelineSource()];
  const scrm = createScrmServices({ database, cipher, clock, log });
  // What SCRM features do when a WeCom event has been applied (see src/scrm/events.ts).
  scrm.listeners.add('live-codes', createLiveCodeListener({ timeZoneOf }));
  scrm.listeners.add('group-codes', groupCodeListener);
  scrm.listeners.add('churn-alerts', churnAlertListener);
  scrm.listeners.add('handover', (event, ctx) => handoverFailedListener(event, { ...ctx, timeZoneOf }));
  const hub = createHub<SiyuHubEvents>(log);
  return { config, database, writer, keys: createKeyResolver(database.db), cipher, clock, log, hub, timeZoneOf, membership, timelineSources, scrm };
}

// owner: scrm — reads of SCRM's tables the messaging ports need; swap for scrm's published functions after the merge.
const scrmOf = (db: CallerDb): Kysely<ScrmDB> => db;
const wecomGroupOwner: MessagingDeps['wecomGroupOwner'] = (db, ws, chatId) =>
  scrmOf(db).selectFrom('scrm_groups').select(['owner', 'status']).where('workspace_id', '=', ws).where('chat_id', '=', chatId).executeTakeFirst();
const wecomFollower: MessagingDeps['wecomFollower'] = async (db, ws, externalUserid, sender) => {
  let q = scrmOf(db)
    .selectFrom('scrm_follows')
    .select('userid')
    .where('workspace_id', '=', ws)
    .where('external_userid', '=', externalUserid)
    .where('deleted_at', 'is', null);
  if (sender) q = q.where('userid', '=', sender);
  return (await q.orderBy('added_at').orderBy('userid').limit(1).executeTakeFirst())?.userid;
};

/** One guarded fetch (and its connection pool) per process services: tenants' URLs never reach internal addresses unless allow-listed. */
const guardedFetches = new WeakMap<Services, { fetch: typeof globalThis.fetch; allow: OutboundAllowList }>();
function outboundOf(s: Services): { fetch: typeof globalThis.fetch; allow: OutboundAllowList } {
  let o = guardedFetches.get(s);
  if (!o) {
    const allow = parseAllowList(s.config.outboundAllow);
    o = { fetch: createGuardedFetch(allow), allow };
    guardedFetches.set(s, o);
  }
  return o;
}

/** The messaging module's deps over the process services (WeCom clients from the SCRM connections). */
export function messagingDeps(s: Services, over: Partial<MessagingDeps> = {}): MessagingDeps {
  return {
    database: s.database,
    cipher: s.cipher,
    links: createLinkSigner(s.config.encryptionKey),
    now: () => s.clock.now(),
    log: s.log,
    hub: s.hub,
    keys: s.keys,
    defaultTimeZone: s.config.defaultTimezone,
    defaultPhoneRegion: s.config.defaultPhoneRegion,
    fetch: outboundOf(s).fetch,
    outboundAllow: outboundOf(s).allow,
    wecomClientFor: (ws) => s.scrm.connections.clientFor(ws),
    resolveProfile: (ws, ref) => resolveProfileRef(profileDeps(s), ws, ref),
    wecomGroupOwner,
    wecomFollower,
    ...over,
  };
}

/** The broadcasts module's deps over the process services. */
export function broadcastsDeps(s: Services): BroadcastsDeps {
  return {
    database: s.database,
    now: () => s.clock.now(),
    log: s.log,
    hub: s.hub,
    keys: s.keys,
    resolveProfile: (ws, ref) => resolveProfileRef(profileDeps(s), ws, ref),
    queueTestSends: (input) => queueTestSends(messagingDeps(s), input),
  };
}

/** Starts the background workers of a serving process: WeCom inbox, message dispatcher, broadcasts, journeys, SCRM operations, live codes, segment membership and schedules. */
export function startWorkers(s: Services): void {
  s.inboxWorker ??= startInboxWorker(inboxDeps(s));
  s.messagingDispatcher ??= startMessagingWorker(messagingDeps(s));
  s.broadcastWorker ??= startBroadcastWorker(broadcastsDeps(s));
  s.journeyWorker ??= startJourneyWorker(s);
  s.scrmOpsWorker ??= startScrmOpsWorker(opsContext(s));
  s.liveCodeWorker ??= startLiveCodeWorker(liveDepsOf(s));
  if (!s.config.segmentWorker || s.segmentWorker) return;
  const runModels = async (ws: string) => {
    await computeModels(s.database.db, s.database.dialect, ws, s.clock.now(), { clock: s.clock, defaultTimeZone: s.config.defaultTimezone });
  };
  const worker = startSegmentWorker({
    deps: s.membership,
    log: s.log,
    recheckMinutes: s.config.segmentRecheckMinutes,
    rangeSize: s.config.segmentRangeSize || undefined,
    runModels,
  });
  s.segmentWorker = worker;
  s.writer.onCommitted(() => worker.wake());
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
  await app.register(async (scope) => segmentRoutes(scope, services));
  await app.register(async (scope) => modelRoutes(scope, services));
  await app.register(async (scope) => messagingRoutes(scope, messagingDeps(services)));
  await app.register(async (scope) => broadcastRoutes(scope, broadcastsDeps(services)));
  await app.register(async (scope) => journeyRoutes(scope, services));
  await app.register(async (scope) => scrmOpsRoutes(scope, services));
  await app.register(async (scope) => liveCodeRoutes(scope, services));
  await app.register(async (scope) => groupRoutes(scope, services));
  await app.register(async (scope) => connectionRoutes(scope, services));
  await app.register(async (scope) => callbackRoutes(scope, services));
  await app.register(async (scope) => consoleRoutes(scope));
  return app;
}
