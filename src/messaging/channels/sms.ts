import { createHash, createHmac, randomBytes } from 'node:crypto';
import { answerText, type Channel, logUpstream, networkFailure } from './types.js';

/**
 * The string the SMS gateway signature covers:
 * `POST\n<path of the endpoint>\n<timestamp>\n<nonce>\n<hex sha256 of the body>`.
 */
export function smsStringToSign(path: string, timestamp: string, nonce: string, body: string): string {
  return ['POST', path, timestamp, nonce, createHash('sha256').update(body).digest('hex')].join('\n');
}

/** Base64 HMAC-SHA256 of a string under a secret (the gateway request and receipt signatures). */
export function hmacBase64(secret: string, s: string): string {
  return createHmac('sha256', secret).update(s).digest('base64');
}

/** Gateway codes worth retrying later (rate limits and the gateway's own failures). */
const RETRYABLE = /^(Throttling|SYSTEM_|isp\.SYSTEM_ERROR|ServiceUnavailable)/;

/** A gateway code kept as the message's error code; anything else is recorded as the HTTP status. */
const GATEWAY_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * SMS through an HTTP gateway, shaped like Aliyun's and Tencent Cloud's signed APIs (see
 * docs/messaging.md for the full contract). One POST per message:
 *
 * ```
 * POST <endpoint>                      content-type: application/json
 * X-Siyu-Key-Id: <accessKeyId>         X-Siyu-Timestamp: <unix seconds>
 * X-Siyu-Nonce: <32 hex>               X-Siyu-Signature: base64 HMAC-SHA256(accessKeySecret, smsStringToSign)
 * { "phoneNumber": "+8613800138000", "signName": "...", "templateCode": "SMS_1", "templateParam": {..}, "outId": "<message id>" }
 * ```
 * Answer: `{ "code": "OK", "bizId": "..." }`, or `{ "code": "<error>", "message": "..." }`.
 * The gateway must treat `outId` as an idempotency key, so an unknown outcome is resent.
 */
export const smsChannel: Channel = {
  name: 'sms',
  afterCrash: 'resend',
  address: 'phone',
  async send(ctx, msg) {
    const c = ctx.config;
    const endpoint = c?.config.endpoint as string | undefined;
    if (!c || !endpoint || !c.secrets.accessKeySecret)
      return { status: 'failed', errorCode: 'CHANNEL_NOT_CONFIGURED', errorMessage: 'sms channel is not configured', retryable: false };
    if (!msg.address) return { status: 'failed', errorCode: 'NO_ADDRESS', retryable: false };
    const body = JSON.stringify({
      phoneNumber: msg.address,
      signName: (msg.content.signName as string | undefined) || (c.config.signName as string),
      templateCode: msg.content.templateCode,
      templateParam: msg.content.params ?? {},
      outId: msg.id,
    });
    const ts = String(Math.floor(ctx.now() / 1000));
    const nonce = randomBytes(16).toString('hex');
    const path = new URL(endpoint).pathname;
    let res: Response;
    try {
      res = await ctx.fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-siyu-key-id': String(c.config.accessKeyId),
          'x-siyu-timestamp': ts,
          'x-siyu-nonce': nonce,
          'x-siyu-signature': hmacBase64(c.secrets.accessKeySecret, smsStringToSign(path, ts, nonce, body)),
        },
        body,
        signal: AbortSignal.timeout((c.config.timeoutMs as number | undefined) ?? 10_000),
      });
    } catch (err) {
      return networkFailure(ctx, err, true);
    }
    const text = await answerText(res).catch(() => '');
    let answer: { code?: unknown; bizId?: unknown } = {};
    try {
      answer = JSON.parse(text);
    } catch {
      // a non-JSON answer is judged by its status below
    }
    if (res.status === 200 && answer?.code === 'OK')
      return { status: 'sent', providerMessageId: typeof answer.bizId === 'string' ? answer.bizId : undefined, retryable: false };
    // The gateway's text stays in the debug log: the tenant sees its status or code and our words.
    logUpstream(ctx, msg.id, { channel: 'sms', status: res.status }, text);
    if (res.status >= 500 || res.status === 429)
      return { status: 'failed', errorCode: `http:${res.status}`, errorMessage: `the SMS gateway answered HTTP ${res.status}`, retryable: true };
    const code = typeof answer?.code === 'string' && GATEWAY_CODE.test(answer.code) ? answer.code : `http:${res.status}`;
    return {
      status: 'failed',
      errorCode: code,
      errorMessage: `the SMS gateway refused the message (${code}, HTTP ${res.status})`,
      retryable: RETRYABLE.test(code),
    };
  },
};
