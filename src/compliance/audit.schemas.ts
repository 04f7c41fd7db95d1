/** JSON schemas of the audit log API; free of server code (the console derives its types from them). */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

const filters = {
  actor: { type: 'string', maxLength: 100, description: "a console user's id (usr_…) or a secret API key's id" },
  method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
  route: { type: 'string', maxLength: 300, description: 'a route pattern or the start of one: /v1/segments matches /v1/segments/:id' },
  target: { type: 'string', maxLength: 300, description: 'the id acted on' },
  from: { type: 'string', format: 'date-time', description: 'from this time (inclusive)' },
  to: { type: 'string', format: 'date-time', description: 'until this time (exclusive)' },
  outcome: { type: 'string', enum: ['ok', 'failed'], description: 'ok: answered 2xx/3xx; failed: 4xx/5xx (refused attempts included)' },
} as const;

/** Query of `GET /v1/audit`. */
export const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...filters, ...pageQueryProperties(50, 500) },
} as const;

/** Query of `GET /v1/audit/export`. */
export const auditExportQuery = { type: 'object', additionalProperties: false, properties: filters } as const;

/** One action in the log. */
export const auditEntrySchema = {
  type: 'object',
  required: ['id', 'at', 'actor', 'ip', 'userAgent', 'method', 'route', 'path', 'target', 'status', 'body', 'before', 'after'],
  properties: {
    id: { type: 'string' },
    at: { type: 'string' },
    actor: {
      type: 'object',
      required: ['kind', 'id', 'role'],
      properties: {
        kind: { type: 'string', enum: ['key', 'user', 'cli'] },
        id: { type: ['string', 'null'], description: "the console user's id, or the secret API key's id" },
        role: { type: 'string' },
      },
    },
    ip: { type: ['string', 'null'] },
    userAgent: { type: ['string', 'null'] },
    method: { type: 'string' },
    route: { type: 'string', description: 'the route pattern, e.g. /v1/segments/:id' },
    path: { type: 'string' },
    target: { type: ['string', 'null'], description: "the route's first path parameter (the id acted on)" },
    status: { type: 'integer' },
    body: { description: 'the request body (the query of an export), secrets redacted, phones and emails masked' },
    before: { description: 'for a PUT/PATCH of what GET reads back at the same path: what it answered before' },
    after: { description: '… and after' },
  },
} as const;

/** `GET /v1/audit`. */
export const auditPage = pageSchema(auditEntrySchema, 'actions, newest first');
