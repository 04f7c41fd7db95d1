import { createHash } from 'node:crypto';
import type { Channel, SendContext, SendResult } from './types.js';
import { answerText, logUpstream, networkFailure } from './types.js';

/** errcodes meaning the access token is bad or expired: refresh once and retry. */
const TOKEN_STALE = new Set([40001, 40014, 42001]);
/** errcodes worth a later attempt: system busy, rate limits. */
const RETRYABLE = new Set([-1, 45009, 45011, 45047]);

interface TokenEntry {
  token: string;
  refreshAt: number;
}

/**
 * A small client for the WeChat official-account / mini-program server API: an access token from
 * `GET /cgi-bin/token?grant_type=client_credential&appid=&secret=` kept until 5 minutes before
 * `expires_in`, one POST per call, one refresh on a stale token.
 */
export function createWeChatApi() {
  const tokens = new Map<string, TokenEntry>();

  async function token(ctx: SendContext, base: string, appId: string, secret: string, force: boolean): Promise<string> {
    const key = `${base}\n${appId}\n${createHash('sha256').update(secret).digest('hex')}`;
    const hit = tokens.get(key);
    if (!force && hit && ctx.now() < hit.refreshAt) return hit.token;
    const res = await ctx.fetch(`${base}/cgi-bin/token?${new URLSearchParams({ grant_type: 'client_credential', appid: appId, secret })}`, {
      signal: AbortSignal.timeout(10_000),
    });
    const text = await answerText(res);
    // Not JSON: thrown as it is and handled as a network failure, as before.
    const a = JSON.parse(text) as { access_token?: string; expires_in?: number; errcode?: number };
    if (!a.access_token || typeof a.expires_in !== 'number') {
      logUpstream(ctx, '-', { channel: 'wechat', status: res.status }, text);
      throw Object.assign(new Error(`WeChat token: errcode ${a.errcode ?? `none (HTTP ${res.status})`}`), { errcode: a.errcode ?? -1 });
    }
    tokens.set(key, { token: a.access_token, refreshAt: ctx.now() + Math.max(60, a.expires_in - 300) * 1000 });
    return a.access_token;
  }

  /** POSTs `body` to `/cgi-bin/<api>` with the app's token; maps WeChat's answer to a SendResult. */
  async function post(ctx: SendContext, api: string, body: unknown, idempotent: boolean, messageId: string): Promise<SendResult> {
    const c = ctx.config;
    const appId = c?.config.appId as string | undefined;
    const secret = c?.secrets.appSecret;
    if (!appId || !secret) return { status: 'failed', errorCode: 'CHANNEL_NOT_CONFIGURED', errorMessage: 'appId and appSecret are required', retryable: false };
    const base = ((c!.config.apiBaseUrl as string | undefined) ?? 'https://api.weixin.qq.com').replace(/\/+$/, '');
    for (let attempt = 0; attempt < 2; attempt++) {
      let t: string;
      try {
        t = await token(ctx, base, appId, secret, attempt > 0);
      } catch (err) {
        const code = (err as { errcode?: number }).errcode;
        if (code !== undefined) return { status: 'failed', errorCode: `wechat:${code}`, errorMessage: (err as Error).message, retryable: RETRYABLE.has(code) };
        return networkFailure(ctx, err, true);
      }
      let a: { errcode?: number; msgid?: number | string };
      let text: string;
      try {
        const res = await ctx.fetch(`${base}/cgi-bin/${api}?access_token=${encodeURIComponent(t)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status >= 500) return { status: 'failed', errorCode: `http:${res.status}`, retryable: true, ambiguous: !idempotent };
        text = await answerText(res);
        a = JSON.parse(text) as typeof a;
      } catch (err) {
        return networkFailure(ctx, err, idempotent);
      }
      const code = a.errcode ?? 0;
      if (code === 0) return { status: 'sent', providerMessageId: a.msgid === undefined ? undefined : String(a.msgid), retryable: false };
      if (TOKEN_STALE.has(code) && attempt === 0) continue;
      // WeChat's errmsg stays in the debug log; the tenant sees the errcode.
      logUpstream(ctx, messageId, { channel: 'wechat', errcode: code }, text);
      return { status: 'failed', errorCode: `wechat:${code}`, errorMessage: `WeChat answered errcode ${code}`, retryable: RETRYABLE.has(code) };
    }
    return { status: 'failed', errorCode: 'wechat:token', retryable: true };
  }
  return { post };
}

type WeChatApi = ReturnType<typeof createWeChatApi>;

/** `{ key: "text" }` or `{ key: { value, color } }` -> WeChat's `{ key: { value, color? } }`. */
function dataOf(d: unknown): Record<string, { value: string; color?: string }> {
  const out: Record<string, { value: string; color?: string }> = {};
  for (const [k, v] of Object.entries((d ?? {}) as Record<string, unknown>))
    out[k] = typeof v === 'string' ? { value: v } : (v as { value: string; color?: string });
  return out;
}

/**
 * Official-account template message (`message/template/send`) by openid. `client_msg_id` is our
 * message id: WeChat sends one message per (openid, client_msg_id) within 10 minutes, so an
 * unknown outcome is resent within that window and marked `unknown` after it.
 */
export function wechatOaChannel(api: WeChatApi): Channel {
  return {
    name: 'wechat_oa',
    afterCrash: 'resend',
    resendWithinMs: 9 * 60_000,
    address: 'openid',
    async send(ctx, msg) {
      if (!msg.address) return { status: 'failed', errorCode: 'NO_ADDRESS', retryable: false };
      const c = msg.content;
      return api.post(
        ctx,
        'message/template/send',
        {
          touser: msg.address,
          template_id: c.templateId,
          ...(c.url ? { url: c.url } : {}),
          ...(c.miniprogram ? { miniprogram: c.miniprogram } : {}),
          data: dataOf(c.data),
          client_msg_id: msg.id,
        },
        true,
        msg.id,
      );
    },
  };
}

/** Mini-program subscribe message (`message/subscribe/send`) by openid; no idempotency key exists, so an unknown outcome is not resent. */
export function miniProgramChannel(api: WeChatApi): Channel {
  return {
    name: 'miniprogram',
    afterCrash: 'unknown',
    address: 'openid',
    async send(ctx, msg) {
      if (!msg.address) return { status: 'failed', errorCode: 'NO_ADDRESS', retryable: false };
      const c = msg.content;
      return api.post(
        ctx,
        'message/subscribe/send',
        {
          touser: msg.address,
          template_id: c.templateId,
          ...(c.page ? { page: c.page } : {}),
          data: dataOf(c.data),
          miniprogram_state: c.state ?? 'formal',
          lang: c.lang ?? 'zh_CN',
        },
        false,
        msg.id,
      );
    },
  };
}
