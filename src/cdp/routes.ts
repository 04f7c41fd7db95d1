import type { FastifyInstance } from 'fastify';
import type { Services } from '../server/app.js';
import { importRoutes } from './import.routes.js';
import { profileRoutes } from './profiles.routes.js';
import { tagRoutes } from './tags.routes.js';
import { trackingRoutes } from './tracking.routes.js';

/** Registers every CDP route: tracking, profiles, tags, imports. */
export async function cdpRoutes(app: FastifyInstance, s: Services): Promise<void> {
  await trackingRoutes(app, { keys: s.keys, writer: s.writer, defaultRegion: s.config.defaultPhoneRegion, now: () => s.clock.now() });
  await profileRoutes(app, s);
  await tagRoutes(app, s);
  await importRoutes(app, s);
}
