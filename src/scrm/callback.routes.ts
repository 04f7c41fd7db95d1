import type { FastifyInstance } from 'fastify';
import { MAX_XML_BYTES } from '../wecom/index.js';
import { acceptCallback, type CallbackDeps, type CallbackQuery, DEFAULT_CALLBACK_WINDOW_MS, verifyUrl } from './callback.service.js';
import type { Scrm } from './deps.js';

/** The callback endpoint's deps from the SCRM module. */
export function callbackDeps(scrm: Scrm): CallbackDeps {
  return {
    database: scrm.database,
    connections: scrm.connections,
    replay: scrm.replay,
    now: scrm.now,
    log: scrm.log,
    windowMs: scrm.callbackWindowMs ?? DEFAULT_CALLBACK_WINDOW_MS,
    hub: scrm.hub,
  };
}

const querySchema = {
  type: 'object',
  properties: { msg_signature: { type: 'string' }, timestamp: { type: 'string' }, nonce: { type: 'string' }, echostr: { type: 'string' } },
} as const;
const params = { type: 'object', required: ['workspace'], properties: { workspace: { type: 'string', maxLength: 64 } } } as const;

type Req = { Params: { workspace: string }; Querystring: CallbackQuery };

/**
 * `GET` and `POST /wecom/callback/:workspace`: WeCom's 接收事件服务器 URL. No API key: requests are
 * authenticated by msg_signature (the Token) and the ciphertext (the EncodingAESKey and corp id).
 */
export async function callbackRoutes(app: FastifyInstance, scrm: Scrm): Promise<void> {
  const deps = callbackDeps(scrm);
  // WeCom posts XML (text/xml) and, for JSON callbacks, JSON; the body is read as text whatever
  // the declared type and parsed by the callback service, which knows both envelopes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_XML_BYTES }, (_req, body, done) => done(null, body));

  app.get<Req>(
    '/wecom/callback/:workspace',
    { schema: { tags: ['wecom'], summary: 'WeCom callback URL verification: answers the decrypted echostr', params, querystring: querySchema } },
    async (req, reply) => {
      const echo = await verifyUrl(deps, req.params.workspace, req.query);
      return reply.type('text/plain; charset=utf-8').send(echo);
    },
  );

  app.post<Req>(
    '/wecom/callback/:workspace',
    {
      // The limit is the route's (not the parser's) so that the error handler's REQUEST_TOO_LARGE names it: 1 MB, the XML reader's own bound.
      bodyLimit: MAX_XML_BYTES,
      schema: {
        tags: ['wecom'],
        summary: 'WeCom event push (encrypted XML or JSON, at most 1 MB): queued durably, answered "success"',
        params,
        querystring: querySchema,
      },
    },
    async (req, reply) => {
      await acceptCallback(deps, req.params.workspace, req.query, req.body);
      return reply.type('text/plain; charset=utf-8').send('success');
    },
  );
}
