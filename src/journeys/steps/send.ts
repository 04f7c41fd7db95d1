import { type EnqueueInput, enqueueMessage } from '../../messaging/index.js';
import { parseJson } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { StepOf } from '../definition.js';
import { finish, go, logStep, messageKey, type StepRun, type Work } from '../work.js';
import type { StepHandler } from './handler.js';

/** The outbox row of a send step: the state's context and the step's data for the template; a group subject is the recipient chat. */
export function sendInput(w: Work, step: StepOf<'send'>, now: number): EnqueueInput {
  const r = w.row;
  const input: EnqueueInput = {
    workspaceId: r.workspace_id,
    channel: step.channel,
    purpose: step.purpose ?? 'marketing',
    idempotencyKey: messageKey(w, step),
    source: { kind: 'journey', id: r.journey_id, step: step.id },
    data: { ...parseJson<Record<string, unknown>>(r.context), ...step.data },
    now,
    ...(r.subject_kind === 'profile' && { profileId: r.subject_id }),
    ...(step.templateId !== undefined && { templateId: step.templateId }),
    ...(step.content !== undefined && { content: step.content }),
    ...(r.subject_kind === 'wecom_group' ? { recipient: { ...step.recipient, chatId: r.subject_id } } : step.recipient ? { recipient: step.recipient } : {}),
  };
  const ctx = parseJson<{ event?: { properties?: unknown } }>(r.context);
  if (ctx.event?.properties && typeof ctx.event.properties === 'object') input.event = ctx.event.properties as Record<string, unknown>;
  return input;
}

/** Writes the outbox row in the pass's transaction and moves on; an expected refusal (AppError) fails the state with its code. */
async function enqueue(run: StepRun, w: Work, input: EnqueueInput, next: string | undefined, what: string): Promise<void> {
  const { writes, now } = run;
  try {
    const res = await enqueueMessage(run.trx, input);
    if (res.created) {
      writes.sends++;
      writes.sentIn.add(w.row.workspace_id);
    }
    return go(w, writes, next, `queued:${res.id}`, now);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    logStep(w, writes, `failed: ${err.code}`, now);
    return finish(w, 'failed', `${what}: ${err.message}`, now);
  }
}

/** Send: one outbox row (exactly once by its idempotency key); the dispatcher sends it after the commit. */
export const sendStep: StepHandler<'send'> = (run, w, step) => enqueue(run, w, sendInput(w, step, run.now), step.next, 'send');

/** Webhook: a service message on the webhook channel, through the outbox like a send. */
export const webhookStep: StepHandler<'webhook'> = (run, w, step) => {
  const r = w.row;
  const input: EnqueueInput = {
    workspaceId: r.workspace_id,
    profileId: r.subject_id,
    channel: 'webhook',
    purpose: 'service',
    content: { body: step.body },
    idempotencyKey: messageKey(w, step),
    source: { kind: 'journey', id: r.journey_id, step: step.id },
    data: parseJson<Record<string, unknown>>(r.context),
    now: run.now,
  };
  return enqueue(run, w, input, step.next, 'webhook');
};
