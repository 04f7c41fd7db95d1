import type { FastifyInstance, FastifyReply } from 'fastify';
import { recordClick, recordOpen, unsubscribe } from './delivery.service.js';
import type { MessagingDeps } from './deps.js';
import { MessagingError } from './errors.js';

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

/** The public link routes, with no key (the signed token is the authority): `/r/:token` click, `/o/:token` open pixel, `/u/:token` unsubscribe. */
export async function linkRoutes(app: FastifyInstance, deps: MessagingDeps): Promise<void> {
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
}
