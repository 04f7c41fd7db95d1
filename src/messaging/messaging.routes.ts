import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Services } from '../server/app.js';
import { profileDeps } from '../cdp/profiles.routes.js';
import { resolveProfileRef } from '../cdp/profiles.service.js';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { mergedIdsOf } from '../cdp/profiles.repo.js';
import { MessagingError } from './errors.js';
import { requireKey } from '../platform/http.js';
import { getChannelConfigView, putChannelConfig } from './channel-config.js';
import { consentAllows, consentHistory, type ConsentInput, recordConsent } from './consent.service.js';
import { CHANNELS } from './content.js';
import { applySmsReceipts, recordClick, recordOpen, unsubscribe } from './delivery.service.js';
import { mdb, type MessagingDeps } from './deps.js';
import { applySmsReplies } from './replies.service.js';
import { getMessage, listMessages, previewTemplate, type PreviewRequest, sendViaApi, type SendRequest } from './messages.service.js';
import { loadSettings, updateSettings } from './settings.js';
import { archiveTemplate, createTemplate, getTemplate, listTemplates, type TemplateInput, updateTemplate } from './templates.service.js';
import { parseJson } from '../platform/db/database.js';
import { createLinkSigner } from './links.js';

const obj = { type: 'object', additionalProperties: true } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 1024 } } } as const;
const templateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    channel: { type: 'string', enum: [...CHANNELS] },
    purpose: { type: 'string', enum: ['marketing', 'service'] },
    defaultLocale: { type: 'string' },
    variants: obj,
  },
} as const;
const sendBody = {
  type: 'object',
  additionalProperties: false,
  required: ['channel', 'idempotencyKey'],
  properties: {
    profileId: { type: 'string', minLength: 1 },
    channel: { type: 'string', enum: [...CHANNELS] },
    templateId: { type: 'string' },
    templateVersion: { type: 'integer', minimum: 1 },
    content: obj,
    purpose: { type: 'string', enum: ['marketing', 'service'] },
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 255 },
    data: obj,
    event: obj,
    recipient: { type: 'object', additionalProperties: false, properties: { chatId: { type: 'string' }, sender: { type: 'string' } } },
    locale: { type: 'string' },
    sendAt: { type: 'string' },
  },
} as const;
const consentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['purpose', 'channel', 'granted', 'source'],
  properties: {
    purpose: { type: 'string', enum: ['marketing', 'service'] },
    channel: { type: 'string', enum: ['*', ...CHANNELS] },
    granted: { type: 'boolean' },
    source: { type: 'string', minLength: 1, maxLength: 100 },
    evidence: obj,
    at: { type: 'string' },
  },
} as const;

/** The messaging deps, taken from the process services (WeCom clients from the SCRM connection unless given). */
export function messagingDeps(s: Services, over: Partial<MessagingDeps> = {}): MessagingDeps {
  return {
    database: s.database,
    cipher: s.cipher,
    links: createLinkSigner(s.config.encryptionKey),
    now: () => s.clock.now(),
    log: s.log,
    defaultTimeZone: s.config.defaultTimezone,
    defaultPhoneRegion: s.config.defaultPhoneRegion,
    wecomClientFor: (ws) => s.scrm.connections.clientFor(ws),
    fetch: globalThis.fetch,
    ...over,
  };
}

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

