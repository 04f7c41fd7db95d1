import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { getChannelConfigView, putChannelConfig } from './channel-config.js';
import { listChannelInfos } from './channel-info.js';
import { type ChannelTestRequest, sendChannelTest } from './channel-test.js';
import type { MessagingDeps } from './deps.js';
import { channelConfigSchema, channelListPage, channelTestAnswer, channelTestBody, obj, settingsSchema } from './messaging.schemas.js';
import { loadSettings, updateSettings } from './settings.js';

/** Channel configurations, channel tests and guardrail settings (secret key). */
export async function settingsRoutes(app: FastifyInstance, deps: MessagingDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const config = { 200: channelConfigSchema, ...errorResponses };
  app.get(
    '/v1/channels',
    {
      preHandler,
      schema: {
        ...secured('messaging', 'Every channel with its configuration (secrets never shown) and the fields its configuration and test take'),
        response: { 200: channelListPage, ...errorResponses },
      },
    },
    async (req) => ({ data: await listChannelInfos(deps, req.workspaceId), nextCursor: null }),
  );
  app.get<{ Params: { channel: string } }>(
    '/v1/channels/:channel',
    { preHandler, schema: { ...secured('messaging', "A channel's configuration (secrets never shown)"), response: config } },
    async (req) => getChannelConfigView(deps, req.workspaceId, req.params.channel),
  );
  app.put<{ Params: { channel: string }; Body: Record<string, unknown> }>(
    '/v1/channels/:channel',
    { preHandler, schema: { ...secured('messaging', "Set a channel's configuration; omitted secrets are kept"), body: obj, response: config } },
    async (req) => putChannelConfig(deps, req.workspaceId, req.params.channel, req.body),
  );
  app.post<{ Params: { channel: string }; Body: ChannelTestRequest }>(
    '/v1/messaging/channels/:channel/test',
    {
      preHandler,
      schema: {
        ...secured('messaging', 'Send a test message on a channel to a given address now (no guardrails, nothing recorded but the log)'),
        body: channelTestBody,
        response: { 200: channelTestAnswer, ...errorResponses },
      },
    },
    async (req) => sendChannelTest(deps, req.workspaceId, req.params.channel, req.body ?? {}),
  );
  app.get(
    '/v1/messaging/settings',
    {
      preHandler,
      schema: {
        ...secured('messaging', 'Guardrail settings (quiet hours, caps, consent policy, links)'),
        response: { 200: settingsSchema, ...errorResponses },
      },
    },
    async (req) => loadSettings(deps, req.workspaceId),
  );
  app.patch<{ Body: unknown }>(
    '/v1/messaging/settings',
    {
      preHandler,
      schema: {
        ...secured('messaging', 'Change guardrail settings (fields given are replaced)'),
        body: obj,
        response: { 200: settingsSchema, ...errorResponses },
      },
    },
    async (req) => updateSettings(deps, req.workspaceId, req.body),
  );
}
