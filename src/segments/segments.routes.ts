/** The segment API (secret key): the rule language's schema and preview, segments, their members, a profile's segments. */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { requireKey } from '../platform/http.js';
import { errorResponses, secured } from '../platform/http-schemas.js';
import type { SegmentsDeps } from './deps.js';
import { SegmentError } from './errors.js';
import { exportMembersCsv, listMembers } from './members.service.js';
import { previewRule } from './preview.js';
import { RULE_JSON_SCHEMA } from './rule-schema.js';
import {
  createBody,
  idParams,
  listSchema,
  membersSchema,
  previewSchema,
  profileSegmentsSchema,
  segmentDetailSchema,
  segmentSchema,
  updateBody,
  uploadSchema,
} from './segments.schemas.js';
import { archiveSegment, createSegment, getSegment, listSegments, recomputeNow, segmentsOfProfile, updateSegment } from './segments.service.js';
import { uploadStaticMembers } from './static-upload.js';

type Id = { Params: { id: string } };
type PreHandler = ReturnType<typeof requireKey>;

/** The segment API (secret key): rules, preview, versions, members, static uploads, export. */
export async function segmentRoutes(app: FastifyInstance, deps: SegmentsDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  ruleRoutes(app, deps, preHandler);
  segmentCrudRoutes(app, deps, preHandler);
  memberRoutes(app, deps, preHandler);
  await app.register(async (scope) => uploadRoute(scope, deps, preHandler));
  app.get<Id & { Querystring: { limit: number; cursor?: string } }>(
    '/v1/profiles/:id/segments',
    { preHandler, schema: { ...secured('segments', 'The segments a profile is in now'), ...profileSegmentsSchema } },
    async (req) => segmentsOfProfile(deps, req.workspaceId, await deps.resolveProfileRef(req.workspaceId, req.params.id), req.query),
  );
}

/** The rule language's JSON Schema, and the preview of an unsaved rule. */
function ruleRoutes(app: FastifyInstance, deps: SegmentsDeps, preHandler: PreHandler): void {
  app.get('/v1/segments/schema', { schema: { tags: ['segments'], summary: 'The JSON Schema of the segment rule language' } }, async () => RULE_JSON_SCHEMA);

  app.post<{ Body: { rule: unknown; sampleSize: number } }>(
    '/v1/segments/preview',
    { preHandler, schema: { ...secured('segments', 'Count and sample the profiles an unsaved rule matches'), ...previewSchema } },
    async (req) => previewRule(deps, req.workspaceId, req.body.rule, req.body.sampleSize),
  );
}

/** Segments: create, list, read with versions, change, archive, recompute. */
function segmentCrudRoutes(app: FastifyInstance, deps: SegmentsDeps, preHandler: PreHandler): void {
  app.post<{ Body: { name: string; description?: string; kind?: 'rule' | 'static'; rule?: unknown } }>(
    '/v1/segments',
    {
      preHandler,
      schema: {
        ...secured('segments', 'Create a segment (a rule segment is computed in the background; watch "computing")'),
        body: createBody,
        response: { 201: segmentSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createSegment(deps, req.workspaceId, req.body)),
  );

  app.get<{ Querystring: { limit: number; cursor?: string; status: 'active' | 'archived' | 'all' } }>(
    '/v1/segments',
    { preHandler, schema: { ...secured('segments', 'List segments with their sizes, newest first'), ...listSchema } },
    async (req) => listSegments(deps, req.workspaceId, req.query),
  );

  app.get<Id>(
    '/v1/segments/:id',
    {
      preHandler,
      schema: { ...secured('segments', 'A segment with its rule versions'), params: idParams, response: { 200: segmentDetailSchema, ...errorResponses } },
    },
    async (req) => getSegment(deps, req.workspaceId, req.params.id),
  );

  app.patch<Id & { Body: { name?: string; description?: string; rule?: unknown } }>(
    '/v1/segments/:id',
    {
      preHandler,
      schema: {
        ...secured('segments', 'Rename, describe, or change the rule (a changed rule is a new version, recomputed in the background)'),
        params: idParams,
        body: updateBody,
        response: { 200: segmentSchema, ...errorResponses },
      },
    },
    async (req) => updateSegment(deps, req.workspaceId, req.params.id, req.body),
  );

  const segmentAnswer = (summary: string) => ({ ...secured('segments', summary), params: idParams, response: { 200: segmentSchema, ...errorResponses } });
  app.delete<Id>('/v1/segments/:id', { preHandler, schema: segmentAnswer('Archive a segment (members released; history kept)') }, async (req) =>
    archiveSegment(deps, req.workspaceId, req.params.id),
  );
  app.post<Id>('/v1/segments/:id/recompute', { preHandler, schema: segmentAnswer('Recompute a rule segment from scratch in the background') }, async (req) =>
    recomputeNow(deps, req.workspaceId, req.params.id),
  );
}

/** Members: a JSON page, or the whole list streamed as CSV. */
function memberRoutes(app: FastifyInstance, deps: SegmentsDeps, preHandler: PreHandler): void {
  app.get<Id & { Querystring: { limit: number; cursor?: string; format: 'json' | 'csv'; traits?: string } }>(
    '/v1/segments/:id/members',
    { preHandler, schema: { ...secured('segments', 'Members: a JSON page, or with format=csv the whole list streamed as CSV'), ...membersSchema } },
    async (req, reply) => {
      if (req.query.format !== 'csv') return listMembers(deps, req.workspaceId, req.params.id, req.query);
      const traits = (req.query.traits ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const rows = exportMembersCsv(deps, req.workspaceId, req.params.id, traits);
      const first = await rows.next(); // fails with 404 before any byte is sent
      async function* all() {
        if (!first.done) yield first.value;
        yield* rows;
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="segment-${req.params.id}.csv"`)
        .send(Readable.from(all()));
    },
  );
}

/** Static segments' uploads (their own scope: the CSV body is streamed, not parsed). */
function uploadRoute(scope: FastifyInstance, deps: SegmentsDeps, preHandler: PreHandler): void {
  scope.addContentTypeParser(['text/csv', 'application/csv', 'application/octet-stream'], (_req, payload, done) => done(null, payload));
  scope.post<Id & { Querystring: { mode: 'add' | 'replace' | 'remove' } }>(
    '/v1/segments/:id/members',
    {
      bodyLimit: 256 * 1024 * 1024,
      preHandler,
      schema: {
        ...secured('segments', 'Static segment: add, replace or remove members from a CSV with an "identifier" column (profile id or type:value)'),
        ...uploadSchema,
      },
    },
    async (req) => {
      if (!(req.body instanceof Readable)) throw new SegmentError('UNSUPPORTED_MEDIA_TYPE', 'send the CSV as the raw body with Content-Type text/csv');
      return uploadStaticMembers(deps, req.workspaceId, req.params.id, req.body, req.query.mode);
    },
  );
}
