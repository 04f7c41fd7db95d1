import { type Kysely, sql } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { startLoop } from '../platform/loop.js';
import { resolveAddress } from './addressing.js';
import { type ChannelConfig, loadChannelConfig } from './channel-config.js';
import type { Channel, OutboundMessage, SendResult } from './channels/types.js';
import type { ChannelName, Purpose } from './content.js';
import { mdb, type MessagingDeps } from './deps.js';
import { checkGuardrails } from './guardrails.js';
import { linkBuilder, trackHtml } from './links.js';
import { renderContent } from './render.js';
import { smsAddressKey } from './replies.service.js';
import type { MessagesTable } from './schema.js';
import { loadMessagingProfile, renderScope } from './scope.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { loadSettings, type MessagingSettings } from './settings.js';
import { loadTemplateVersion, variantFor } from './templates.service.js';
import { parseClock, quietUntil } from './time.js';
import { writeTimelineEvent } from './timeline.js';
import type { Selectable, Updateable } from 'kysely';

/** Counts of one dispatcher pass. */
export interface DispatchStats {
  claimed: number;
  sent: number;
  failed: number;
  retrying: number;
  held: number;
  suppressed: number;
  unknown: number;
}

/** Options of the dispatcher. */
export interface DispatcherOptions {
  /** Rows claimed per pass (default 50). */
  batchSize?: number;
  /**
   * How long a claimed `sending` row belongs to this worker (default 120 s). Every provider call
   * times out well before (≤ 20 s), so an expired lease means the worker died mid-send.
   */
  leaseMs?: number;
  /** Provider calls in flight at once (default 8). */
  concurrency?: number;
  /** Idle poll interval of the background loop (default 1,000 ms). */
  pollMs?: number;
  /** Called between the provider's answer and recording it; tests inject crashes here. */
  afterSend?: (messageId: string, result: SendResult) => Promise<void> | void;
}

/** The background dispatcher of a process. */
export interface Dispatcher {
  /** One pass: claim due rows, apply guardrails, send, record. */
  runOnce(): Promise<DispatchStats>;
  /** Asks the loop to run now (after an enqueue). */
  wake(): void;
  /** Stops the loop after its current pass. */
  stop(): Promise<void>;
}

type Row = Selectable<MessagesTable>;

/** A claimed row ready for its provider call. */
interface Job {
  row: Row;
  attempt: number;
  out: OutboundMessage;
  config: ChannelConfig | undefined;
  channel: Channel;
}

/** The rendered message as stored on its row: the address (phone, email, openid) encrypted like other PII. */
type StoredOutbound = Omit<OutboundMessage, 'address'> & { addressEnc?: string };

function toStored(deps: Pick<MessagingDeps, 'cipher'>, out: OutboundMessage): StoredOutbound {
  const { address, ...rest } = out;
  return address === undefined ? rest : { ...rest, addressEnc: deps.cipher.encrypt(address) };
}

function fromStored(deps: Pick<MessagingDeps, 'cipher'>, s: StoredOutbound): OutboundMessage {
  const { addressEnc, ...rest } = s;
  return addressEnc === undefined ? rest : { ...rest, address: deps.cipher.decrypt(addressEnc) };
}

const backoff = (attempt: number) => Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempt - 1));

function emptyStats(): DispatchStats {
  return { claimed: 0, sent: 0, failed: 0, retrying: 0, held: 0, suppressed: 0, unknown: 0 };
}

/**
 * The outbox dispatcher. A pass claims due rows in one transaction (`FOR UPDATE SKIP LOCKED` on
 * PostgreSQL, so several workers share the queue; SQLite has one writer), applies the guardrails
 * under a per-profile advisory lock, renders, and marks each row `sending` with a lease before any
 * provider is called. Answers are recorded one transaction per message, guarded by the attempt
 * number so a row recovered by another worker is never overwritten. A row whose lease expired in
 * `sending` (the worker died between the provider call and the record) is resent only when its
 * channel deduplicates on our message id; otherwise it becomes `unknown`, never a duplicate.
 */
