import type { FastifyInstance } from 'fastify';
import { errorSchema } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { syncStatusSchema } from './connection.schemas.js';
import type { Scrm } from './deps.js';
import { createSyncRuns } from './sync.runs.js';

const meta = (summary: string) => ({ tags: ['wecom'], summary, security: [{ secretKey: [] }] });

/**
 * `POST /v1/wecom/sync` starts (or resumes) a full sync of the connected corp in the background of
 * this process and answers 202 at once; `GET /v1/wecom/sync` shows its progress from the database.
 * The server's close stops its runs after the chunk in progress (the next start resumes them).
 */
export async function syncRoutes(app: FastifyInstance, scrm: Scrm): Promise<void> {
  const preHandler = requireKey(scrm.keys, 'secret');
  const runs = createSyncRuns(scrm);
  app.addHook('onClose', () => runs.close());

  app.post(
    '/v1/wecom/sync',
    {
      preHandler,
      schema: {
        ...meta('Start a full sync of staff, corp tags, contacts and groups from WeCom (resumes an interrupted one); 409 while one runs'),
        response: { 202: syncStatusSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (req, reply) => reply.status(202).send(await runs.start(req.workspaceId)),
  );

  app.get(
    '/v1/wecom/sync',
    {
      preHandler,
      schema: {
        ...meta("The workspace's full sync: running or not, the run's phase and counts, and how the last one ended"),
        response: { 200: syncStatusSchema, 401: errorSchema },
      },
    },
    async (req) => runs.status(req.workspaceId),
  );
}
