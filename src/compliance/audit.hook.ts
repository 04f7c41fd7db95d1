/**
 * Records every management-API and console action in the audit log: each request made with a
 * secret key or a console session that changes something (any method but GET/HEAD/OPTIONS), and
 * each export (`format=csv`, the audit log's own export). Public paths (tracking with write keys,
 * WeCom callbacks, receipts, links, survey pages, the member API) carry no such principal and are
 * not recorded here. A PUT or PATCH of something GET reads back at the same path (settings, rules,
 * segments, journeys, channels) keeps what GET answered before and after it.
 *
 * The row is written before the answer leaves (onSend): a client that has its answer finds its
 * action in the log. A failed write of the log is logged as an error with the action and does not
 * change the answer (the action itself has committed by then).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { auditJson, maskText } from './redact.js';
import { type ComplianceDeps, recordAudit } from './audit.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What GET answered at this path before a PUT/PATCH (audit.hook.ts). */
    auditBefore?: string | null;
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Headers that carry who is asking (forwarded to the snapshot reads). */
const AUTH_HEADERS = ['authorization', 'cookie', 'x-siyu-workspace'];

const isExport = (req: FastifyRequest) =>
  (req.query as { format?: unknown } | undefined)?.format === 'csv' ||
  req.routeOptions.url === '/v1/audit/export' ||
  req.routeOptions.url === '/v1/privacy/requests/:id/archive';

/** Whether the request changes a thing GET reads back at the same path (its before and after are kept). */
function snapshotted(app: FastifyInstance, req: FastifyRequest): boolean {
  const url = req.routeOptions.url;
  return (req.method === 'PUT' || req.method === 'PATCH') && !!url && app.hasRoute({ method: 'GET', url });
}

/** What GET answers at the request's path, with the caller's own credentials (null when it does not answer 200). */
async function snapshot(app: FastifyInstance, req: FastifyRequest): Promise<string | null> {
  const headers: Record<string, string> = {};
  for (const h of AUTH_HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const res = await app.inject({ method: 'GET', url: req.url.split('?')[0]!, headers });
  if (res.statusCode !== 200) return null;
  try {
    return auditJson(res.json());
  } catch {
    return null;
  }
}

/** Installs the audit log's hooks on the root app (before routes are registered). */
export function installAudit(app: FastifyInstance, deps: ComplianceDeps & { log: Logger }): void {
  app.addHook('preHandler', async (req) => {
    if (snapshotted(app, req)) req.auditBefore = await snapshot(app, req);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const p = req.principal;
    const url = req.routeOptions.url;
    if (!p || !req.workspaceId || !url || (READS.has(req.method) && !isExport(req))) return payload;
    try {
      const ok = reply.statusCode < 300;
      const after = ok && req.auditBefore !== undefined ? await snapshot(app, req) : null;
      const params = req.params as Record<string, unknown> | undefined;
      const first = params ? Object.values(params)[0] : undefined;
      await recordAudit(deps, req.workspaceId, {
        actor_kind: p.kind,
        actor_id: (p.kind === 'user' ? p.userId : p.keyId) ?? null,
        actor_role: p.role,
        ip: req.ip ?? null,
        user_agent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 300) : null,
        method: req.method,
        route: url,
        path: maskText(req.url.split('?')[0]!).slice(0, 1000),
        target: typeof first === 'string' ? maskText(first).slice(0, 300) : null,
        status: reply.statusCode,
        body: READS.has(req.method) ? auditJson(req.query) : auditJson(req.body),
        before: req.auditBefore ?? null,
        after,
        request_id: String(req.id),
      });
    } catch (err) {
      deps.log.error({ err, method: req.method, route: url, workspaceId: req.workspaceId }, 'audit log: the action could not be recorded');
    }
    return payload;
  });
}
