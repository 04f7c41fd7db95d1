/** The HTTP application: Fastify with the shared error mapping, OpenAPI, and each module's routes as a plugin. */
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { accessRoutes, installGuideMasking } from '../access/index.js';
import { broadcastRoutes } from '../broadcasts/index.js';
import { cdpRoutes, clientIp, trustedProxies } from '../cdp/index.js';
import {
  auditRoutes,
  createLimitsCache,
  createRateLimiter,
  installAudit,
  installRateLimits,
  type LimitsCache,
  privacyRoutes,
  retentionRoutes,
  rateLimitRoutes,
  encryptionKeyRoutes,
} from '../compliance/index.js';
import { demoRoutes } from '../demo/index.js';
import { insightRoutes } from '../insight/index.js';
import { journeyRoutes } from '../journeys/index.js';
import { couponRoutes, loyaltyRoutes, memberApiRoutes, referralRoutes, tierRoutes } from '../loyalty/index.js';
import { messagingRoutes } from '../messaging/index.js';
import { consoleRoutes } from '../platform/console.routes.js';
import { installConsoleSessions, installErrorHandler } from '../platform/http.js';
import { platformRoutes } from '../platform/platform.routes.js';
import { scrmRoutes } from '../scrm/index.js';
import { modelRoutes, segmentRoutes } from '../segments/index.js';
import { retentionDeps } from './retention-deps.js';
import { broadcastsDeps, demoDeps, insightDeps, journeyDepsOf, keyRotationDeps, loyaltyDeps, messagingDeps, privacyDeps } from './deps.js';
import { errorCatalogue } from './errors.js';
import type { Services } from './services.js';

/** Installs the rate limits of the public endpoints (before the routes are registered); answers the limits cache the settings routes share. */
function installPublicLimits(app: FastifyInstance, services: Services): LimitsCache {
  const limits = createLimitsCache(services.database, () => services.clock.now());
  const trusted = trustedProxies(services.config.trustedProxies);
  const surveySigner = insightDeps(services).surveys.signer;
  installRateLimits(app, {
    limiter: createRateLimiter(() => services.clock.now()),
    limits,
    ipOf: (req) => clientIp(req.raw.socket.remoteAddress, req.headers['x-forwarded-for'], trusted) ?? req.ip,
    workspaceOfToken: (cls, token) => (cls === 'links' ? services.links.verify(token)?.w : surveySigner.verify(token)?.workspaceId),
  });
  return limits;
}

/** The key routes' deps: rotation over every module's ciphertext, and a nudge to this process's rotation worker. */
function keyRoutesDeps(services: Services) {
  return { ...keyRotationDeps(services), keys: services.keys, wake: () => services.keyRotationWorker?.schedule(0) };
}

/** Builds the Fastify app over ready services: routes, OpenAPI at /openapi.json and /docs, errors. */
// size: one registration line per route plugin of every module; split, the order of hooks and plugins would be spread over several functions
export async function buildApp(services: Services): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: services.log as FastifyBaseLogger,
    // Per-request lines only at debug: at ingest rates they would cost more than the work itself.
    logController: new LogController({ disableRequestLogging: services.config.logLevel !== 'debug' && services.config.logLevel !== 'trace' }),
    // Unknown keys are rejected (where a schema closes an object), not silently dropped.
    ajv: { customOptions: { allowUnionTypes: true, removeAdditional: false } },
    // Identifiers in URLs (`/v1/profiles/email:...`, long openids) exceed Fastify's default of 100.
    routerOptions: { maxParamLength: 1024 },
    bodyLimit: 512 * 1024,
  });
  installErrorHandler(app);
  // Console sessions ride in an httpOnly cookie (access module); guides' answers are masked.
  await app.register(cookie);
  installConsoleSessions(app, services.keys);
  installGuideMasking(app);
  // Every management-API and console action goes to the audit log (compliance).
  const compliance = { database: services.database, now: () => services.clock.now(), log: services.log, keys: services.keys };
  installAudit(app, compliance);
  // Public endpoints are limited per key and per client address, by each workspace's limits (compliance).
  const limits = installPublicLimits(app, services);
  // Graceful shutdown: requests in flight when close() starts answer with `Connection: close`,
  // so keep-alive clients let go and the server can finish instead of waiting for them.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Siyu API', version: '0.1.0', description: 'Tracking (Segment-compatible, write key) and management (secret key) API.' },
      components: {
        securitySchemes: {
          writeKey: { type: 'http', scheme: 'basic', description: 'Write key as user name, empty password' },
          secretKey: { type: 'http', scheme: 'bearer', description: 'Secret API key (sk_...); the console sends its session cookie instead' },
          memberToken: { type: 'http', scheme: 'bearer', description: 'Member token (POST /v1/loyalty/member-tokens): the member routes /v1/member/... only' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  const catalogue = errorCatalogue();
  await app.register(async (scope) =>
    platformRoutes(scope, {
      database: services.database,
      keys: services.keys,
      log: services.log,
      now: () => services.clock.now(),
      errorCatalogue: catalogue,
      defaultTimeZone: services.config.defaultTimezone,
      workspaceChanged: services.forgetWorkspaceSettings,
    }),
  );
  await app.register(async (scope) => accessRoutes(scope, services.access));
  await app.register(async (scope) => auditRoutes(scope, compliance));
  await app.register(async (scope) => rateLimitRoutes(scope, { ...compliance, limits }));
  await app.register(async (scope) => privacyRoutes(scope, { ...privacyDeps(services), keys: services.keys }));
  await app.register(async (scope) => encryptionKeyRoutes(scope, keyRoutesDeps(services)));
  await app.register(async (scope) => retentionRoutes(scope, { ...retentionDeps(services, services.database), keys: services.keys }));
  await app.register(async (scope) => cdpRoutes(scope, services.cdp));
  await app.register(async (scope) => segmentRoutes(scope, services.segments));
  await app.register(async (scope) => modelRoutes(scope, services.segments));
  await app.register(async (scope) => messagingRoutes(scope, messagingDeps(services)));
  await app.register(async (scope) => broadcastRoutes(scope, broadcastsDeps(services)));
  await app.register(async (scope) => journeyRoutes(scope, { ...journeyDepsOf(services), keys: services.keys }));
  await app.register(async (scope) => scrmRoutes(scope, services.scrm));
  await app.register(async (scope) => loyaltyRoutes(scope, loyaltyDeps(services)));
  await app.register(async (scope) => couponRoutes(scope, loyaltyDeps(services)));
  await app.register(async (scope) => tierRoutes(scope, loyaltyDeps(services)));
  await app.register(async (scope) => referralRoutes(scope, loyaltyDeps(services)));
  await app.register(async (scope) => memberApiRoutes(scope, loyaltyDeps(services)));
  await app.register(async (scope) => insightRoutes(scope, insightDeps(services)));
  await app.register(async (scope) => demoRoutes(scope, demoDeps(services)));
  await app.register(async (scope) => consoleRoutes(scope));
  return app;
}
