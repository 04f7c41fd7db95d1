/**
 * Response schemas of the platform's own routes (platform.routes.ts). Like every `*.schemas.ts`
 * the console derives types from, this file imports only other schema files.
 */

/** `GET /v1/workspace`: the workspace a secret key belongs to. */
export const workspaceSchema = {
  type: 'object',
  required: ['id', 'name', 'settings', 'timeZone', 'timeZoneIsDefault', 'createdAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    timeZone: { type: 'string', description: "The zone the workspace's local days use: settings.timezone, else the server's default (SIYU_DEFAULT_TIMEZONE)" },
    timeZoneIsDefault: { type: 'boolean', description: 'true when settings.timezone names no zone and the server default applies' },
    settings: {
      type: 'object',
      additionalProperties: true,
      description: 'The workspace settings (currency, time zone, identity rules, segmentation, tracking)',
      properties: {
        currency: { type: 'string' },
        timezone: { type: 'string' },
        holidays: {
          type: 'array',
          items: { type: 'string' },
          description: 'Public holidays (YYYY-MM-DD, sorted): not working days for the deadlines of privacy requests',
        },
      },
    },
    createdAt: { type: 'string' },
  },
} as const;

/** `PATCH /v1/workspace` (owner): a new name, time zone and/or list of public holidays. */
export const patchWorkspaceBody = {
  type: 'object',
  minProperties: 1,
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    timezone: { type: 'string', minLength: 1, maxLength: 64, description: 'An IANA time zone, e.g. Asia/Shanghai' },
    holidays: {
      type: 'array',
      maxItems: 400,
      items: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
      description:
        "The workspace's public holidays as YYYY-MM-DD dates in its time zone (replacing the list): the 15 working days of a privacy request's deadline skip them as they skip weekends",
    },
  },
} as const;

/** An API key as `GET /v1/keys` lists it (never the key itself). */
export const keyInfo = {
  type: 'object',
  required: ['id', 'kind', 'name', 'prefix', 'createdAt', 'revokedAt', 'lastUsedAt'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['write', 'secret'] },
    name: { type: 'string' },
    prefix: { type: 'string' },
    createdAt: { type: 'string' },
    revokedAt: { type: ['string', 'null'] },
    lastUsedAt: { type: ['string', 'null'], description: 'When the key last authenticated a request (written at most once a minute); null if never' },
  },
} as const;

/** `POST /v1/keys`: the new key, shown only in this answer. */
export const createdKeySchema = { type: 'object', required: ['key', 'info'], properties: { key: { type: 'string' }, info: keyInfo } } as const;
