import type { FastifyInstance } from 'fastify';
import { clvRoutes } from './clv/clv.routes.js';
import type { InsightDeps } from './deps.js';

/** Registers every insight route (metrics, funnels, cohorts, CLV, surveys, experiments); each feature adds its plugin here. */
export async function insightRoutes(app: FastifyInstance, deps: InsightDeps): Promise<void> {
  await clvRoutes(app, deps);
}
