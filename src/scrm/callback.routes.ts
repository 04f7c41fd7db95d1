import type { FastifyInstance } from 'fastify';
import type { Services } from '../server/app.js';
import { MAX_XML_BYTES } from '../wecom/crypto-xml.js';
import { acceptCallback, type CallbackDeps, type CallbackQuery, verifyUrl } from './callback.service.js';

/** The callback endpoint's deps from the process services. */
export function callbackDeps(s: Services): CallbackDeps {
  return {
    database: s.database,
    connections: s.scrm.connections,
    replay: s.scrm.replay,
    now: () => s.clock.now(),
    log: s.log,
    windowMs: s.scrm.callbackWindowMs,
    onEnqueued: () => s.inboxWorker?.wake(),
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
export async function callbackRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const deps = callbackDeps(s);
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
    { schema: { tags: ['wecom'], summary: 'WeCom event push (encrypted XML or JSON): queued durably, answered "success"', params, querystring: querySchema } },
    async (req, reply) => {
      await acceptCallback(deps, req.params.workspace, req.query, req.body);
      return reply.type('text/plain; charset=utf-8').send('success');
    },
  );
}
