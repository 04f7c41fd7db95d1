import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { DemoDeps } from './deps.js';
import { demoBody, demoSummarySchema } from './demo.schemas.js';
import { loadDemo } from './demo.service.js';

/** Registers POST /v1/demo: loads the demo brand into the caller's empty workspace (owner and operator). */
export async function demoRoutes(app: FastifyInstance, deps: DemoDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  app.post<{ Body: { customers?: number; seed?: number } }>(
    '/v1/demo',
    {
      preHandler,
      schema: {
        ...secured(
          'demo',
          'Load the demo brand (customers, a year of orders, segments, templates, journeys, a broadcast) into this empty workspace; 409 DEMO_WORKSPACE_NOT_EMPTY if it has customers',
        ),
        body: demoBody,
        response: { 201: demoSummarySchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await loadDemo(deps, req.workspaceId, req.body ?? {})),
  );
}
