import { createHmac } from 'node:crypto';
import { answerText, type Channel, logUpstream, networkFailure } from './types.js';

/** The signature header value: `v1=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` under the signing secret. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return 'v1=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * Webhook: a signed JSON POST. Headers: `X-Siyu-Timestamp` (unix seconds), `X-Siyu-Signature`
 * (see webhookSignature), `X-Siyu-Idempotency-Key` (the message id, the same on every retry).
 * 2xx is sent; 5xx, 429 and network errors are retried by the dispatcher with back-off; other
 * 4xx fail. Receivers dedupe on the idempotency key, so an unknown outcome is resent.
 */
export const webhookChannel: Channel = {
  name: 'webhook',
  afterCrash: 'resend',
  address: 'none',
  async send(ctx, msg) {
    const url = ctx.config?.config.url as string | undefined;
    const secret = ctx.config?.secrets.signingSecret;
    if (!url || !secret)
      return { status: 'failed', errorCode: 'CHANNEL_NOT_CONFIGURED', errorMessage: 'webhook channel has no url or signingSecret', retryable: false };
    const body = JSON.stringify({
      id: msg.id,
      workspaceId: ctx.workspaceId,
      profileId: msg.profileId,
      purpose: msg.purpose,
      body: msg.content.body,
      sentAt: new Date(ctx.now()).toISOString(),
    });
    const ts = String(Math.floor(ctx.now() / 1000));
    let res: Response;
    try {
      res = await ctx.fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-siyu-timestamp': ts,
          'x-siyu-signature': webhookSignature(secret, ts, body),
          'x-siyu-idempotency-key': msg.id,
        },
        body,
        signal: AbortSignal.timeout((ctx.config?.config.timeoutMs as number | undefined) ?? 10_000),
      });
    } catch (err) {
      return networkFailure(ctx, err, true);
    }
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => undefined);
      return { status: 'sent', providerMessageId: res.headers.get('x-request-id') ?? undefined, retryable: false };
    }
    logUpstream(ctx, msg.id, { channel: 'webhook', status: res.status }, await answerText(res).catch(() => ''));
    return {
      status: 'failed',
      errorCode: `http:${res.status}`,
      errorMessage: `webhook answered HTTP ${res.status}`,
      retryable: res.status >= 500 || res.status === 429,
    };
  },
};
