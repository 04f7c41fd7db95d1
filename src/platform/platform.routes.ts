import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './db/database.js';
import type { KeyResolver } from './workspaces.js';
import { AppError } from './errors.js';
import { errorResponses, errorSchema } from './http-schemas.js';
import { requireKey } from './http.js';
import { pageQueryProperties, pageSchema } from './paging.js';
import { createdKeySchema, keyInfo, patchWorkspaceBody, workspaceSchema } from './platform.schemas.js';
import { isTimeZone } from './time.js';
import { createKey, getWorkspace, listKeys, revokeKey, updateWorkspace, type Workspace, type WorkspacePatch } from './workspaces.js';

const errorResponse = { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } } };

/** What the platform routes need. */
export interface PlatformRoutesDeps {
  database: Database;
  keys: KeyResolver;
  log: Logger;
  now: () => number;
  /** Every error code the API may answer, with its status and owning module (the root joins the modules' catalogues). */
  errorCatalogue: Record<string, { status: number; domain: string }>;
  /** The zone of workspaces whose settings name none (SIYU_DEFAULT_TIMEZONE). */
  defaultTimeZone: string;
  /** Told after a workspace's name or time zone changed (the root drops its cached settings of it). */
  workspaceChanged?: (workspaceId: string) => void;
}

/** Health, readiness, the error catalogue, and the workspace's own key management. */
export async function platformRoutes(app: FastifyInstance, s: PlatformRoutesDeps): Promise<void> {
  await healthRoutes(app, s);
  await workspaceRoutes(app, s);
  await keyRoutes(app, s);
}

/** `/health` (the process answers), `/ready` (the database too, and not shutting down) and `/v1/errors`. */
async function healthRoutes(app: FastifyInstance, s: PlatformRoutesDeps): Promise<void> {
  let shuttingDown = false;
  app.addHook('onClose', async () => {
    shuttingDown = true;
  });

  app.get('/health', { schema: { tags: ['platform'], summary: 'Liveness: the process answers' } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { tags: ['platform'], summary: 'Readiness: the database answers and the server is not shutting down' } }, async (_req, reply) => {
    if (shuttingDown) return reply.status(503).send({ status: 'shutting-down' });
    try {
      await sql`select 1`.execute(s.database.db);
      return { status: 'ready', database: s.database.dialect.engine };
    } catch (err) {
      s.log.warn({ err }, 'readiness check failed');
      return reply.status(503).send({ status: 'database-unavailable' });
    }
  });

  app.get(
    '/v1/errors',
    {
      schema: {
        tags: ['platform'],
        summary: 'Every error code the API may answer, with its HTTP status and owning module (for clients that map codes to their own messages)',
      },
    },
    async () => ({ data: Object.entries(s.errorCatalogue).map(([code, e]) => ({ code, status: e.status, module: e.domain })) }),
  );
}

/** A workspace as the API shows it: with the time zone in effect. */
function workspaceView(ws: Workspace, defaultTimeZone: string) {
  const own = ws.settings.timezone;
  return { ...ws, timeZone: isTimeZone(own) ? own : defaultTimeZone, timeZoneIsDefault: !isTimeZone(own) };
}

/** The workspace this secret key belongs to: every role reads it; the owner renames it and sets its time zone. */
async function workspaceRoutes(app: FastifyInstance, s: PlatformRoutesDeps): Promise<void> {
  const auth = requireKey(s.keys, 'secret');

  app.get(
    '/v1/workspace',
    {
      preHandler: auth,
      schema: { tags: ['workspace'], summary: 'The workspace this key belongs to', security: [{ secretKey: [] }], response: { 200: workspaceSchema } },
    },
    async (req) => {
      const ws = await getWorkspace(s.database.db, req.workspaceId);
      if (!ws) throw new AppError('NOT_FOUND', 'workspace not found');
      return workspaceView(ws, s.defaultTimeZone);
    },
  );

  app.patch(
    '/v1/workspace',
    {
      preHandler: auth,
      schema: {
        tags: ['workspace'],
        summary: 'Rename the workspace and/or set its time zone (owner)',
        security: [{ secretKey: [] }],
        body: patchWorkspaceBody,
        response: { 200: workspaceSchema, ...errorResponses, 403: errorSchema },
      },
    },
    async (req) => {
      const ws = await updateWorkspace(s.database.db, req.workspaceId, req.body as WorkspacePatch);
      s.workspaceChanged?.(req.workspaceId);
      return workspaceView(ws, s.defaultTimeZone);
    },
  );
}

/** The workspace's API keys (list with their last use, create, revoke). */
async function keyRoutes(app: FastifyInstance, s: PlatformRoutesDeps): Promise<void> {
  const auth = requireKey(s.keys, 'secret');

  app.get(
    '/v1/keys',
    {
      preHandler: auth,
      schema: {
        tags: ['workspace'],
        summary: 'List API keys (never the keys themselves)',
        security: [{ secretKey: [] }],
        querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties(50, 200) },
        response: { 200: pageSchema(keyInfo, 'oldest first') },
      },
    },
    async (req) => {
      const q = req.query as { limit: number; cursor?: string };
      return listKeys(s.database.db, req.workspaceId, q.limit, q.cursor);
    },
  );

  app.post(
    '/v1/keys',
    {
      preHandler: auth,
      schema: {
        tags: ['workspace'],
        summary: 'Create a write or secret key; the key is shown only in this response',
        security: [{ secretKey: [] }],
        body: {
          type: 'object',
          required: ['kind'],
          additionalProperties: false,
          properties: { kind: { type: 'string', enum: ['write', 'secret'] }, name: { type: 'string', minLength: 1, maxLength: 100 } },
        },
        response: { 201: createdKeySchema, 400: errorResponse },
      },
    },
    async (req, reply) => {
      const body = req.body as { kind: 'write' | 'secret'; name?: string };
      const created = await createKey(s.database.db, req.workspaceId, body.kind, body.name ?? `${body.kind} key`, s.now());
      return reply.status(201).send(created);
    },
  );

  app.delete(
    '/v1/keys/:id',
    {
      preHandler: auth,
      schema: {
        tags: ['workspace'],
        summary: 'Revoke a key',
        security: [{ secretKey: [] }],
        params: { type: 'object', properties: { id: { type: 'string' } } },
      },
    },
    async (req, reply) => {
      await revokeKey(s.database.db, req.workspaceId, (req.params as { id: string }).id, s.now());
      return reply.status(204).send();
    },
  );
}
