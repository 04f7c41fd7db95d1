import type { FastifyInstance } from 'fastify';
import type { InsightDeps } from './deps.js';
import { experimentRoutes } from './experiments/experiments.routes.js';

/** Registers every insight route (metrics, funnels, cohorts, CLV, surveys, experiments); each feature adds its plugin here. */
export async function insightRoutes(app: FastifyInstance, deps: InsightDeps): Promise<void> {
  await experimentRoutes(app, deps);
}
