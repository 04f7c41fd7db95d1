import type { Kysely } from 'kysely';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { CHANNELS, type ChannelName, isChannel, type Purpose, validateContent } from './content.js';
import { mdb } from './deps.js';
import { checkLiquid } from './render.js';

/** Who asked for a message: a journey step, a broadcast, or the API. */
export interface MessageSource {
  kind: 'journey' | 'broadcast' | 'api';
  id?: string;
  step?: string;
}

/**
 * A message to send. Give a template (`templateId`, optionally pinned to `templateVersion`; the
 * current version is pinned at enqueue otherwise) or inline `content` in the channel's shape.
 */
export interface EnqueueInput {
  workspaceId: string;
  /** The recipient profile; omitted only for `wecom_group` messages (sent to `recipient.chatId`). */
  profileId?: string;
  channel: ChannelName;
  templateId?: string;
  templateVersion?: number;
  content?: Record<string, unknown>;
  purpose: Purpose;
  /** Unique per workspace: the same key always names the same message (journeys: state id + step + entry). */
  idempotencyKey: string;
  source: MessageSource;
  /** Extra values for the template (`{{ data.coupon_code }}`). */
  data?: Record<string, unknown>;
  /** The triggering event's properties (`{{ event.product_name }}`). */
  event?: Record<string, unknown>;
  /** Explicit recipient details: a WeCom group's `chatId`, a `sender` overriding the owner. */
  recipient?: { chatId?: string; sender?: string };
  /** Locale override; default the profile's `locale` trait, then the workspace default. */
  locale?: string;
  /** Not before this time (epoch ms); default now. Guardrails are applied when it comes due. */
  sendAt?: number;
  /** Now, from the caller's clock. */
  now: number;
}

/** The outcome of an enqueue: the message id, and whether this call created it (false: the key was used before). */
export interface EnqueueResult {
  id: string;
  created: boolean;
  status: string;
}

function check(input: EnqueueInput): void {
  const bad = (m: string): never => {
    throw new AppError('VALIDATION_FAILED', m);
  };
  if (!isChannel(input.channel)) bad(`channel must be one of ${CHANNELS.join(', ')}`);
  if (input.purpose !== 'marketing' && input.purpose !== 'service') bad('purpose must be "marketing" or "service"');
  if (typeof input.idempotencyKey !== 'string' || !input.idempotencyKey || input.idempotencyKey.length > 255) bad('idempotencyKey is required (1-255 characters)');
  if (!['journey', 'broadcast', 'api'].includes(input.source?.kind)) bad('source.kind must be journey, broadcast or api');
  if (input.channel === 'wecom_group') {
    if (!input.recipient?.chatId) bad('a wecom_group message needs recipient.chatId');
  } else if (!input.profileId) bad(`a ${input.channel} message needs profileId`);
  if ((input.templateId === undefined) === (input.content === undefined)) bad('give either templateId or content');
  if (input.content !== undefined) {
    validateContent(input.channel, input.content, 'content');
    checkLiquid(input.content, 'content');
  }
  for (const k of ['data', 'event'] as const) {
    const v = input[k];
    if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) bad(`${k} must be an object`);
  }
}

/**
 * Puts a message in the outbox inside the caller's transaction (journeys write it in the same
 * transaction that advances the step). Unique on (workspace, idempotencyKey): calling again with
 * the same key returns the first message and changes nothing. The dispatcher sends it when due.
 */
export async function enqueueMessage(trx: Kysely<any>, input: EnqueueInput): Promise<EnqueueResult> {
  check(input);
  const db = mdb(trx);
  const ws = input.workspaceId;
  const existing = await db.selectFrom('messages').select(['id', 'status']).where('workspace_id', '=', ws).where('idempotency_key', '=', input.idempotencyKey).executeTakeFirst();
  if (existing) return { id: existing.id, created: false, status: existing.status };
  let templateVersion: number | null = null;
  if (input.templateId !== undefined) {
    const t = await db.selectFrom('message_templates').select(['channel', 'current_version', 'status']).where('workspace_id', '=', ws).where('id', '=', input.templateId).executeTakeFirst();
    if (!t) throw new AppError('TEMPLATE_NOT_FOUND', `no template ${input.templateId} in this workspace`);
    if (t.channel !== input.channel) throw new AppError('VALIDATION_FAILED', `template ${input.templateId} is for channel ${t.channel}, not ${input.channel}`);
    if (input.templateVersion !== undefined) {
      if (!Number.isInteger(input.templateVersion) || input.templateVersion < 1 || input.templateVersion > t.current_version) {
        throw new AppError('TEMPLATE_NOT_FOUND', `template ${input.templateId} has no version ${input.templateVersion} (current: ${t.current_version})`);
      }
      templateVersion = input.templateVersion;
    } else {
      if (t.status !== 'active') throw new AppError('VALIDATION_FAILED', `template ${input.templateId} is archived`);
      templateVersion = t.current_version;
    }
  }
  const id = newId('msg', input.now);
  const inserted = await db
    .insertInto('messages')
    .values({
      workspace_id: ws,
      id,
      idempotency_key: input.idempotencyKey,
      profile_id: input.profileId ?? null,
      channel: input.channel,
      purpose: input.purpose,
      status: 'queued',
      reason: null,
      template_id: input.templateId ?? null,
      template_version: templateVersion,
      content: input.content === undefined ? null : JSON.stringify(input.content),
      data: JSON.stringify({ data: input.data ?? {}, event: input.event ?? {} }),
      recipient: input.recipient ? JSON.stringify(input.recipient) : null,
      rendered: null,
      locale: input.locale ?? null,
      source_kind: input.source.kind,
      source_id: input.source.id ?? null,
      source_step: input.source.step ?? null,
      attempts: 0,
      next_attempt_at: input.sendAt ?? input.now,
      lease_until: null,
      provider_message_id: null,
      error_code: null,
      sent_at: null,
      delivered_at: null,
      opened_at: null,
      clicked_at: null,
      created_at: input.now,
      updated_at: input.now,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'idempotency_key']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
    // A concurrent enqueue with the same key won between our read and insert.
    const row = await db.selectFrom('messages').select(['id', 'status']).where('workspace_id', '=', ws).where('idempotency_key', '=', input.idempotencyKey).executeTakeFirstOrThrow();
    return { id: row.id, created: false, status: row.status };
  }
  return { id, created: true, status: 'queued' };
}
