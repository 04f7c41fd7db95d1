import type { FastifyInstance } from 'fastify';
import { catalogRoutes } from './catalog.routes.js';
import type { CdpDeps } from './deps.js';
import { importRoutes } from './import.routes.js';
import { orderRoutes } from './orders.routes.js';
import { profileRoutes } from './profiles.routes.js';
import { tagRoutes } from './tags.routes.js';
import { trackingRoutes } from './tracking.routes.js';

/** Registers every CDP route: tracking, profiles, tags, imports, orders, the data catalogue. */
export async function cdpRoutes(app: FastifyInstance, deps: CdpDeps): Promise<void> {
  await trackingRoutes(app, deps);
  await profileRoutes(app, deps);
  await tagRoutes(app, deps);
  await importRoutes(app, deps);
  await orderRoutes(app, deps);
  await catalogRoutes(app, deps);
}
