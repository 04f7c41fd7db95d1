/**
 * Test sends: the message a broadcast (or any sender) would send, to a few given profiles, now.
 * The guardrails (consent, quiet hours, caps, WeCom's daily limit) are evaluated and reported in
 * the answer but not applied: the message is queued marked as a test and the dispatcher sends it
 * at once. A recipient without an address for the channel is refused before anything is queued.
 */
import { CdpError } from '../cdp/index.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { resolveAddress } from './addressing.js';
import { CHANNEL_SPECS, loadChannelConfig } from './channel-config.js';
import { createChannels } from './channels/index.js';
import type { ChannelName, Purpose } from './content.js';
import type { MessagingDeps } from './deps.js';
import { MessagingError } from './errors.js';
import { guardrailReport, type Stop } from './guardrails.js';
import { enqueueTestMessage, type MessageSource } from './outbox.js';
import { loadMessagingProfile } from './scope.js';
import { loadSettings } from './settings.js';

/** What a test send needs of messaging's deps. */
export type TestSendDeps = Pick<MessagingDeps, 'database' | 'cipher' | 'now' | 'hub' | 'defaultTimeZone' | 'wecomGroupOwner' | 'wecomFollower'>;

/** The message to test and who receives it. */
export interface TestSendInput {
  workspaceId: string;
  channel: ChannelName;
  purpose: Purpose;
  /** A template (optionally a pinned version), or inline content in the channel's shape. */
  templateId?: string;
  templateVersion?: number;
  content?: Record<string, unknown>;
  data?: Record<string, unknown>;
  /** Recorded on the messages, e.g. `{ kind: 'broadcast', id, step: 'test' }`. */
  source: MessageSource;
  /** Live profile ids (already resolved from references). */
  profileIds: string[];
  /** Unique per call: each message's idempotency key is `<keyPrefix>:<profile id>`, so each call sends again. */
  keyPrefix: string;
}

/** A guardrail a real send would have met, reported (not applied) by a test send. */
export interface GuardrailNote {
  /** The reason a real send would record, e.g. `quiet_hours`, `consent_missing:marketing:sms`, `frequency_cap:marketing:day`. */
  code: string;
  message: string;
}

/** One test recipient's message. */
export interface TestSendResult {
  profileId: string;
  messageId: string;
  status: string;
  guardrails: GuardrailNote[];
}

function note(stop: Stop): GuardrailNote {
  return stop.action === 'hold'
    ? { code: stop.reason, message: `a real send would be held until ${new Date(stop.until).toISOString()} (${stop.reason}); this test goes now` }
    : { code: stop.reason, message: `a real send would be suppressed (${stop.reason}); this test goes now` };
}

/**
 * Queues test messages that the dispatcher sends at once (it is told through the hub), and
 * answers what the guardrails would have done to a real send for each recipient. Refuses:
 * CHANNEL_NOT_CONFIGURED (409) for a channel that needs a configuration it lacks,
 * RECIPIENT_NO_ADDRESS (400) naming each recipient without an address for the channel.
 */
export async function queueTestSends(deps: TestSendDeps, input: TestSendInput): Promise<TestSendResult[]> {
  const ws = input.workspaceId;
  const now = deps.now();
  const channel = createChannels()[input.channel];
  const results = await deps.database.db.transaction().execute(async (trx) => {
    const scoped = { database: { db: trx } };
    const settings = await loadSettings(scoped, ws);
    const zone = settings.timeZone ?? (await workspaceTimeZone(trx, ws, deps.defaultTimeZone));
    const config = await loadChannelConfig({ ...scoped, cipher: deps.cipher }, ws, input.channel);
    if (!config && Object.values(CHANNEL_SPECS[input.channel].fields).some((f) => f.required))
      throw new MessagingError('CHANNEL_NOT_CONFIGURED', `the ${input.channel} channel is not configured: PUT /v1/channels/${input.channel} first`);
    const checked = [];
    const missing: { profileId: string; reason: string }[] = [];
    for (const profileId of input.profileIds) {
      const profile = await loadMessagingProfile(trx, ws, profileId, zone, now);
      if (!profile) throw new CdpError('PROFILE_NOT_FOUND', `no profile ${profileId} in this workspace`);
      const address = await resolveAddress(trx, deps, ws, channel, profile, null, config);
      if (!address.ok) missing.push({ profileId, reason: address.reason });
      const stops = await guardrailReport(trx, ws, { id: '', channel: input.channel, purpose: input.purpose }, profile, settings, now);
      checked.push({ profileId, guardrails: stops.map(note) });
    }
    if (missing.length)
      throw new MessagingError(
        'RECIPIENT_NO_ADDRESS',
        `test recipients without an address for ${input.channel}: ${missing.map((m) => `${m.profileId} (${m.reason})`).join(', ')}; ` +
          'give recipients who have one (an identifier or trait of that kind)',
        { recipients: missing },
      );
    const out: TestSendResult[] = [];
    for (const c of checked) {
      const r = await enqueueTestMessage(trx, {
        workspaceId: ws,
        profileId: c.profileId,
        channel: input.channel,
        purpose: input.purpose,
        idempotencyKey: `${input.keyPrefix}:${c.profileId}`,
        source: input.source,
        data: input.data,
        now,
        ...(input.templateId !== undefined
          ? { templateId: input.templateId, ...(input.templateVersion !== undefined ? { templateVersion: input.templateVersion } : {}) }
          : { content: input.content }),
      });
      out.push({ profileId: c.profileId, messageId: r.id, status: r.status, guardrails: c.guardrails });
    }
    return out;
  });
  deps.hub.emit('messaging.outbox-has-work', { workspaceId: ws });
  return results;
}
