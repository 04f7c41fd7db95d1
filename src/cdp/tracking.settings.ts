/**
 * Settings for browsers: the settings document Segment's browser SDK (analytics-next) fetches on
 * load from `${cdnURL}/v1/projects/<writeKey>/settings`, and the workspace's tracking settings
 * (allowed origins) over the management API.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.js';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { KeyResolver } from '../platform/workspaces.js';
import { publicBase, type TrustedProxies } from './tracking.client.js';
import type { TrackingCors } from './tracking.cors.js';
import { MAX_ALLOWED_ORIGINS, type OriginPolicies } from './tracking.origins.js';

/**
 * What analytics-next reads from its CDN settings: where to send (`integrations['Segment.io']`
 * `apiHost` without scheme, and `protocol`), no other destinations, no remote plugins, and no
 * metrics (they would go to Segment's own host).
 */
export function sdkSettings(writeKey: string, base: { protocol: string; host: string }) {
  return {
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        apiHost: `${base.host}/v1`,
        protocol: base.protocol,
        unbundledIntegrations: [],
        addBundledMetadata: true,
        maybeBundledConfigIds: {},
      },
    },
    plan: {},
    edgeFunction: {},
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    metrics: { sampleRate: 0 },
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
  };
}

/** `GET /v1/projects/:writeKey/settings`, in the CORS scope (the page's origin must be allowed). */
export function sdkSettingsRoute(scope: FastifyInstance, deps: { keys: KeyResolver; cors: TrackingCors; trusted: TrustedProxies; publicUrl?: string }): void {
  scope.get<{ Params: { writeKey: string } }>(
    '/v1/projects/:writeKey/settings',
    {
      schema: {
        tags: ['tracking'],
        summary: "Settings for Segment's browser SDK (analytics-next): load it with cdnURL set to Siyu",
        params: { type: 'object', required: ['writeKey'], properties: { writeKey: { type: 'string', maxLength: 200 } } },
      },
    },
    async (req: FastifyRequest<{ Params: { writeKey: string } }>, reply) => {
      const { writeKey } = req.params;
      const ws = await deps.keys.resolve(writeKey, 'write');
      if (!ws) throw new AppError('UNAUTHORIZED', 'invalid or revoked write key');
      await deps.cors.check(req, ws);
      reply.header('cache-control', 'public, max-age=60');
      return sdkSettings(writeKey, publicBase(req, deps.trusted, deps.publicUrl));
    },
  );
}

const originsAnswer = {
  type: 'object',
  properties: {
    allowedOrigins: { type: ['array', 'null'], items: { type: 'string' } },
    effectiveOrigins: { type: 'array', items: { type: 'string' } },
  },
} as const;

/** `GET` and `PATCH /v1/tracking/settings` (secret key): the origins browsers may send events from. */
export function trackingSettingsRoutes(app: FastifyInstance, deps: { keys: KeyResolver; origins: OriginPolicies }): void {
  const preHandler = requireKey(deps.keys, 'secret');
  app.get(
    '/v1/tracking/settings',
    {
      preHandler,
      schema: {
        ...secured('tracking', 'Tracking settings: the web origins allowed to send events from a browser (null: the development default)'),
        response: { 200: originsAnswer, ...errorResponses },
      },
    },
    async (req) => deps.origins.read(req.workspaceId),
  );
  app.patch<{ Body: { allowedOrigins: string[] | null } }>(
    '/v1/tracking/settings',
    {
      preHandler,
      schema: {
        ...secured('tracking', 'Set the web origins allowed to send events from a browser; null restores the development default (loopback pages only)'),
        body: {
          type: 'object',
          required: ['allowedOrigins'],
          additionalProperties: false,
          properties: {
            allowedOrigins: {
              type: ['array', 'null'],
              maxItems: MAX_ALLOWED_ORIGINS,
              items: { type: 'string', maxLength: 300 },
              description: 'e.g. ["https://shop.example.com", "https://*.example.com", "http://localhost:*"]; "*" allows any origin',
            },
          },
        },
        response: { 200: originsAnswer, ...errorResponses },
      },
    },
    async (req) => deps.origins.save(req.workspaceId, req.body.allowedOrigins),
  );
}
