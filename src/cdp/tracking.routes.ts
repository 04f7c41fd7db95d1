import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireKey } from '../platform/http.js';
import type { CdpDeps } from './deps.js';
import { type EventType, LIMITS, normaliseBatch, normaliseMessage, type NormaliseContext } from './tracking.js';
import { requestContext, trustedProxies } from './tracking.client.js';
import { installTrackingCors } from './tracking.cors.js';
import { createOriginPolicies } from './tracking.origins.js';
import { sdkSettingsRoute, trackingSettingsRoutes } from './tracking.settings.js';

/** What the tracking API needs. */
export type TrackingDeps = Pick<CdpDeps, 'keys' | 'writer' | 'defaultPhoneRegion' | 'now' | 'database' | 'tracking'>;

/** analytics-next's short paths (`${apiHost}/t`: the first letter of the call type). */
const SHORT_PATHS: Record<string, EventType> = { t: 'track', i: 'identify', p: 'page', s: 'screen', g: 'group', a: 'alias' };

/*
 * Scalar fields carry no `type` here on purpose: Fastify's validator coerces to the declared type
 * (123 to "123", null to "", 9007199254740993 to "9007199254740992"), which would change what is
 * stored. normaliseMessage checks each field exactly and answers a 400 naming it.
 */
const segmentMessage = {
  type: 'object',
  description: 'A Segment-compatible message (see https://segment.com/docs/connections/spec/). One of userId or anonymousId is required.',
  additionalProperties: true,
  properties: {
    type: { description: 'string: track, identify, page, screen, group or alias (implied by the endpoint)' },
    userId: { description: 'string (or a number up to 2^53 - 1)' },
    anonymousId: { description: 'string (or a number up to 2^53 - 1)' },
    messageId: { description: 'string: the deduplication key' },
    timestamp: { description: 'ISO-8601 string (or epoch milliseconds), years 0001-9999' },
    sentAt: { description: 'ISO-8601 string (or epoch milliseconds), years 0001-9999' },
    context: { type: 'object', additionalProperties: true },
    properties: { type: 'object', additionalProperties: true },
    traits: { type: 'object', additionalProperties: true },
    integrations: { type: 'object', additionalProperties: true },
    event: { description: 'string: the event name (track)' },
    writeKey: { type: 'string' },
  },
} as const;

const okResponse = { 200: { type: 'object', properties: { success: { type: 'boolean' } } } };

const batchBody = {
  type: 'object',
  required: ['batch'],
  additionalProperties: true,
  properties: {
    batch: { type: 'array', items: segmentMessage },
    context: { type: 'object', additionalProperties: true },
    sentAt: { description: 'ISO-8601 string: applies to items without their own' },
    writeKey: { type: 'string' },
  },
} as const;

/**
 * The Segment-compatible tracking API: /v1/track, identify, page, screen, group, alias, batch,
 * analytics-next's short paths (/v1/t, i, p, s, g, a and /v1/b), the SDK settings, with CORS for
 * browsers; and the management side of tracking settings (allowed origins).
 */
export async function trackingRoutes(app: FastifyInstance, deps: TrackingDeps): Promise<void> {
  const origins = createOriginPolicies(deps.database.db, deps.now);
  const trusted = trustedProxies(deps.tracking?.trustedProxies);
  trackingSettingsRoutes(app, { keys: deps.keys, origins });

  // The public routes live in a scope of their own: CORS and text/plain bodies apply to them only.
  await app.register(async (scope) => {
    jsonFromTextPlain(scope);
    const cors = installTrackingCors(scope, origins);
    const auth = requireKey(deps.keys, 'write');
    const preHandler = async (req: FastifyRequest, reply: FastifyReply) => {
      await auth(req, reply);
      await cors.check(req, req.workspaceId);
    };
    const ctxFor = async (req: FastifyRequest): Promise<NormaliseContext> => {
      const s = await deps.writer.settingsFor(req.workspaceId);
      return {
        receivedAt: deps.now(),
        rules: s.rules,
        currency: s.currency,
        defaultRegion: deps.defaultPhoneRegion,
        requestContext: requestContext(req, trusted),
      };
    };
    const common = { bodyLimit: LIMITS.requestBytes, preHandler };
    const paths: string[] = [];

    const single = (type: EventType) => async (req: FastifyRequest) => {
      const event = normaliseMessage(req.body, 'body', await ctxFor(req), { implied: type });
      await deps.writer.submit(req.workspaceId, [event]);
      return { success: true };
    };
    for (const type of ['track', 'identify', 'page', 'screen', 'group', 'alias'] as EventType[]) {
      const schema = { tags: ['tracking'], summary: `Segment ${type} call`, body: segmentMessage, response: okResponse };
      scope.post(`/v1/${type}`, { ...common, schema }, single(type));
      paths.push(`/v1/${type}`);
    }
    for (const [letter, type] of Object.entries(SHORT_PATHS)) {
      scope.post(`/v1/${letter}`, { ...common, schema: { hide: true, body: segmentMessage, response: okResponse } }, single(type));
      paths.push(`/v1/${letter}`);
    }

    const batch = async (req: FastifyRequest) => {
      const events = normaliseBatch(req.body, await ctxFor(req));
      await deps.writer.submit(req.workspaceId, events);
      return { success: true };
    };
    const batchSummary = 'Segment batch: up to 2,500 events, 500 KB per request, 32 KB per event';
    scope.post('/v1/batch', { ...common, schema: { tags: ['tracking'], summary: batchSummary, body: batchBody, response: okResponse } }, batch);
    // analytics-next posts batches to /v1/b; older Segment clients to /v1/import.
    scope.post('/v1/b', { ...common, schema: { hide: true, body: batchBody, response: okResponse } }, batch);
    scope.post('/v1/import', { ...common, schema: { hide: true } }, batch);
    paths.push('/v1/batch', '/v1/b', '/v1/import');

    sdkSettingsRoute(scope, { keys: deps.keys, cors, trusted, publicUrl: deps.tracking?.publicUrl });
    paths.push('/v1/projects/:writeKey/settings');
    cors.preflight(paths);
  });
}

/**
 * Browsers' beacons and older analytics.js send JSON as text/plain (a "simple" request needs no
 * preflight): parsed here exactly as application/json is, prototype-poisoning checks included.
 */
function jsonFromTextPlain(scope: FastifyInstance): void {
  if (scope.hasContentTypeParser('text/plain')) scope.removeContentTypeParser('text/plain');
  scope.addContentTypeParser('text/plain', { parseAs: 'string' }, scope.getDefaultJsonParser('error', 'error'));
}
