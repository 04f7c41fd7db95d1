import type { FastifyInstance } from 'fastify';
import { clvRoutes } from './clv/clv.routes.js';
import type { InsightDeps } from './deps.js';
import { cohortRoutes } from './cohorts/cohorts.routes.js';
import { experimentRoutes } from './experiments/experiments.routes.js';
import { funnelRoutes } from './funnels/funnels.routes.js';
import { createMetricCache } from './metrics/cache.js';
import { metricsRoutes } from './metrics/metrics.routes.js';
import { surveyRoutes } from './surveys/surveys.routes.js';

/** Registers every insight route (metrics, funnels, cohorts, CLV, surveys, experiments); each feature adds its plugin here. */
export async function insightRoutes(app: FastifyInstance, deps: InsightDeps): Promise<void> {
  // One cache per app (process): it listens to the hub until the app closes.
  const cache = createMetricCache({ hub: deps.hub, now: deps.now });
  app.addHook('onClose', async () => cache.close());
  const ctx = { database: deps.database, now: deps.now, timeZoneOf: deps.timeZoneOf, keys: deps.keys, cache };
  await metricsRoutes(app, ctx);
  await funnelRoutes(app, ctx);
  await cohortRoutes(app, ctx);
  await surveyRoutes(app, deps);
  await experimentRoutes(app, deps, cache);
  await clvRoutes(app, deps);
}
