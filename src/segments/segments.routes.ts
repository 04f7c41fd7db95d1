import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../server/app.js';
import { requireKey } from '../platform/http.js';
import { SegmentError } from './errors.js';
import { errorResponses, errorSchema, secured } from '../platform/http-schemas.js';
import { profileDeps } from '../cdp/profiles.routes.js';
import { resolveProfileRef } from '../cdp/profiles.service.js';
import { RULE_JSON_SCHEMA } from './rules.js';
import {
  archiveSegment,
  createSegment,
  exportMembersCsv,
  getSegment,
  listMembers,
  listSegments,
  previewRule,
  recomputeNow,
  type SegmentDeps,
  segmentsOfProfile,
  updateSegment,
  uploadStaticMembers,
} from './segments.service.js';

const anyObject = { type: 'object', additionalProperties: true } as const;

const segmentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    kind: { type: 'string', enum: ['rule', 'static'] },
    rule: { ...anyObject, nullable: true },
    summary: { type: 'object', nullable: true, properties: { en: { type: 'string' }, 'zh-CN': { type: 'string' } } },
    version: { type: 'integer' },
    timeDependent: { type: 'boolean', description: 're-checked on the schedule because time passing alone can change it' },
    status: { type: 'string', enum: ['active', 'archived'] },
    memberCount: { type: 'integer' },
    computing: { type: 'boolean', description: 'a full computation is in progress; memberCount is still settling' },
    evaluatedAt: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const segmentDetailSchema = {
  type: 'object',
  properties: {
    ...segmentSchema.properties,
    versions: {
      type: 'array',
      items: { type: 'object', properties: { version: { type: 'integer' }, rule: { ...anyObject, nullable: true }, createdAt: { type: 'string' } } },
    },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  cursor: { type: 'string', maxLength: 512 },
} as const;

type Id = { Params: { id: string } };

/** The segment deps, taken from the process services. */
export function segmentDeps(s: Services): SegmentDeps {
  return {
    database: s.database,
    now: () => s.clock.now(),
    timeZoneOf: s.timeZoneOf,
    profiles: profileDeps(s),
    wake: () => s.segmentWorker?.wake(),
  };
}

/** The segment API (secret key): rules, preview, versions, members, static uploads, export. */
export async function segmentRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const preHandler = requireKey(s.keys, 'secret');
  const deps = segmentDeps(s);

  app.get('/v1/segments/schema', { schema: { tags: ['segments'], summary: 'The JSON Schema of the segment rule language' } }, async () => RULE_JSON_SCHEMA);

  app.post<{ Body: { rule: unknown; sampleSize: number } }>(
    '/v1/segments/preview',
    {
      preHandler,
      schema: {
        ...secured('segments', 'Count and sample the profiles an unsaved rule matches'),
        body: {
          type: 'object',
          required: ['rule'],
          additionalProperties: false,
          properties: { rule: {}, sampleSize: { type: 'integer', minimum: 0, maximum: 100, default: 20 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              count: { type: 'integer' },
              total: { type: 'integer', description: 'live profiles in the workspace' },
              sample: {
                type: 'array',
                items: { type: 'object', properties: { id: { type: 'string' }, traits: anyObject, lastSeenAt: { type: ['string', 'null'] } } },
              },
              tookMs: { type: 'integer' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => previewRule(deps, req.workspaceId, req.body.rule, req.body.sampleSize),
  );

  app.post<{ Body: { name: string; description?: string; kind?: 'rule' | 'static'; rule?: unknown } }>(
    '/v1/segments',
    {
      preHandler,
      schema: {
        ...secured('segments', 'Create a segment (a rule segment is computed in the background; watch "computing")'),
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string' },
            description: { type: 'string', maxLength: 1000 },
            kind: { type: 'string', enum: ['rule', 'static'], default: 'rule' },
            rule: {},
          },
        },
        response: { 201: segmentSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createSegment(deps, req.workspaceId, req.body)),
  );

  app.get<{ Querystring: { limit: number; cursor?: string; status: 'active' | 'archived' | 'all' } }>(
    '/v1/segments',
    {
      preHandler,
      schema: {
        ...secured('segments', 'List segments with their sizes, newest first'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...pageQuery, status: { type: 'string', enum: ['active', 'archived', 'all'], default: 'active' } },
        },
        response: {
          200: { type: 'object', properties: { data: { type: 'array', items: segmentSchema }, nextCursor: { type: ['string', 'null'] } } },
          ...errorResponses,
        },
      },
    },
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
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { name: { type: 'string' }, description: { type: 'string', maxLength: 1000 }, rule: {} },
        },
        response: { 200: segmentSchema, ...errorResponses },
      },
    },
    async (req) => updateSegment(deps, req.workspaceId, req.params.id, req.body),
  );

  app.delete<Id>(
    '/v1/segments/:id',
    {
      preHandler,
      schema: {
        ...secured('segments', 'Archive a segment (members released; history kept)'),
        params: idParams,
        response: { 200: segmentSchema, ...errorResponses },
      },
    },
    async (req) => archiveSegment(deps, req.workspaceId, req.params.id),
  );

  app.post<Id>(
    '/v1/segments/:id/recompute',
    {
      preHandler,
      schema: {
        ...secured('segments', 'Recompute a rule segment from scratch in the background'),
        params: idParams,
        response: { 200: segmentSchema, ...errorResponses },
      },
    },
    async (req) => recomputeNow(deps, req.workspaceId, req.params.id),
  );

  app.get<Id & { Querystring: { limit: number; cursor?: string; format: 'json' | 'csv'; traits?: string } }>(
    '/v1/segments/:id/members',
    {
      preHandler,
      schema: {
        ...secured('segments', 'Members: a JSON page, or with format=csv the whole list streamed as CSV'),
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pageQuery,
            format: { type: 'string', enum: ['json', 'csv'], default: 'json' },
            traits: { type: 'string', maxLength: 2000, description: 'csv: comma-separated trait names to add as columns' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              data: {
                type: 'array',
                items: { type: 'object', properties: { profileId: { type: 'string' }, version: { type: 'integer' }, enteredAt: { type: 'string' } } },
              },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
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

  await app.register(async (scope) => {
    scope.addContentTypeParser(['text/csv', 'application/csv', 'application/octet-stream'], (_req, payload, done) => done(null, payload));
    scope.post<Id & { Querystring: { mode: 'add' | 'replace' | 'remove' } }>(
      '/v1/segments/:id/members',
      {
        bodyLimit: 256 * 1024 * 1024,
        preHandler,
        schema: {
          ...secured('segments', 'Static segment: add, replace or remove members from a CSV with an "identifier" column (profile id or type:value)'),
          params: idParams,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { mode: { type: 'string', enum: ['add', 'replace', 'remove'], default: 'add' } },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                rows: { type: 'integer' },
                added: { type: 'integer' },
                alreadyMembers: { type: 'integer' },
                removed: { type: 'integer' },
                errorCount: { type: 'integer' },
                errors: { type: 'array', items: { type: 'object', properties: { line: { type: 'integer' }, reason: { type: 'string' } } } },
              },
            },
            ...errorResponses,
            415: errorSchema,
          },
        },
      },
      async (req) => {
        if (!(req.body instanceof Readable)) throw new SegmentError('UNSUPPORTED_MEDIA_TYPE', 'send the CSV as the raw body with Content-Type text/csv');
        return uploadStaticMembers(deps, req.workspaceId, req.params.id, req.body, req.query.mode);
      },
    );
  });

  app.get<Id>(
    '/v1/profiles/:id/segments',
    {
      preHandler,
      schema: {
        ...secured('segments', 'The segments a profile is in now'),
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 1024 } } },
        response: {
          200: {
            type: 'object',
            properties: {
              data: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { segmentId: { type: 'string' }, name: { type: 'string' }, version: { type: 'integer' }, enteredAt: { type: 'string' } },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => ({ data: await segmentsOfProfile(deps, req.workspaceId, await resolveProfileRef(deps.profiles, req.workspaceId, req.params.id)) }),
  );
}
