import type { FastifyReply, FastifyRequest } from 'fastify';
import { WeComCryptoError } from '../src/wecom/index.js';
import type { CallbackTarget } from './callbacks.js';
import { WeComApiError } from './errors.js';
import { SCENARIOS, ScenarioError, type CallbackScenario } from './scenarios.js';
import type { Sandbox } from './sandbox.js';

/**
 * The sandbox's own endpoints under /sandbox/ (not WeCom's): what a test or the CLI drives when
 * the sandbox runs as a separate process. Answers are plain JSON; failures are
 * `{ "error": "…" }` with 400 (bad request) or 502 (the callback target could not be reached).
 */
export function registerControlRoutes(sandbox: Sandbox): void {
  const { app, state } = sandbox;

  const json = (req: FastifyRequest): Record<string, unknown> => {
    const raw = req.body;
    if (raw === undefined || raw === null || raw === '') return {};
    const body = JSON.parse(String(raw)) as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ScenarioError('the body must be a JSON object');
    return body as Record<string, unknown>;
  };

  const run = async (reply: FastifyReply, fn: () => Promise<unknown> | unknown) => {
    try {
      return reply.send(await fn());
    } catch (err) {
      const invalidUrl = err instanceof TypeError && (err as { code?: string }).code === 'ERR_INVALID_URL';
      if (err instanceof ScenarioError || err instanceof WeComApiError || err instanceof WeComCryptoError || err instanceof SyntaxError || invalidUrl)
        return reply.code(400).send({ error: (err as Error).message });
      if (err instanceof TypeError && /fetch failed/.test(err.message))
        return reply.code(502).send({ error: `${err.message}: ${String((err.cause as Error | undefined)?.message ?? '')}` });
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
        return reply.code(502).send({ error: 'the callback target did not answer in time' });
      throw err;
    }
  };

  const targetOf = (body: Record<string, unknown>): Partial<CallbackTarget> => {
    const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    return { token: str('token'), encodingAesKey: str('encodingAesKey'), receiveId: str('receiveId'), agentId: str('agentId') };
  };

  const urlOf = (body: Record<string, unknown>) => {
    if (typeof body.url !== 'string' || !body.url) throw new ScenarioError('url (the callback URL to send to) is required');
    return body.url;
  };

  app.get('/sandbox/info', async () => ({
    ...sandbox.credentials,
    baseUrl: sandbox.url,
    staff: state.corp.staff.length,
    activeStaff: state.corp.activeStaff().length,
    customers: state.corp.customerCount,
    groups: state.groups.groups.filter((g) => !g.dismissed).length,
    scenarios: SCENARIOS,
  }));

  app.post('/sandbox/tokens/expire', async () => {
    sandbox.expireTokens();
    return { expired: true };
  });

  app.post('/sandbox/callbacks/fire', (req, reply) =>
    run(reply, async () => {
      const body = json(req);
      const { url: _url, token: _t, encodingAesKey: _k, receiveId: _r, agentId: _a, ...spec } = body;
      if (typeof spec.scenario !== 'string' || !(spec.scenario in SCENARIOS))
        throw new ScenarioError(`scenario must be one of ${Object.keys(SCENARIOS).join(', ')}`);
      const fired = await sandbox.fireCallback(urlOf(body), spec as unknown as CallbackScenario, targetOf(body));
      return { status: fired.status, response: fired.response, event: fired.event, welcomeCode: fired.welcomeCode };
    }),
  );

  app.post('/sandbox/callbacks/verify-url', (req, reply) =>
    run(reply, async () => {
      const body = json(req);
      return sandbox.verifyUrl(urlOf(body), targetOf(body));
    }),
  );

  app.post('/sandbox/groupmsg/confirm', (req, reply) =>
    run(reply, () => {
      const body = json(req);
      if (typeof body.msgid !== 'string') throw new ScenarioError('msgid is required');
      const msg = sandbox.confirmGroupMsg(body.msgid, typeof body.userid === 'string' ? body.userid : undefined);
      return { msgid: msg.msgid, senders: msg.senders.map((s) => ({ userid: state.corp.staff[s.staff].userid, status: s.status })) };
    }),
  );

  app.post('/sandbox/transfers/complete', async () => ({ completed: sandbox.completeTransfers() }));
}