function page(reply: FastifyReply, status: number, title: string, text: string) {
  const esc = (x: string) => x.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(title)}</title><body style="font-family:sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem"><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>`,
    );
}

/**
 * The messaging API: templates, channel configs, settings, messages, consent (secret key), and
 * the public link routes `/r/:token` (click), `/o/:token` (open pixel), `/u/:token` (unsubscribe)
 * and the SMS gateway's receipt and reply callbacks.
 */
export async function messagingRoutes(app: FastifyInstance, s: Services, opts: { deps?: MessagingDeps; wake?: () => void } = {}): Promise<void> {
  const deps = opts.deps ?? messagingDeps(s);
  const pdeps = profileDeps(s);
  const preHandler = requireKey(s.keys, 'secret');
  const wake = opts.wake ?? (() => s.messagingDispatcher?.wake());
  type Id = { Params: { id: string } };

  // Templates
  app.get<{ Querystring: { channel?: string; status?: string } }>(
    '/v1/templates',
    {
      preHandler,
      schema: {
        ...secured('messaging', 'List message templates'),
        querystring: { type: 'object', properties: { channel: { type: 'string' }, status: { type: 'string', enum: ['active', 'archived', 'all'] } } },
      },
    },
    async (req) => ({ data: await listTemplates(deps, req.workspaceId, req.query) }),
  );
  app.post<{ Body: TemplateInput }>(
    '/v1/templates',
    {
      preHandler,
      schema: {
        ...secured('messaging', 'Create a template (version 1)'),
        body: { ...templateBody, required: ['name', 'channel', 'variants'] },
        response: errorResponses,
      },
    },
    async (req, reply) => reply.status(201).send(await createTemplate(deps, req.workspaceId, req.body)),
  );
  app.get<Id>('/v1/templates/:id', { preHandler, schema: { ...secured('messaging', 'A template with its versions'), params: idParams } }, async (req) =>
    getTemplate(deps, req.workspaceId, req.params.id),
  );
  app.patch<Id & { Body: TemplateInput }>(
    '/v1/templates/:id',
    { preHandler, schema: { ...secured('messaging', 'Edit a template; content changes create a new version'), params: idParams, body: templateBody } },
    async (req) => updateTemplate(deps, req.workspaceId, req.params.id, req.body),
  );
  app.put<Id & { Body: TemplateInput }>(
    '/v1/templates/:id',
    { preHandler, schema: { ...secured('messaging', 'Same as PATCH'), params: idParams, body: templateBody } },
    async (req) => updateTemplate(deps, req.workspaceId, req.params.id, req.body),
  );
  app.delete<Id>('/v1/templates/:id', { preHandler, schema: { ...secured('messaging', 'Archive a template'), params: idParams } }, async (req, reply) => {
    await archiveTemplate(deps, req.workspaceId, req.params.id);
    return reply.status(204).send();
  });
  app.post<Id & { Body: PreviewRequest }>(
    '/v1/templates/:id/preview',
    {
      preHandler,
      schema: {
        ...secured('messaging', 'Render a template for a real profile (or given traits) without sending'),
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            profileId: { type: 'string' },
            profile: obj,
            event: obj,
            data: obj,
            locale: { type: 'string' },
            version: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (req) => {
      const body = { ...req.body };
      if (body.profileId) body.profileId = await resolveProfileRef(pdeps, req.workspaceId, body.profileId);
      return previewTemplate(deps, req.workspaceId, req.params.id, body);
    },
  );

  // Channels and settings
  app.get<{ Params: { channel: string } }>(
    '/v1/channels/:channel',
    { preHandler, schema: { ...secured('messaging', "A channel's configuration (secrets never shown)") } },
    async (req) => getChannelConfigView(deps, req.workspaceId, req.params.channel),
  );
  app.put<{ Params: { channel: string }; Body: Record<string, unknown> }>(
    '/v1/channels/:channel',
    { preHandler, schema: { ...secured('messaging', "Set a channel's configuration; omitted secrets are kept"), body: obj } },
    async (req) => putChannelConfig(deps, req.workspaceId, req.params.channel, req.body),
  );
  app.get(
    '/v1/messaging/settings',
    { preHandler, schema: secured('messaging', 'Guardrail settings (quiet hours, caps, consent policy, links)') },
    async (req) => loadSettings(deps, req.workspaceId),
  );
  app.patch<{ Body: unknown }>(
    '/v1/messaging/settings',
    { preHandler, schema: { ...secured('messaging', 'Change guardrail settings (fields given are replaced)'), body: obj } },
    async (req) => updateSettings(deps, req.workspaceId, req.body),
  );

  // Messages
  app.post<{ Body: SendRequest }>(
    '/v1/messages',
    { preHandler, schema: { ...secured('messaging', 'Send one message (queued; guardrails apply at send time)'), body: sendBody } },
    async (req, reply) => {
      const body = { ...req.body };
      if (body.profileId) body.profileId = await resolveProfileRef(pdeps, req.workspaceId, body.profileId);
      const r = await sendViaApi(deps, req.workspaceId, body);
      if (r.created) wake();
      return reply.status(r.created ? 202 : 200).send(r);
    },
  );
  app.get<{ Querystring: { profileId?: string; status?: string; sourceKind?: string; sourceId?: string; limit: number; cursor?: string } }>(
    '/v1/messages',
    {
      preHandler,
      schema: {
        ...secured('messaging', 'List messages, newest first'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            profileId: { type: 'string' },
            status: { type: 'string' },
            sourceKind: { type: 'string' },
            sourceId: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            cursor: { type: 'string' },
          },
        },
      },
    },
    async (req) => {
      const { profileId, ...q } = req.query;
      let profileIds: string[] | undefined;
      if (profileId) {
        const live = await resolveProfileRef(pdeps, req.workspaceId, profileId);
        profileIds = [live, ...(await mergedIdsOf(s.database.db, req.workspaceId, live))];
      }
      return listMessages(deps, req.workspaceId, { ...q, profileIds });
    },
  );
  app.get<Id>('/v1/messages/:id', { preHandler, schema: { ...secured('messaging', 'One message'), params: idParams } }, async (req) =>
    getMessage(deps, req.workspaceId, req.params.id),
  );

  // Consent ledger
  app.post<Id & { Body: ConsentInput }>(
    '/v1/profiles/:id/consent',
    { preHandler, schema: { ...secured('consent', 'Record a consent given or withdrawn (appended to the ledger)'), params: idParams, body: consentBody } },
    async (req, reply) => {
      const id = await resolveProfileRef(pdeps, req.workspaceId, req.params.id);
      return reply.status(201).send(await recordConsent(deps, req.workspaceId, id, req.body));
    },
  );
  app.get<Id>(
    '/v1/profiles/:id/consent/history',
    { preHandler, schema: { ...secured('consent', "A profile's consent ledger, newest first"), params: idParams } },
    async (req) => {
      const id = await resolveProfileRef(pdeps, req.workspaceId, req.params.id);
      return { data: await consentHistory(deps, req.workspaceId, id) };
    },
  );
  app.get<Id>(
    '/v1/profiles/:id/consent',
    { preHandler, schema: { ...secured('consent', 'Current consent per purpose and channel, derived from the ledger'), params: idParams } },
    async (req) => {
      const id = await resolveProfileRef(pdeps, req.workspaceId, req.params.id);
      const settings = await loadSettings(deps, req.workspaceId);
      const row = await mdb(s.database.db)
        .selectFrom('profiles')
        .select('consent')
        .where('workspace_id', '=', req.workspaceId)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const consent = parseJson<Record<string, { granted: boolean; at: number }>>(row.consent);
      const out: Record<string, Record<string, boolean>> = { marketing: {}, service: {} };
      for (const purpose of ['marketing', 'service'] as const) {
        for (const ch of CHANNELS) out[purpose]![ch] = (await consentAllows(s.database.db, req.workspaceId, { id, consent }, purpose, ch, settings)).allowed;
      }
      return { profileId: id, allowed: out };
    },
  );

  // Public link routes: no key, the signed token is the authority.
  const token = (t: string) => {
    const v = deps.links.verify(t);
    if (!v) throw new MessagingError('LINK_INVALID', 'this link is not valid (it was changed or is not from this server)');
    return v;
  };
  app.get<{ Params: { token: string } }>('/r/:token', { schema: { hide: true } }, async (req, reply) => {
    const t = token(req.params.token);
    if (t.k !== 'c') throw new MessagingError('LINK_INVALID', 'not a tracked link');
    return reply.redirect(await recordClick(deps, t), 302);
  });
  app.get<{ Params: { token: string } }>('/o/:token', { schema: { hide: true } }, async (req, reply) => {
    const t = deps.links.verify(req.params.token);
    if (t?.k === 'o') await recordOpen(deps, t);
    // Always a pixel: a broken image would tell nothing to anyone and look bad in the mail client.
    return reply.header('cache-control', 'no-store').type('image/gif').send(PIXEL);
  });
  const unsub = async (req: { params: { token: string }; ip: string; headers: Record<string, unknown> }, reply: FastifyReply) => {
    const t = token(req.params.token);
    if (t.k !== 'u') throw new MessagingError('LINK_INVALID', 'not an unsubscribe link');
    const r = await unsubscribe(deps, t, { ip: req.ip, userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined });
    return page(
      reply,
      200,
      '退订成功 Unsubscribed',
      r.already
        ? `您已退订此渠道（${r.channel}）的营销消息。You were already unsubscribed.`
        : `您将不再收到此渠道（${r.channel}）的营销消息。You will no longer receive marketing messages on this channel.`,
    );
  };
  app.get<{ Params: { token: string } }>('/u/:token', { schema: { hide: true } }, (req, reply) => unsub(req, reply));
  // RFC 8058 one-click: mail clients POST `List-Unsubscribe=One-Click` as a form.
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) => done(null, body));
    scope.post<{ Params: { token: string } }>('/u/:token', { schema: { hide: true } }, (req, reply) => unsub(req, reply));
  });

  // SMS delivery receipts and inbound replies: the signature covers the raw body, so it is kept as text.
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => done(null, body));
    scope.post<{ Params: { workspaceId: string }; Body: string }>(
      '/hooks/sms/:workspaceId/receipts',
      { schema: { tags: ['messaging'], summary: 'SMS gateway delivery receipts (HMAC-signed)' } },
      async (req) =>
        applySmsReceipts(
          deps,
          req.params.workspaceId,
          { timestamp: req.headers['x-siyu-timestamp'] as string | undefined, signature: req.headers['x-siyu-signature'] as string | undefined },
          req.body,
        ),
    );
    scope.post<{ Params: { workspaceId: string }; Body: string }>(
      '/hooks/sms/:workspaceId/replies',
      { schema: { tags: ['messaging'], summary: 'SMS gateway inbound messages (MO, HMAC-signed): replies to our SMS' } },
      async (req) =>
        applySmsReplies(
          deps,
          req.params.workspaceId,
          { timestamp: req.headers['x-siyu-timestamp'] as string | undefined, signature: req.headers['x-siyu-signature'] as string | undefined },
          req.body,
        ),
    );
  });
}
