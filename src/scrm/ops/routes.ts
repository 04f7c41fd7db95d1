import type { FastifyInstance } from 'fastify';
import { requireKey } from '../../platform/http.js';
import type { Scrm } from '../deps.js';
import type { ScrmContext } from '../events.js';
import { alertRoutes } from './alerts.routes.js';
import { archiveRoutes } from './archive.routes.js';
import { type OpsContext, opsContext } from './context.js';
import { handoverRoutes } from './handover.routes.js';
import { healthRoutes } from './health.routes.js';
import { snippetRoutes } from './snippets.routes.js';
import { sopRoutes } from './sops.routes.js';
import { taskRoutes } from './tasks.routes.js';
import { workbenchRoutes, workbenchRuleRoutes } from './workbench.routes.js';

/** Options of {@link scrmOpsRoutes}: another `clientFor`, and the groups feature's tag look-up, when wired. */
export interface ScrmOpsRouteOptions {
  clientFor?: ScrmContext['clientFor'];
  groupsWithTags?: OpsContext['groupsWithTags'];
}

/** The SCRM operations API (secret key): SOPs and tasks, workbench, snippets, handover, alerts, archive import. */
export async function scrmOpsRoutes(app: FastifyInstance, scrm: Scrm, opts: ScrmOpsRouteOptions = {}): Promise<void> {
  const preHandler = requireKey(scrm.keys, 'secret');
  const ctx = opsContext(scrm, opts);
  await sopRoutes(app, ctx, preHandler);
  await taskRoutes(app, ctx, preHandler);
  await workbenchRoutes(app, ctx, preHandler);
  await workbenchRuleRoutes(app, ctx, preHandler);
  await snippetRoutes(app, ctx, preHandler);
  await handoverRoutes(app, ctx, preHandler);
  await alertRoutes(app, ctx, preHandler);
  await healthRoutes(app, ctx, preHandler);
  await archiveRoutes(app, { ctx, writer: scrm.writer, cipher: scrm.cipher }, preHandler);
}
