import type { Logger } from 'pino';
import { OutboundBlockedError } from '../../platform/outbound.js';
import type { WeComClient } from '../../wecom/index.js';
import type { ChannelConfig } from '../channel-config.js';
import type { ChannelName, Purpose } from '../content.js';

/** What a channel adapter may use for one send. */
export interface SendContext {
  workspaceId: string;
  /** The channel's stored configuration (secrets decrypted), when the channel needs one. */
  config: ChannelConfig | undefined;
  fetch: typeof globalThis.fetch;
  log: Logger;
  now: () => number;
  wecomClientFor: (workspaceId: string) => Promise<WeComClient>;
}

/** A rendered message, addressed. */
export interface OutboundMessage {
  id: string;
  channel: ChannelName;
  purpose: Purpose;
  profileId: string | null;
  /** Email address, phone (E.164), openid or external_userid, by channel; none for webhooks and groups. */
  address?: string;
  /** WeCom: the staff member sending (1:1: the customer's owner; group: the group's owner). */
  sender?: string;
  /** WeCom group: the customer group. */
  chatId?: string;
  /** The channel's content after Liquid (see content.ts for shapes). */
  content: Record<string, unknown>;
  /** One-click unsubscribe URL, when links are configured (email puts it in List-Unsubscribe). */
  unsubscribeUrl?: string;
}

/** The provider's answer, as the dispatcher records it. */
export interface SendResult {
  status: 'sent' | 'failed';
  providerMessageId?: string;
  /** Provider error code, e.g. `wecom:41001`, `smtp:550`, `http:503`, the SMS gateway's code. */
  errorCode?: string;
  errorMessage?: string;
  /** Trying again later may succeed (rate limit, 5xx, network before the request was taken). */
  retryable: boolean;
  /** The request may have been taken before the failure (time-out after sending): handled like a crash (see `afterCrash`). */
  ambiguous?: boolean;
  /** The message's reason when the failure is ours, not the provider's: `destination_blocked` (an internal address, never retried). */
  reason?: 'destination_blocked';
}

/**
 * A channel: how to send, and what the dispatcher may do when a send's outcome is unknown (a
 * crash or time-out after the request left): `resend` when the provider deduplicates on our
 * message id, `unknown` when it cannot (the message is marked `unknown`, never sent twice).
 */
export interface Channel {
  readonly name: ChannelName;
  readonly afterCrash: 'resend' | 'unknown';
  /** For `resend` with a provider-side dedup window: past it, an unknown outcome is not resent. */
  readonly resendWithinMs?: number;
  /** The address kind the dispatcher must find for the profile. */
  readonly address: 'email' | 'phone' | 'openid' | 'external_userid' | 'none' | 'group';
  send(ctx: SendContext, msg: OutboundMessage): Promise<SendResult>;
}

/**
 * A destination the guarded fetch refused (loopback, private, link-local, metadata...): the message
 * fails at once (`destination_blocked`). The tenant sees the host they configured and the kind of
 * address; the address it resolved to goes to the operator's log only.
 */
export function blockedDestination(ctx: Pick<SendContext, 'log' | 'workspaceId'>, err: OutboundBlockedError): SendResult {
  ctx.log.warn(
    { workspaceId: ctx.workspaceId, host: err.host, address: err.address, range: err.range },
    'messaging: outbound request to an internal address refused',
  );
  return {
    status: 'failed',
    errorCode: 'OUTBOUND_BLOCKED',
    errorMessage: `${err.host} is an internal destination (${err.range}); Siyu does not call it unless the operator allows it with SIYU_OUTBOUND_ALLOW`,
    retryable: false,
    reason: 'destination_blocked',
  };
}

/** The refused destination in an error's cause chain, if any. */
function blockedIn(err: unknown): OutboundBlockedError | undefined {
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) if (e instanceof OutboundBlockedError) return e;
  return undefined;
}

/** Maps a thrown fetch error to a result: a refused internal destination fails at once; network errors before a response are retryable. */
export function networkFailure(ctx: Pick<SendContext, 'log' | 'workspaceId'>, err: unknown, idempotent: boolean): SendResult {
  const blocked = blockedIn(err);
  if (blocked) return blockedDestination(ctx, blocked);
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
  const code = e.cause?.code ?? (timedOut ? 'TIMEOUT' : 'NETWORK');
  // A refused connection never delivered anything; a time-out may have.
  const refused = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
  return {
    status: 'failed',
    errorCode: `network:${code}`,
    errorMessage: timedOut ? 'no answer within the time-out' : `network error (${code})`,
    retryable: true,
    ambiguous: !refused && !idempotent,
  };
}

/** How much of a provider's answer is read: enough for any real answer, and a bound on a hostile one. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** A provider's answer as text, at most MAX_ANSWER_BYTES (the rest is not read). */
export async function answerText(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
}

/**
 * What a provider said, for the operator's debug log only (the first 500 characters): tenants see
 * our classification (error code, HTTP status, our message), never the upstream text.
 */
export function logUpstream(ctx: Pick<SendContext, 'log' | 'workspaceId'>, messageId: string, what: Record<string, unknown>, text: string): void {
  ctx.log.debug({ workspaceId: ctx.workspaceId, messageId, ...what, upstream: text.slice(0, 500) }, 'messaging: provider answer');
}
