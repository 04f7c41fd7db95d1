/**
 * Deciding one claimed row, inside the claim transaction and under its profile's advisory lock:
 * recover a row whose lease expired mid-send, or apply the guardrails (consent, quiet hours,
 * frequency caps), find the address and render. A row that must not go now is settled here
 * (held, suppressed, failed, unknown); one that must go is marked `sending` with a lease and
 * becomes a job, before any provider is called.
 */
import { setImmediate } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { parseJson } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { resolveAddress } from '../addressing.js';
import type { ChannelConfig } from '../channel-config.js';
import type { Channel } from '../channels/types.js';
import type { ChannelName, Purpose } from '../content.js';
import { checkGuardrails, type Verdict } from '../guardrails.js';
import { isTestMessage } from '../outbox.js';
import { smsAddressKey } from '../replies.service.js';
import type { MessagingDB } from '../schema.js';
import { loadMessagingProfile, type MessagingProfile } from '../scope.js';
import type { MessagingSettings } from '../settings.js';
import { parseClock, quietUntil } from '../time.js';
import { fromStored, renderOutbound, toStored } from './render.js';
import { type DispatchContext, type DispatchStats, type Job, type Row, settle, updateRow } from './types.js';

/** What a row is decided against: its workspace's settings, time zone and channel configuration, and the pass's clock. */
export interface Decision {
  trx: Kysely<MessagingDB>;
  settings: MessagingSettings;
  zone: string;
  config: ChannelConfig | undefined;
  now: number;
  stats: DispatchStats;
}

/**
 * The previous worker's lease expired mid-send (it died between the provider call and the
 * record): resend the stored rendering only where the provider deduplicates, else `unknown`.
 */
async function recoverExpired(ctx: DispatchContext, d: Decision, row: Row, channel: Channel): Promise<Job | undefined> {
  const withinWindow = channel.resendWithinMs === undefined || (row.sent_at !== null && d.now - row.sent_at <= channel.resendWithinMs);
  if (channel.afterCrash === 'resend' && withinWindow && row.rendered && row.attempts < d.settings.maxAttempts) {
    const attempt = row.attempts + 1;
    await updateRow(d.trx, row, { lease_until: d.now + ctx.leaseMs, attempts: attempt }, ctx.deps.now());
    return { row, attempt, out: fromStored(await ctx.deps.cipher.forWorkspace(row.workspace_id, d.trx), row.rendered), config: d.config, channel };
  }
  return settle(ctx, d.trx, row, d.stats, 'unknown', { reason: 'outcome_unknown_after_crash', lease_until: null });
}

/** The guardrails' verdict: a profile's (consent, quiet hours in its zone, caps), or a group message's quiet hours in the workspace's zone. */
async function verdictFor(d: Decision, row: Row, profile: MessagingProfile | undefined): Promise<Verdict> {
  const purpose = row.purpose as Purpose;
  if (profile) return checkGuardrails(d.trx, row.workspace_id, { id: row.id, channel: row.channel, purpose }, profile, d.settings, d.now);
  const q = d.settings.quietHours;
  if (q.appliesTo === 'all' || purpose === 'marketing') {
    // Group messages have no profile: only quiet hours (in the workspace's zone) apply.
    const until = quietUntil(d.now, d.zone, parseClock(q.start)!, parseClock(q.end)!);
    if (until !== undefined) return { action: 'hold', until, reason: 'quiet_hours' };
  }
  return { action: 'send' };
}

/** Addresses and renders a row that may go, and marks it `sending` with a lease; settles it when it cannot go. */
async function markSending(ctx: DispatchContext, d: Decision, row: Row, channel: Channel, profile: MessagingProfile | undefined): Promise<Job | undefined> {
  const { deps } = ctx;
  const recipient = row.recipient ? parseJson<{ chatId?: string; sender?: string }>(row.recipient) : null;
  const address = await resolveAddress(d.trx, deps, row.workspace_id, channel, profile, recipient, d.config);
  if (!address.ok) return settle(ctx, d.trx, row, d.stats, 'suppressed', { reason: address.reason });
  let rendered: Awaited<ReturnType<typeof renderOutbound>>;
  const started = performance.now();
  try {
    rendered = await renderOutbound(deps, d.trx, row, profile, d.settings, address, d.now);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    // A short reason when the error names one (link_base_url_missing), else the error's own words.
    const reason = (err.details as { reason?: string } | undefined)?.reason ?? err.message.slice(0, 500);
    return settle(ctx, d.trx, row, d.stats, 'failed', { reason, error_code: err.code });
  } finally {
    // Rendering runs on microtasks: after a slow one (up to the 500 ms limit), let HTTP requests in.
    if (performance.now() - started > 50) await setImmediate();
  }
  const { out, locale } = rendered;
  const attempt = row.attempts + 1;
  // SMS replies name only a phone: keep its keyed hash so a reply finds this message (replies.service.ts).
  const cipher = await deps.cipher.forWorkspace(row.workspace_id, d.trx);
  const addressKey = channel.address === 'phone' && address.address ? smsAddressKey(cipher, address.address, deps.defaultPhoneRegion) : null;
  await updateRow(
    d.trx,
    row,
    {
      status: 'sending',
      reason: null,
      lease_until: d.now + ctx.leaseMs,
      attempts: attempt,
      sent_at: d.now,
      rendered: toStored(cipher, out),
      locale,
      address_key: addressKey,
    },
    deps.now(),
  );
  return { row, attempt, out, config: d.config, channel };
}

/** Decides one claimed row inside the claim transaction; returns a job when it must be sent now. */
export async function decide(ctx: DispatchContext, d: Decision, row: Row): Promise<Job | undefined> {
  const channel = ctx.channels[row.channel as ChannelName];
  if (!channel) return settle(ctx, d.trx, row, d.stats, 'failed', { reason: 'unknown_channel', error_code: 'UNKNOWN_CHANNEL' });
  if (row.profile_id) await ctx.deps.database.dialect.advisoryXactLock(d.trx, row.workspace_id + ':' + row.profile_id);
  if (row.status === 'sending') return recoverExpired(ctx, d, row, channel);
  const profile = row.profile_id ? await loadMessagingProfile(d.trx, row.workspace_id, row.profile_id, d.zone, d.now) : undefined;
  if (row.profile_id && !profile) return settle(ctx, d.trx, row, d.stats, 'suppressed', { reason: 'profile_not_found' });
  // A test send goes now to the recipient it names: its guardrails were reported when it was asked for.
  const verdict: Verdict = isTestMessage(row) ? { action: 'send' } : await verdictFor(d, row, profile);
  if (verdict.action === 'hold') return settle(ctx, d.trx, row, d.stats, 'held', { reason: verdict.reason, next_attempt_at: verdict.until });
  if (verdict.action === 'suppress') return settle(ctx, d.trx, row, d.stats, 'suppressed', { reason: verdict.reason });
  return markSending(ctx, d, row, channel, profile);
}
