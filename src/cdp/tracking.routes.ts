import type { FastifyInstance } from 'fastify';
import { requireKey } from '../platform/http.js';
import type { CdpDeps } from './deps.js';
import { type EventType, LIMITS, normaliseBatch, normaliseMessage, type NormaliseContext } from './tracking.js';

/** What the tracking API needs. */
export type TrackingDeps = Pick<CdpDeps, 'keys' | 'writer' | 'defaultPhoneRegion' | 'now'>;

const segmentMessage = {
  type: 'object',
  description: 'A Segment-compatible message (see https://segment.com/docs/connections/spec/). One of userId or anonymousId is required.',
  additionalProperties: true,
  properties: {
    type: { type: 'string' },
    userId: { type: ['string', 'number'] },
    anonymousId: { type: ['string', 'number'] },
    messageId: { type: 'string' },
    timestamp: { type: 'string' },
    sentAt: { type: 'string' },
    context: { type: 'object', additionalProperties: true },
    properties: { type: 'object', additionalProperties: true },
    traits: { type: 'object', additionalProperties: true },
    integrations: { type: 'object', additionalProperties: true },
    event: { type: 'string', description: 'track: the event name' },
    writeKey: { type: 'string' },
  },
} as const;

const okResponse = { 200: { type: 'object', properties: { success: { type: 'boolean' } } } };

/** The Segment-compatible tracking API: /v1/track, identify, page, screen, group, alias, batch. */
export async function trackingRoutes(app: FastifyInstance, deps: TrackingDeps): Promise<void> {
  const auth = requireKey(deps.keys, 'write');
  const ctxFor = async (ws: string): Promise<NormaliseContext> => {
    const s = await deps.writer.settingsFor(ws);
    return { receivedAt: deps.now(), rules: s.rules, currency: s.currency, defaultRegion: deps.defaultPhoneRegion };
  };
  const common = { bodyLimit: LIMITS.requestBytes, preHandler: auth };

  for (const type of ['track', 'identify', 'page', 'screen', 'group', 'alias'] as EventType[]) {
    app.post(
      `/v1/${type}`,
      { ...common, schema: { tags: ['tracking'], summary: `Segment ${type} call`, body: segmentMessage, response: okResponse } },
      async (req) => {
        const event = normaliseMessage(req.body, 'body', await ctxFor(req.workspaceId), { implied: type });
        await deps.writer.submit(req.workspaceId, [event]);
        return { success: true };
      },
    );
  }

  app.post(
    '/v1/batch',
    {
      ...common,
      schema: {
        tags: ['tracking'],
        summary: 'Segment batch: up to 2,500 events, 500 KB per request, 32 KB per event',
        body: {
          type: 'object',
          required: ['batch'],
          additionalProperties: true,
          properties: {
            batch: { type: 'array', items: segmentMessage },
            context: { type: 'object', additionalProperties: true },
            sentAt: { type: 'string' },
            writeKey: { type: 'string' },
          },
        },
        response: okResponse,
      },
    },
    async (req) => {
      const events = normaliseBatch(req.body, await ctxFor(req.workspaceId));
      await deps.writer.submit(req.workspaceId, events);
      return { success: true };
    },
  );
  // Older Segment clients post batches to /v1/import.
  app.post('/v1/import', { ...common, schema: { hide: true } }, async (req) => {
    const events = normaliseBatch(req.body, await ctxFor(req.workspaceId));
    await deps.writer.submit(req.workspaceId, events);
    return { success: true };
  });
}
