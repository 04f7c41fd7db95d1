/** Schemas of the member token route and the member-facing API (validated by Fastify, in the OpenAPI document). */
import { errorSchema } from '../platform/http-schemas.js';
import { idempotencyKey } from './catalogue.schemas.js';

/** Error responses a member route may give (401: no, forged, expired or other-workspace token; 429: rate limit). */
export const memberErrors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 429: errorSchema } as const;

/** OpenAPI fields of a member route: its tag and the member-token security scheme (not the secret key). */
export function memberSecured(summary: string) {
  return { tags: ['member'], summary, security: [{ memberToken: [] }] };
}

/** Body of POST /v1/loyalty/member-tokens. */
export const mintBody = {
  type: 'object',
  required: ['profile'],
  additionalProperties: false,
  properties: {
    profile: { type: 'string', minLength: 1, maxLength: 1024, description: 'profile id (prf_…) or identifier (type:value)' },
    ttlSeconds: { type: 'integer', minimum: 1, maximum: 86_400, default: 3600, description: 'how long the token is valid: at most 24 hours' },
  },
} as const;

/** A minted token. */
export const tokenSchema = {
  type: 'object',
  required: ['token', 'profileId', 'expiresAt'],
  properties: {
    token: { type: 'string', description: 'send as "Authorization: Bearer <token>" to /v1/member/…' },
    profileId: { type: 'string' },
    expiresAt: { type: 'string' },
  },
} as const;

/** GET /v1/member/me. */
export const meSchema = {
  type: 'object',
  required: ['profileId', 'workspaceId', 'tokenExpiresAt'],
  properties: { profileId: { type: 'string' }, workspaceId: { type: 'string' }, tokenExpiresAt: { type: 'string' } },
} as const;

/** Body of the member's redemptions and draws. */
export const keyBody = {
  type: 'object',
  required: ['idempotencyKey'],
  additionalProperties: false,
  properties: { idempotencyKey: { ...idempotencyKey, description: "the member's own key: the same request again answers the first answer" } },
} as const;

/** Body of POST /v1/member/group-buys (open a group). */
export const openBody = {
  type: 'object',
  required: ['campaignId'],
  additionalProperties: false,
  properties: { campaignId: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

/** `:code` of a group. */
export const codeParams = { type: 'object', required: ['code'], properties: { code: { type: 'string', minLength: 4, maxLength: 64 } } } as const;