export function createDispatcher(deps: MessagingDeps, channels: Record<ChannelName, Channel>, opts: DispatcherOptions = {}): Dispatcher {
  const batchSize = opts.batchSize ?? 50;
  const leaseMs = opts.leaseMs ?? 120_000;
  const concurrency = opts.concurrency ?? 8;
  const pollMs = opts.pollMs ?? 1000;
  const { dialect } = deps.database;

  async function claim(stats: DispatchStats): Promise<Job[]> {
    const now = deps.now();
    return deps.database.db.transaction().execute(async (trx) => {
      const db = mdb(trx);
      let q = db
        .selectFrom('messages')
        .selectAll()
        .where((eb) =>
          eb.or([
            eb.and([eb('status', 'in', ['queued', 'held']), eb('next_attempt_at', '<=', now)]),
            eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', now)]),
          ]),
        )
        .orderBy('next_attempt_at')
        .limit(batchSize);
      q = dialect.claim(q);
      const rows = await q.execute();
      stats.claimed = rows.length;
      // Profile locks in one order across workers: no deadlock between two claiming passes.
      rows.sort(
        (a, b) => (a.workspace_id + (a.profile_id ?? '')).localeCompare(b.workspace_id + (b.profile_id ?? '')) || a.next_attempt_at - b.next_attempt_at,
      );
      const settingsOf = new Map<string, MessagingSettings>();
      const zoneOf = new Map<string, string>();
      const configOf = new Map<string, ChannelConfig | undefined>();
      const jobs: Job[] = [];
      for (const row of rows) {
        const ws = row.workspace_id;
        const scoped = { database: { ...deps.database, db: trx } } as Pick<MessagingDeps, 'database'>;
        if (!settingsOf.has(ws)) settingsOf.set(ws, await loadSettings(scoped, ws));
        if (!zoneOf.has(ws)) zoneOf.set(ws, settingsOf.get(ws)!.timeZone ?? (await workspaceTimeZone(trx, ws, deps.defaultTimeZone)));
        const cfgKey = `${ws}\n${row.channel}`;
        if (!configOf.has(cfgKey)) configOf.set(cfgKey, await loadChannelConfig({ ...scoped, cipher: deps.cipher }, ws, row.channel as ChannelName));
        const job = await prepare(trx, row, settingsOf.get(ws)!, zoneOf.get(ws)!, configOf.get(cfgKey), now, stats);
        if (job) jobs.push(job);
      }
      return jobs;
    });
  }

  async function finish(trx: Kysely<any>, row: Row, set: Updateable<MessagesTable>): Promise<void> {
    await mdb(trx)
      .updateTable('messages')
      .set({ ...set, updated_at: deps.now() })
      .where('workspace_id', '=', row.workspace_id)
      .where('id', '=', row.id)
      .execute();
  }

  /** Decides one claimed row inside the claim transaction; returns a job when it must be sent. */
  async function prepare(
    trx: Kysely<any>,
    row: Row,
    settings: MessagingSettings,
    zone: string,
    config: ChannelConfig | undefined,
    now: number,
    stats: DispatchStats,
  ): Promise<Job | undefined> {
    const channel = channels[row.channel as ChannelName];
    if (!channel) {
      await finish(trx, row, { status: 'failed', reason: 'unknown_channel', error_code: 'UNKNOWN_CHANNEL' });
      stats.failed++;
      return undefined;
    }
    if (row.profile_id) await dialect.advisoryXactLock(trx, row.workspace_id + ':' + row.profile_id);
    if (row.status === 'sending') {
      // The previous worker's lease expired mid-send: resend only where the provider dedupes.
      const withinWindow = channel.resendWithinMs === undefined || (row.sent_at !== null && now - row.sent_at <= channel.resendWithinMs);
      if (channel.afterCrash === 'resend' && withinWindow && row.rendered && row.attempts < settings.maxAttempts) {
        const attempt = row.attempts + 1;
        await finish(trx, row, { lease_until: now + leaseMs, attempts: attempt });
        return { row, attempt, out: fromStored(deps, parseJson<StoredOutbound>(row.rendered)), config, channel };
      }
      await finish(trx, row, { status: 'unknown', reason: 'outcome_unknown_after_crash', lease_until: null });
      stats.unknown++;
      return undefined;
    }
    const profile = row.profile_id ? await loadMessagingProfile(trx, row.workspace_id, row.profile_id, zone, now) : undefined;
    if (row.profile_id && !profile) {
      await finish(trx, row, { status: 'suppressed', reason: 'profile_not_found' });
      stats.suppressed++;
      return undefined;
    }
    const purpose = row.purpose as Purpose;
    if (profile) {
      const verdict = await checkGuardrails(trx, row.workspace_id, { id: row.id, channel: row.channel, purpose }, profile, settings, now);
      if (verdict.action === 'hold') {
        await finish(trx, row, { status: 'held', reason: verdict.reason, next_attempt_at: verdict.until });
        stats.held++;
        return undefined;
      }
      if (verdict.action === 'suppress') {
        await finish(trx, row, { status: 'suppressed', reason: verdict.reason });
        stats.suppressed++;
        return undefined;
      }
    } else if (settings.quietHours.appliesTo === 'all' || purpose === 'marketing') {
      // Group messages have no profile: only quiet hours (in the workspace's zone) apply.
      const until = quietUntil(now, zone, parseClock(settings.quietHours.start)!, parseClock(settings.quietHours.end)!);
      if (until !== undefined) {
        await finish(trx, row, { status: 'held', reason: 'quiet_hours', next_attempt_at: until });
        stats.held++;
        return undefined;
      }
    }
    const recipient = row.recipient ? parseJson<{ chatId?: string; sender?: string }>(row.recipient) : null;
    const address = await resolveAddress(trx, deps.cipher, row.workspace_id, channel, profile, recipient, config);
    if (!address.ok) {
      await finish(trx, row, { status: 'suppressed', reason: address.reason });
      stats.suppressed++;
      return undefined;
    }
    let out: OutboundMessage;
    let locale: string;
    try {
      ({ out, locale } = await render(trx, row, profile, settings, address, now));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      await finish(trx, row, { status: 'failed', reason: err.message.slice(0, 500), error_code: err.code });
      stats.failed++;
      return undefined;
    }
    const attempt = row.attempts + 1;
    // SMS replies name only a phone: keep its keyed hash so a reply finds this message (replies.service.ts).
    const addressKey = channel.address === 'phone' && address.address ? smsAddressKey(deps.cipher, address.address, deps.defaultPhoneRegion) : null;
    await finish(trx, row, {
      status: 'sending',
      reason: null,
      lease_until: now + leaseMs,
      attempts: attempt,
      sent_at: now,
      rendered: JSON.stringify(toStored(deps, out)),
      locale,
      address_key: addressKey,
    });
    return { row, attempt, out, config, channel };
  }

  async function render(
    trx: Kysely<any>,
    row: Row,
    profile: Awaited<ReturnType<typeof loadMessagingProfile>>,
    settings: MessagingSettings,
    address: { address?: string; sender?: string; chatId?: string },
    now: number,
  ): Promise<{ out: OutboundMessage; locale: string }> {
    let content: Record<string, unknown>;
    let locale = row.locale ?? profile?.locale ?? settings.defaultLocale;
    if (row.template_id) {
      const { v } = await loadTemplateVersion(
        { database: { ...deps.database, db: trx } },
        row.workspace_id,
        row.template_id,
        row.template_version ?? undefined,
      );
      const picked = variantFor(v, locale);
      content = picked.content;
      locale = picked.locale;
    } else content = parseJson(row.content);
    const links = linkBuilder(deps.links, settings.linkBaseUrl, {
      workspaceId: row.workspace_id,
      messageId: row.id,
      profileId: row.profile_id,
      channel: row.channel,
    });
    const unsubscribeUrl = links.unsubscribe();
    const extra = parseJson<{ data?: Record<string, unknown>; event?: Record<string, unknown> }>(row.data);
    const scope = renderScope(profile, { ...extra, message: { id: row.id, channel: row.channel }, unsubscribeUrl, now });
    const rendered = await renderContent(content, scope, links);
    if (row.channel === 'email' && typeof rendered.html === 'string') rendered.html = trackHtml(rendered.html, links);
    const { ok: _ok, ...where } = address as { ok?: boolean; address?: string; sender?: string; chatId?: string };
    const out: OutboundMessage = {
      id: row.id,
      channel: row.channel as ChannelName,
      purpose: row.purpose as Purpose,
      profileId: profile?.id ?? row.profile_id,
      ...where,
      content: rendered,
      ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
    };
    return { out, locale };
  }

  async function record(job: Job, result: SendResult, stats: DispatchStats): Promise<void> {
    const { row, attempt } = job;
    const now = deps.now();
    await deps.database.db.transaction().execute(async (trx) => {
      const db = mdb(trx);
      // Guard: only the claim that made this attempt may record it.
      const current = await db
        .selectFrom('messages')
        .select(['status', 'attempts'])
        .where('workspace_id', '=', row.workspace_id)
        .where('id', '=', row.id)
        .executeTakeFirst();
      if (!current || current.status !== 'sending' || current.attempts !== attempt) return;
      const settings = await loadSettings({ database: { ...deps.database, db: trx } }, row.workspace_id);
      const base = { lease_until: null, updated_at: now };
      const upd = (set: Updateable<MessagesTable>) =>
        db
          .updateTable('messages')
          .set({ ...base, ...set })
          .where('workspace_id', '=', row.workspace_id)
          .where('id', '=', row.id)
          .execute();
      const props = {
        messageId: row.id,
        channel: row.channel,
        purpose: row.purpose,
        templateId: row.template_id,
        templateVersion: row.template_version,
        source: row.source_kind,
        sourceId: row.source_id,
        sourceStep: row.source_step,
      };
      if (result.status === 'sent') {
        await upd({ status: 'sent', reason: null, error_code: null, provider_message_id: result.providerMessageId ?? null });
        if (row.profile_id)
          await writeTimelineEvent(trx, dialect, {
            workspaceId: row.workspace_id,
            profileId: job.out.profileId ?? row.profile_id,
            eventId: `${row.id}:sent`,
            event: 'Message Sent',
            properties: { ...props, providerMessageId: result.providerMessageId ?? null },
            at: now,
          });
        stats.sent++;
        return;
      }
      if (result.ambiguous && job.channel.afterCrash === 'unknown') {
        await upd({ status: 'unknown', reason: 'outcome_unknown', error_code: result.errorCode ?? null });
        stats.unknown++;
        return;
      }
      if ((result.retryable || result.ambiguous) && attempt < settings.maxAttempts) {
        // Ambiguous failures on deduplicating channels resend the stored rendering (same id, same content).
        await upd({
          status: result.ambiguous ? 'sending' : 'queued',
          reason: 'retrying',
          error_code: result.errorCode ?? null,
          next_attempt_at: now + backoff(attempt),
          lease_until: result.ambiguous ? now + backoff(attempt) : null,
        });
        stats.retrying++;
        return;
      }
      await upd({ status: 'failed', reason: result.retryable ? 'retries_exhausted' : 'provider_rejected', error_code: result.errorCode ?? 'UNKNOWN' });
      if (row.profile_id) {
        await writeTimelineEvent(trx, dialect, {
          workspaceId: row.workspace_id,
          profileId: job.out.profileId ?? row.profile_id,
          eventId: `${row.id}:failed`,
          event: 'Message Failed',
          properties: { ...props, errorCode: result.errorCode ?? null, errorMessage: result.errorMessage?.slice(0, 500) ?? null },
          at: now,
        });
      }
      stats.failed++;
    });
  }

  async function send(job: Job): Promise<SendResult> {
    try {
      return await job.channel.send(
        { workspaceId: job.row.workspace_id, config: job.config, fetch: deps.fetch, log: deps.log, now: deps.now, wecomClientFor: deps.wecomClientFor },
        job.out,
      );
    } catch (err) {
      deps.log.error({ err, messageId: job.row.id, channel: job.row.channel }, 'messaging: channel threw');
      return { status: 'failed', errorCode: 'INTERNAL', errorMessage: (err as Error).message, retryable: true, ambiguous: true };
    }
  }

  async function runOnce(): Promise<DispatchStats> {
    const stats = emptyStats();
    const jobs = await claim(stats);
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const result = await send(job);
        await opts.afterSend?.(job.row.id, result);
        await record(job, result, stats);
      }
    };
    // Every lane finishes before the pass ends, even when one fails: no send outlives its pass.
    const settled = await Promise.allSettled(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return stats;
  }

  const loop = startLoop({
    // A full batch: the next one at once, after a turn of the event loop. On SQLite every statement
    // completes synchronously, so a backlog of fast sends would otherwise hold the server's thread
    // (seen: /health unanswered for over a minute while 7,500 queued messages went out).
    pass: async () => ((await runOnce()).claimed < batchSize ? undefined : 0),
    idleMs: pollMs,
    log: deps.log,
    failed: 'messaging: dispatcher pass failed',
  });
  return { runOnce, wake: loop.wake, stop: loop.stop };
}

/** Starts the dispatcher loop in the background (the serving process calls it from startWorkers). */
export function startDispatcher(deps: MessagingDeps, channels: Record<ChannelName, Channel>, opts: DispatcherOptions = {}): Dispatcher {
  const d = createDispatcher(deps, channels, opts);
  d.wake();
  return d;
}
