import type { FastifyInstance } from 'fastify';
import { requireKey } from '../../platform/http.js';
import type { Scrm } from '../deps.js';
import { liveDepsOf } from './context.js';
import { groupCodeRoutes } from './group-codes.routes.js';
import { liveCodeCrudRoutes } from './live-codes.routes.js';
import { liveCodeStatsRoutes } from './live-codes.stats.routes.js';

/** The live-code and group live-code API (secret key): CRUD, adds, statistics. */
export async function liveCodeRoutes(app: FastifyInstance, scrm: Scrm): Promise<void> {
  const preHandler = requireKey(scrm.keys, 'secret');
  const deps = liveDepsOf(scrm);
  await groupCodeRoutes(app, deps, preHandler);
  await liveCodeCrudRoutes(app, deps, preHandler);
  await liveCodeStatsRoutes(app, deps, preHandler);
}
