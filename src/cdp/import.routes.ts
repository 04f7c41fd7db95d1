import { Readable, Transform } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type CdpDeps, importDeps } from './deps.js';
import { CdpError } from './errors.js';
import { requireKey } from '../platform/http.js';
import { errorSchema, secured } from '../platform/http-schemas.js';
import { IMPORT_FORMATS, IMPORT_KINDS, IMPORT_MODES, type ImportFormat, type ImportKind, type ImportMode, runImport } from './import.service.js';

/** Largest file the API accepts (1 GB); larger imports go through `siyu import` on the server. */
export const IMPORT_BODY_LIMIT = 1024 * 1024 * 1024;

const CONTENT_TYPES: Record<string, ImportFormat | undefined> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/octet-stream': undefined,
};

const reportSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: [...IMPORT_KINDS] },
    format: { type: 'string', enum: [...IMPORT_FORMATS] },
    mode: { type: 'string', enum: [...IMPORT_MODES] },
    rows: { type: 'integer', description: 'data rows read (not counting the CSV header or blank lines)' },
    imported: { type: 'integer', description: 'rows stored by this import' },
    duplicates: { type: 'integer', description: 'good rows already stored (re-imports store nothing twice)' },
    skipped: { type: 'integer', description: 'rows not stored' },
    rejected: { type: 'boolean', description: 'all-or-nothing found bad rows and stored nothing' },
    tagged: { type: 'integer', description: 'profiles given tags from a tags column' },
    errorCount: { type: 'integer' },
    errors: {
      type: 'array',
      description: 'the first 1,000 row errors, in file order',
      items: {
        type: 'object',
        properties: {
          line: { type: 'integer', description: '1-based physical line; the CSV header is line 1' },
          field: { type: 'string', description: 'the column at fault, when the problem is one column' },
          reason: { type: 'string' },
        },
      },
    },
    warningCount: { type: 'integer' },
    warnings: {
      type: 'array',
      description: 'the first 1,000 rows imported without one of their values (such as an invalid phone beside a usable member id), in file order',
      items: {
        type: 'object',
        properties: { line: { type: 'integer' }, field: { type: 'string' }, reason: { type: 'string' } },
      },
    },
  },
} as const;

const querySchema = {
  type: 'object',
  required: ['kind'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: [...IMPORT_KINDS], description: 'profiles (one identify per row) or orders (one Order Completed per row)' },
    format: { type: 'string', enum: [...IMPORT_FORMATS], description: 'default: from the content type (text/csv, application/x-ndjson)' },
    mode: {
      type: 'string',
      enum: [...IMPORT_MODES],
      default: 'skip-bad-rows',
      description: 'all-or-nothing validates the whole file first and stores nothing if any row is bad',
    },
  },
} as const;

// No `type`: the body arrives as a stream, which a type check would refuse; these schemas only document it.
const bodySchema = {
  content: {
    'text/csv': {
      schema: { description: 'CSV with a header row, UTF-8 (BOM allowed)', examples: ['user_id,phone,name,tags\nu-1,13800138000,Ann,vip/gold;new\n'] },
    },
    'application/x-ndjson': {
      schema: { description: 'one JSON object per line', examples: ['{"order_id":"A-1","member_id":"m-1","total":99.9,"ordered_at":"2026-01-05"}\n'] },
    },
    'application/octet-stream': { schema: { description: 'CSV or NDJSON; give ?format=' } },
  },
} as const;

type ImportRequest = { Querystring: { kind: ImportKind; format?: ImportFormat; mode: ImportMode } };

const byteLimitError = (limit: number) =>
  new CdpError('REQUEST_TOO_LARGE', `the file is larger than the API limit of ${limit / 1024 / 1024} MB; import it with \`siyu import\` on the server instead`);

/** Fails the stream once more than `limit` bytes have passed. */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit) done(byteLimitError(limit));
      else done(null, chunk);
    },
  });
}

/** The import API: `POST /v1/imports` with the raw CSV or NDJSON file as the body (secret key). */
export async function importRoutes(app: FastifyInstance, cdp: CdpDeps): Promise<void> {
  const deps = importDeps(cdp);
  // A scope of its own, so the raw-stream body parsers apply to this route only.
  await app.register(async (scope) => {
    scope.addContentTypeParser(Object.keys(CONTENT_TYPES), (_req, payload, done) => done(null, payload));
    scope.post<ImportRequest>(
      '/v1/imports',
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        preHandler: requireKey(cdp.keys, 'secret'),
        schema: {
          ...secured('imports', 'Import profiles or orders from a CSV or NDJSON file sent as the request body'),
          description:
            'Send the file as the raw body (Content-Type text/csv, application/x-ndjson or application/octet-stream with ?format=). ' +
            'Profiles: identifier columns user_id, member_id, unionid, anonymous_id, phone, email, openid:<appid>, external_userid:<corpid>; ' +
            'tags (group/name; ...); timestamp; every other column is a trait. Orders: order_id, an identifier, total (or total_fen), ' +
            'currency, ordered_at, products (JSON array). Re-importing a file stores nothing twice.',
          querystring: querySchema,
          body: bodySchema,
          response: { 200: reportSchema, 400: errorSchema, 401: errorSchema, 415: errorSchema },
        },
      },
      async (req) => {
        const { kind, mode } = req.query;
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const format = req.query.format ?? CONTENT_TYPES[type];
        if (!format) throw new CdpError('VALIDATION_FAILED', 'querystring/format is required with Content-Type application/octet-stream: give csv or ndjson');
        const body = req.body instanceof Readable ? req.body : Readable.from([]);
        if (Number(req.headers['content-length'] ?? 0) > IMPORT_BODY_LIMIT) throw byteLimitError(IMPORT_BODY_LIMIT);
        // One pass for either mode: all-or-nothing stages the parsed rows itself (see runImport).
        const limited = byteLimit(IMPORT_BODY_LIMIT);
        body.on('error', (err) => limited.destroy(err));
        const report = await runImport(deps, { workspaceId: req.workspaceId, kind, format, mode, open: () => body.pipe(limited) });
        if (report.rejected) {
          throw new CdpError(
            'IMPORT_INVALID',
            `${report.errorCount} of ${report.rows} rows are invalid, so nothing was imported (mode all-or-nothing); see details.errors`,
            report,
          );
        }
        return report;
      },
    );
  });
}
