import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { errorSchema, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { KeyResolver } from '../platform/workspaces.js';
import { auditExportQuery, auditPage, auditQuery } from './audit.schemas.js';
import { type AuditQuery, auditCsv, type ComplianceDeps, listAudit } from './audit.service.js';

type Filters = Omit<AuditQuery, 'from' | 'to' | 'limit' | 'cursor'> & { from?: string; to?: string };
const range = (q: Filters) => ({ ...q, from: q.from ? Date.parse(q.from) : undefined, to: q.to ? Date.parse(q.to) : undefined });

/** `GET /v1/audit` (search, paged) and `GET /v1/audit/export` (CSV): the owner's (src/access/policy.ts). */
export async function auditRoutes(app: FastifyInstance, deps: ComplianceDeps & { keys: KeyResolver }): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  app.get<{ Querystring: Filters & { limit: number; cursor?: string } }>(
    '/v1/audit',
    {
      preHandler,
      schema: {
        ...secured('compliance', 'The audit log: every management-API and console action, newest first (owner only)'),
        querystring: auditQuery,
        response: { 200: auditPage, 400: errorSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async (req) => listAudit(deps, req.workspaceId, range(req.query) as AuditQuery),
  );
  app.get<{ Querystring: Filters }>(
    '/v1/audit/export',
    {
      preHandler,
      schema: {
        ...secured('compliance', 'The audit log as CSV, streamed, with the same filters (owner only; the export is itself recorded)'),
        querystring: auditExportQuery,
        response: { 400: errorSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async (req, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="audit-${req.workspaceId}.csv"`)
        .send(Readable.from(auditCsv(deps, req.workspaceId, range(req.query)))),
  );
}
