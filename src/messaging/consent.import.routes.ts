import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { asConsentImportError, type ConsentImportMode, importConsent } from './consent.import.js';
import { CONSENT_PURPOSES } from './content.js';
import type { MessagingDeps } from './deps.js';
import { MessagingError } from './errors.js';
import { consentImportQuery, consentImportReport } from './messaging.schemas.js';

/** The file formats of a consent import, by content type. */
const IMPORT_TYPES: Record<string, 'csv' | 'ndjson' | undefined> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/octet-stream': undefined,
};

/** A consent file (at most CONSENT_IMPORT_MAX_ROWS rows) fits in 64 MB. */
const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

/** `POST /v1/messaging/consent/imports` (secret key): consent given elsewhere, from a CSV or NDJSON file, into the ledger. */
export async function consentImportRoutes(app: FastifyInstance, deps: MessagingDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  // A scope of its own, so the raw-stream body parsers apply to the import route only.
  await app.register(async (scope) => {
    scope.addContentTypeParser(Object.keys(IMPORT_TYPES), (_req, payload, done) => done(null, payload));
    scope.post<{ Querystring: { format?: 'csv' | 'ndjson'; mode: ConsentImportMode; fileName?: string } }>(
      '/v1/messaging/consent/imports',
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        preHandler,
        schema: {
          ...secured('consent', 'Import consent given or withdrawn elsewhere (a CSV or NDJSON file as the body) into the ledger, with its evidence'),
          description:
            'Columns: profile (prf_… or type:value) or one of user_id, member_id, phone, email, unionid, anonymous_id; purpose (' +
            CONSENT_PURPOSES.join(', ') +
            '); channel (* by default); granted (true/false); at (ISO 8601, when the person acted); source; text_version (required when granted); ' +
            'evidence.<name> columns. Every row is checked before any is recorded; re-importing a file records nothing twice.',
          querystring: consentImportQuery,
          response: { 200: consentImportReport, ...errorResponses },
        },
      },
      async (req) => {
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const format = req.query.format ?? IMPORT_TYPES[type];
        if (!format)
          throw new MessagingError('VALIDATION_FAILED', 'querystring/format is required with Content-Type application/octet-stream: give csv or ndjson');
        const body = req.body instanceof Readable ? req.body : Readable.from([]);
        const report = await importConsent(deps, req.workspaceId, body, { format, mode: req.query.mode, fileName: req.query.fileName }).catch(
          (err: unknown) => {
            throw asConsentImportError(err);
          },
        );
        if (report.rejected)
          throw new MessagingError(
            'CONSENT_IMPORT_INVALID',
            `${report.errorCount} of ${report.rows} rows are invalid, so nothing was recorded (mode all-or-nothing); see details.errors`,
            report,
          );
        return report;
      },
    );
  });
}
