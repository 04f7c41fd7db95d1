import type { Logger } from 'pino';
import type { WeComClient } from '../../wecom/client.js';
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

/** Maps a thrown fetch error to a result: network errors before a response are retryable. */
export function networkFailure(err: unknown, idempotent: boolean): SendResult {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
  const code = e.cause?.code ?? (timedOut ? 'TIMEOUT' : 'NETWORK');
  // A refused connection never delivered anything; a time-out may have.
  const refused = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
  return { status: 'failed', errorCode: `network:${code}`, errorMessage: e.message, retryable: true, ambiguous: !refused && !idempotent };
}
