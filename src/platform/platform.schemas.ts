/**
 * Response schemas of the platform's own routes (platform.routes.ts). Like every `*.schemas.ts`
 * the console derives types from, this file imports only other schema files.
 */

/** `GET /v1/workspace`: the workspace a secret key belongs to. */
export const workspaceSchema = {
  type: 'object',
  required: ['id', 'name', 'settings', 'createdAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    settings: {
      type: 'object',
      additionalProperties: true,
      description: 'The workspace settings (currency, time zone, identity rules, segmentation, tracking)',
      properties: { currency: { type: 'string' }, timezone: { type: 'string' } },
    },
    createdAt: { type: 'string' },
  },
} as const;

/** An API key as `GET /v1/keys` lists it (never the key itself). */
export const keyInfo = {
  type: 'object',
  required: ['id', 'kind', 'name', 'prefix', 'createdAt', 'revokedAt'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['write', 'secret'] },
    name: { type: 'string' },
    prefix: { type: 'string' },
    createdAt: { type: 'string' },
    revokedAt: { type: ['string', 'null'] },
  },
} as const;

/** `POST /v1/keys`: the new key, shown only in this answer. */
export const createdKeySchema = { type: 'object', required: ['key', 'info'], properties: { key: { type: 'string' }, info: keyInfo } } as const;
