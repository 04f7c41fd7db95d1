/**
 * Testing a channel's settings: one fixed test message (or given content) to a given address,
 * sent now through the channel adapter, outside the outbox: no profile, no guardrails, nothing
 * recorded but a log line. The answer is the provider's outcome in our words.
 */
import { newId } from '../platform/ids.js';
import { CHANNEL_SPECS, loadChannelConfig } from './channel-config.js';
import { createChannels } from './channels/index.js';
import type { OutboundMessage, SendResult } from './channels/types.js';
import { type ChannelName, CHANNELS, isChannel, validateContent } from './content.js';
import type { MessagingDeps } from './deps.js';
import { MessagingError } from './errors.js';
import { renderContent } from './render.js';
import { canonicalPhone } from './replies.service.js';
import { renderScope } from './scope.js';

/** Body of POST /v1/messaging/channels/:channel/test. */
export interface ChannelTestRequest {
  /** The address: email, phone, openid, WeCom external_userid, or WeCom group chat id; none for webhooks. */
  to?: string;
  /** WeCom: the staff member who sends (default: the one following the customer, or the group's owner). */
  sender?: string;
  /** The channel's content; default a fixed test message (SMS, official account and mini program need theirs: provider-approved templates). */
  content?: Record<string, unknown>;
}

/** The outcome of a channel test. */
export interface ChannelTestResult {
  channel: ChannelName;
  /** The id the provider saw (SMS `outId`, webhook idempotency key, email Message-ID); no message row is kept. */
  messageId: string;
  status: 'sent' | 'failed';
  providerMessageId?: string;
  errorCode?: string;
  reason?: string;
  message?: string;
}

/** The fixed test message of the channels that can send free text. */
const FIXED: Partial<Record<ChannelName, (at: string) => Record<string, unknown>>> = {
  email: (at) => ({ subject: '私域 Siyu: test message', text: `This is a test message from Siyu, sent ${at}: the email channel works.` }),
  webhook: (at) => ({ body: { test: true, message: 'This is a test message from Siyu: the webhook channel works.', at } }),
  wecom: (at) => ({ text: `私域 Siyu 测试消息 / test message (${at})` }),
  wecom_group: (at) => ({ text: `私域 Siyu 测试消息 / test message (${at})` }),
};

/** Whether a channel's test needs its content given (it sends provider-approved templates only, so there is no fixed test message). */
export function testNeedsContent(ch: ChannelName): boolean {
  return FIXED[ch] === undefined;
}

/** What each address kind needs of `to`, and how to read it. */
const ADDRESS_HELP: Record<string, string> = {
  email: 'an email address',
  phone: 'a phone number (E.164, or national in SIYU_DEFAULT_PHONE_REGION)',
  openid: "the recipient's openid for the configured app",
  external_userid: "the customer's WeCom external_userid",
  group: 'the WeCom customer group chat id',
};

type Where = Pick<OutboundMessage, 'address' | 'sender' | 'chatId'>;

/** The recipient of the test from `to` and `sender`; 400 when the channel needs one that is missing or malformed. */
async function recipient(deps: MessagingDeps, ws: string, ch: ChannelName, kind: string, req: ChannelTestRequest): Promise<Where> {
  if (kind === 'none') {
    if (req.to !== undefined) throw new MessagingError('VALIDATION_FAILED', `${ch} sends to its configured URL: leave "to" out`);
    return {};
  }
  const to = req.to?.trim();
  if (!to) throw new MessagingError('RECIPIENT_NO_ADDRESS', `"to" is required for ${ch}: ${ADDRESS_HELP[kind]}`);
  if (kind === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(to)) throw new MessagingError('VALIDATION_FAILED', `"to" must be an email address, not "${to}"`);
  if (kind === 'phone') {
    const phone = canonicalPhone(to, deps.defaultPhoneRegion);
    if (!/^\+\d{6,15}$/.test(phone)) throw new MessagingError('VALIDATION_FAILED', `"to" must be a phone number (E.164 such as +8613800138000), not "${to}"`);
    return { address: phone };
  }
  if (kind === 'external_userid') {
    const sender = req.sender ?? (await deps.wecomFollower(deps.database.db, ws, to));
    if (!sender) throw new MessagingError('RECIPIENT_NO_ADDRESS', `no staff member follows ${to}: give "sender" (a staff userid)`);
    return { address: to, sender };
  }
  if (kind === 'group') {
    const sender = req.sender ?? (await deps.wecomGroupOwner(deps.database.db, ws, to))?.owner;
    if (!sender) throw new MessagingError('RECIPIENT_NO_ADDRESS', `group ${to} is unknown: give "sender" (the group owner's userid)`);
    return { chatId: to, sender };
  }
  return { address: to };
}

/** Sends one test message on a channel now and answers the outcome (a provider's refusal is an answer, not an error). */
export async function sendChannelTest(deps: MessagingDeps, ws: string, channelName: string, req: ChannelTestRequest): Promise<ChannelTestResult> {
  if (!isChannel(channelName)) throw new MessagingError('NOT_FOUND', `no channel "${channelName}"; channels: ${CHANNELS.join(', ')}`);
  const ch = channelName;
  const config = await loadChannelConfig(deps, ws, ch);
  if (!config && Object.values(CHANNEL_SPECS[ch].fields).some((f) => f.required))
    throw new MessagingError('CHANNEL_NOT_CONFIGURED', `the ${ch} channel is not configured: PUT /v1/channels/${ch} first`);
  const channel = createChannels()[ch];
  const where = await recipient(deps, ws, ch, channel.address, req);
  const now = deps.now();
  const id = newId('msg', now);
  let content = req.content;
  if (content === undefined) {
    const fixed = FIXED[ch];
    if (!fixed)
      throw new MessagingError('VALIDATION_FAILED', `"content" is required for ${ch}: it sends provider-approved templates only (see docs/messaging.md)`);
    content = fixed(new Date(now).toISOString());
  }
  validateContent(ch, content, 'content');
  const rendered = await renderContent(content, renderScope(undefined, { message: { id, channel: ch }, now }));
  const out: OutboundMessage = { id, channel: ch, purpose: 'service', profileId: null, ...where, content: rendered };
  let result: SendResult;
  try {
    result = await channel.send({ workspaceId: ws, config, fetch: deps.fetch, log: deps.log, now: deps.now, wecomClientFor: deps.wecomClientFor }, out);
  } catch (err) {
    deps.log.error({ err, workspaceId: ws, channel: ch }, 'messaging: channel test threw');
    result = { status: 'failed', errorCode: 'INTERNAL', errorMessage: 'the channel failed unexpectedly; see the server log', retryable: false };
  }
  deps.log.info({ workspaceId: ws, channel: ch, messageId: id, status: result.status, errorCode: result.errorCode }, 'messaging: channel test');
  return {
    channel: ch,
    messageId: id,
    status: result.status,
    ...(result.providerMessageId ? { providerMessageId: result.providerMessageId } : {}),
    ...(result.errorCode ? { errorCode: result.errorCode } : {}),
    ...(result.reason ? { reason: result.reason } : {}),
    ...(result.errorMessage ? { message: result.errorMessage } : {}),
  };
}
