/**
 * Recording a provider's answer, one transaction per message, guarded by the attempt number so a
 * row recovered by another worker is never overwritten. One small handler per outcome: sent,
 * unknown (an ambiguous answer from a channel that cannot resend), retrying, failed.
 */
import type { Kysely, Updateable } from 'kysely';
import type { SendResult } from '../channels/types.js';
import { mdb } from '../deps.js';
import type { MessagesTable, MessagingDB } from '../schema.js';
import { loadSettings } from '../settings.js';
import { writeTimelineEvent } from '../timeline.js';
import { backoff, type DispatchContext, type DispatchStats, type Job } from './types.js';

/** What an outcome handler works with. */
interface Answer {
  ctx: DispatchContext;
  trx: Kysely<MessagingDB>;
  job: Job;
  result: SendResult;
  now: number;
  stats: DispatchStats;
}

type Outcome = 'sent' | 'unknown' | 'retrying' | 'failed';

/** Writes the outcome on the row; the lease ends. */
async function update(a: Answer, set: Updateable<MessagesTable>): Promise<void> {
  await a.trx
    .updateTable('messages')
    .set({ lease_until: null, updated_at: a.now, ...set })
    .where('workspace_id', '=', a.job.row.workspace_id)
    .where('id', '=', a.job.row.id)
    .execute();
}

/** Puts `Message Sent` or `Message Failed` on the recipient's timeline (once per message: the event id is the message's). */
async function timeline(a: Answer, what: 'sent' | 'failed', extra: Record<string, unknown>): Promise<void> {
  const { row } = a.job;
  if (!row.profile_id) return;
  await writeTimelineEvent(a.trx, a.ctx.deps.database.dialect, {
    workspaceId: row.workspace_id,
    profileId: a.job.out.profileId ?? row.profile_id,
    eventId: `${row.id}:${what}`,
    event: what === 'sent' ? 'Message Sent' : 'Message Failed',
    properties: {
      messageId: row.id,
      channel: row.channel,
      purpose: row.purpose,
      templateId: row.template_id,
      templateVersion: row.template_version,
      source: row.source_kind,
      sourceId: row.source_id,
      sourceStep: row.source_step,
      ...extra,
    },
    at: a.now,
  });
}

const OUTCOMES: Record<Outcome, (a: Answer) => Promise<void>> = {
  async sent(a) {
    const providerMessageId = a.result.providerMessageId ?? null;
    await update(a, { status: 'sent', reason: null, error_code: null, provider_message_id: providerMessageId });
    await timeline(a, 'sent', { providerMessageId });
  },
  async unknown(a) {
    await update(a, { status: 'unknown', reason: 'outcome_unknown', error_code: a.result.errorCode ?? null });
  },
  async retrying(a) {
    // Ambiguous failures on deduplicating channels resend the stored rendering (same id, same content).
    const { result, job, now } = a;
    await update(a, {
      status: result.ambiguous ? 'sending' : 'queued',
      reason: 'retrying',
      error_code: result.errorCode ?? null,
      next_attempt_at: now + backoff(job.attempt),
      lease_until: result.ambiguous ? now + backoff(job.attempt) : null,
    });
  },
  async failed(a) {
    const { result } = a;
    const reason = result.reason ?? (result.retryable ? 'retries_exhausted' : 'provider_rejected');
    await update(a, { status: 'failed', reason, error_code: result.errorCode ?? 'UNKNOWN' });
    await timeline(a, 'failed', { errorCode: result.errorCode ?? null, errorMessage: result.errorMessage?.slice(0, 500) ?? null });
  },
};

/** Which outcome an answer is. */
function outcomeOf(job: Job, result: SendResult, maxAttempts: number): Outcome {
  if (result.status === 'sent') return 'sent';
  if (result.ambiguous && job.channel.afterCrash === 'unknown') return 'unknown';
  if ((result.retryable || result.ambiguous) && job.attempt < maxAttempts) return 'retrying';
  return 'failed';
}

/** Records the provider's answer to a job, unless another worker has taken the row over since (its attempt moved on). */
export async function recordResult(ctx: DispatchContext, job: Job, result: SendResult, stats: DispatchStats): Promise<void> {
  const { row, attempt } = job;
  const now = ctx.deps.now();
  await mdb(ctx.deps.database.db)
    .transaction()
    .execute(async (trx) => {
      // Guard: only the claim that made this attempt may record it.
      const current = await trx
        .selectFrom('messages')
        .select(['status', 'attempts'])
        .where('workspace_id', '=', row.workspace_id)
        .where('id', '=', row.id)
        .executeTakeFirst();
      if (!current || current.status !== 'sending' || current.attempts !== attempt) return;
      const settings = await loadSettings({ database: { db: trx } }, row.workspace_id);
      const outcome = outcomeOf(job, result, settings.maxAttempts);
      await OUTCOMES[outcome]({ ctx, trx, job, result, now, stats });
      stats[outcome]++;
    });
}
