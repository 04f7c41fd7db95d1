import type { FastifyInstance } from 'fastify';
import type { Services } from '../../server/app.js';
import { requireKey } from '../../platform/http.js';
import type { ScrmContext } from '../events.js';
import { alertRoutes } from './alerts.routes.js';
import { archiveRoutes } from './archive.routes.js';
import { type OpsContext, opsContext } from './context.js';
import { handoverRoutes } from './handover.routes.js';
import { sopRoutes } from './sops.routes.js';
import { workbenchRoutes } from './workbench.routes.js';

/** Options of {@link scrmOpsRoutes}: the SCRM connection's `clientFor` and the groups feature's tag look-up, when wired. */
export interface ScrmOpsRouteOptions {
  clientFor?: ScrmContext['clientFor'];
  groupsWithTags?: OpsContext['groupsWithTags'];
}

/** The SCRM operations API (secret key): SOPs and tasks, workbench, snippets, handover, alerts, archive import. */
export async function scrmOpsRoutes(app: FastifyInstance, s: Services, opts: ScrmOpsRouteOptions = {}): Promise<void> {
  const preHandler = requireKey(s.keys, 'secret');
  const ctx = opsContext(s, opts);
  await sopRoutes(app, ctx, preHandler);
  await workbenchRoutes(app, ctx, preHandler);
  await handoverRoutes(app, ctx, preHandler);
  await alertRoutes(app, ctx, preHandler);
  await archiveRoutes(app, { ctx, writer: s.writer, cipher: s.cipher }, preHandler);
}
