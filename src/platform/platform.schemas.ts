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
