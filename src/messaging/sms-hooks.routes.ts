import type { FastifyInstance } from 'fastify';
import { applySmsReceipts } from './delivery.service.js';
import type { MessagingDeps } from './deps.js';
import { applySmsReplies } from './replies.service.js';

/**
 * The SMS gateway's callbacks, HMAC-signed: delivery receipts and inbound replies. The signature
 * covers the raw body, so it is kept as text.
 */
export async function smsHookRoutes(app: FastifyInstance, deps: MessagingDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => done(null, body));
    const signed = (headers: Record<string, unknown>) => ({
      timestamp: headers['x-siyu-timestamp'] as string | undefined,
      signature: headers['x-siyu-signature'] as string | undefined,
    });
    scope.post<{ Params: { workspaceId: string }; Body: string }>(
      '/hooks/sms/:workspaceId/receipts',
      { schema: { tags: ['messaging'], summary: 'SMS gateway delivery receipts (HMAC-signed)' } },
      async (req) => applySmsReceipts(deps, req.params.workspaceId, signed(req.headers), req.body),
    );
    scope.post<{ Params: { workspaceId: string }; Body: string }>(
      '/hooks/sms/:workspaceId/replies',
      { schema: { tags: ['messaging'], summary: 'SMS gateway inbound messages (MO, HMAC-signed): replies to our SMS' } },
      async (req) => applySmsReplies(deps, req.params.workspaceId, signed(req.headers), req.body),
    );
  });
}
