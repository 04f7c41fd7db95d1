import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { ScrmError } from '../errors.js';
import { type ArchiveSearch, searchArchive } from './archive.search.js';
import { type ArchiveDeps, importArchive } from './archive.service.js';
import { archivePage, archiveSearchQuery } from './ops.schemas.js';

/** Largest archive body accepted over HTTP; bigger files go through `siyu wecom archive-import`. */
const BODY_LIMIT = 50 * 1024 * 1024;

/** `POST /v1/wecom/archive/import`: JSON lines (application/x-ndjson) of decrypted archive records; `GET /v1/wecom/archive/messages`: search them. */
export async function archiveRoutes(app: FastifyInstance, deps: ArchiveDeps, preHandler: preHandlerHookHandler): Promise<void> {
  for (const type of ['application/x-ndjson', 'application/jsonl', 'application/jsonlines']) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
  }
  app.post<{ Body: string }>(
    '/v1/wecom/archive/import',
    {
      preHandler,
      bodyLimit: BODY_LIMIT,
      schema: {
        ...secured(
          'wecom-ops',
          'Import conversation-archive records (JSON lines, Content-Type: application/x-ndjson) into customer timelines; sensitive words raise alerts',
        ),
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses },
      },
    },
    async (req) => {
      if (typeof req.body !== 'string') throw new ScrmError('ARCHIVE_IMPORT_INVALID', 'send JSON lines with Content-Type: application/x-ndjson');
      if (!req.body.trim()) throw new ScrmError('ARCHIVE_IMPORT_INVALID', 'the body holds no records');
      return importArchive(deps, req.workspaceId, req.body.split(/\r?\n/));
    },
  );
  app.get<{ Querystring: ArchiveSearch }>(
    '/v1/wecom/archive/messages',
    {
      preHandler,
      schema: {
        ...secured(
          'wecom-ops',
          'Search the imported conversation archive, newest first: by text, staff member, customer, direction, msgid and local days; each message with the sensitive words it holds',
        ),
        querystring: archiveSearchQuery,
        response: { 200: archivePage, ...errorResponses },
      },
    },
    async (req) => searchArchive(deps.ctx, req.workspaceId, req.query),
  );
}
