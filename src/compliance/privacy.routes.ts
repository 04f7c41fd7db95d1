import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorSchema, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { KeyResolver } from '../platform/workspaces.js';
import { carryOutCorrection, type PrivacyCorrectDeps } from './privacy.correct.js';
import { carryOutErasure, type PrivacyEraseDeps } from './privacy.erase.js';
import { exportArchive } from './privacy.export.js';
import { newPrivacyRequestBody, privacyListQuery, privacyPage, privacyRequestSchema, rejectBody } from './privacy.schemas.js';
import {
  closePrivacyRequest,
  createPrivacyRequest,
  getPrivacyRequest,
  listPrivacyRequests,
  type NewPrivacyRequest,
  type PrivacyQuery,
} from './privacy.service.js';

const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema };
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 100 } } } as const;

/** Who made the request, as the request's record keeps it. */
export function requester(req: FastifyRequest): string | null {
  const p = req.principal;
  if (!p) return null;
  return p.kind === 'user' ? `user:${p.userId ?? ''}` : `key:${p.keyId ?? ''}`;
}

/** Carries out an erasure or a correction, by the request's kind. */
async function carryOut(deps: PrivacyEraseDeps & PrivacyCorrectDeps, ws: string, id: string) {
  const r = await getPrivacyRequest(deps, ws, id);
  return r.kind === 'erasure' ? carryOutErasure(deps, ws, id) : carryOutCorrection(deps, ws, id);
}

/** Data-subject requests: `/v1/privacy/requests…`, the owner's (src/access/policy.ts). */
export async function privacyRoutes(app: FastifyInstance, deps: PrivacyEraseDeps & PrivacyCorrectDeps & { keys: KeyResolver }): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  app.post<{ Body: Omit<NewPrivacyRequest, 'requestedBy'> }>(
    '/v1/privacy/requests',
    {
      preHandler,
      schema: {
        ...secured('compliance', 'Receive a data-subject request (export, erasure, correction), with its 15-working-day deadline (owner only)'),
        body: newPrivacyRequestBody,
        response: { 201: privacyRequestSchema, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await createPrivacyRequest(deps, req.workspaceId, { ...req.body, requestedBy: requester(req) })),
  );
  app.get<{ Querystring: PrivacyQuery }>(
    '/v1/privacy/requests',
    {
      preHandler,
      schema: {
        ...secured('compliance', 'Data-subject requests, newest first (owner only)'),
        querystring: privacyListQuery,
        response: { 200: privacyPage, ...errors },
      },
    },
    async (req) => listPrivacyRequests(deps, req.workspaceId, req.query),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/privacy/requests/:id',
    {
      preHandler,
      schema: { ...secured('compliance', 'One data-subject request (owner only)'), params: idParams, response: { 200: privacyRequestSchema, ...errors } },
    },
    async (req) => getPrivacyRequest(deps, req.workspaceId, req.params.id),
  );
  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/v1/privacy/requests/:id/reject',
    {
      preHandler,
      schema: {
        ...secured('compliance', 'Reject an open data-subject request, with the reason (owner only)'),
        params: idParams,
        body: rejectBody,
        response: { 200: privacyRequestSchema, ...errors },
      },
    },
    async (req) => closePrivacyRequest(deps, req.workspaceId, req.params.id, { status: 'rejected', completion: { rejected: req.body.reason } }),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/privacy/requests/:id/archive',
    {
      preHandler,
      schema: {
        ...secured(
          'compliance',
          "An export request's archive: a ZIP streamed as it is read, with person.json, one CSV per kind and summary.json (owner only; recorded in the audit log)",
        ),
        params: idParams,
        response: errors,
      },
    },
    async (req, reply) => {
      const { bytes } = await exportArchive(deps, req.workspaceId, req.params.id);
      return reply.type('application/zip').header('content-disposition', `attachment; filename="privacy-${req.params.id}.zip"`).send(Readable.from(bytes));
    },
  );
  app.post<{ Params: { id: string } }>(
    '/v1/privacy/requests/:id/carry-out',
    {
      preHandler,
      schema: {
        ...secured('compliance', 'Carry out an erasure (safe to repeat after a failure) or a correction; completed with what was done (owner only)'),
        params: idParams,
        response: { 200: privacyRequestSchema, ...errors },
      },
    },
    async (req) => carryOut(deps, req.workspaceId, req.params.id),
  );
}
