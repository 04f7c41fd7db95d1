import type { FastifyInstance } from 'fastify';
import { callbackRoutes } from './callback.routes.js';
import { connectionRoutes } from './connection.routes.js';
import type { Scrm } from './deps.js';
import { groupRoutes } from './groups/groups.routes.js';
import { inboxRoutes } from './inbox.routes.js';
import { liveCodeRoutes } from './livecodes/routes.js';
import { scrmOpsRoutes } from './ops/routes.js';
import { staffRoutes } from './staff.routes.js';
import { syncRoutes } from './sync.routes.js';

/**
 * The SCRM API: operations (SOPs, workbench, handover, alerts, archive import), live codes and
 * group live codes, customer groups, staff, the WeCom connection and its full sync (secret key), and WeCom's callback URL.
 * Each part is its own encapsulated plugin: the callback and archive routes parse bodies their own
 * way.
 */
export async function scrmRoutes(app: FastifyInstance, scrm: Scrm): Promise<void> {
  await app.register(async (scope) => scrmOpsRoutes(scope, scrm));
  await app.register(async (scope) => liveCodeRoutes(scope, scrm));
  await app.register(async (scope) => groupRoutes(scope, scrm));
  await app.register(async (scope) => staffRoutes(scope, scrm));
  await app.register(async (scope) => inboxRoutes(scope, scrm));
  await app.register(async (scope) => connectionRoutes(scope, scrm));
  await app.register(async (scope) => syncRoutes(scope, scrm));
  await app.register(async (scope) => callbackRoutes(scope, scrm));
}
