import { createHash } from 'node:crypto';
import type { Kysely, Updateable } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import { AppError } from '../platform/errors.js';
import { MessagingError } from './errors.js';
import { CdpError } from '../cdp/errors.js';
import { newId } from '../platform/ids.js';
import { WeComBadResponseError, WeComError, WeComNetworkError, type WeComClient } from '../wecom/client.js';
import type { Attachment, SendWelcomeMsgRequest } from '../wecom/types.js';
import { validateContent } from './content.js';
import { mdb } from './deps.js';
import { checkLiquid, renderContent } from './render.js';
import type { MessagesTable } from './schema.js';
import { loadMessagingProfile, renderScope } from './scope.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { loadSettings } from './settings.js';
import { loadTemplateVersion, variantFor } from './templates.service.js';
import { writeTimelineEvent } from './timeline.js';

/** The channel name welcome messages are recorded under in `messages`. */
export const WELCOME_CHANNEL = 'wecom_welcome';

/** WeCom accepts a WelcomeCode for 20 seconds after the add event. */
export const WELCOME_WINDOW_MS = 20_000;

/** What sending a welcome message needs; a subset of `MessagingDeps` that SCRM listeners can build from their context. */
export interface WelcomeDeps {
  database: Pick<Database, 'dialect'> & { db: Kysely<any> };
  now: () => number;
  log: Logger;
  defaultTimeZone: string;
  wecomClientFor: (workspaceId: string) => Promise<WeComClient>;
}

/** A welcome message for one customer who just added a staff member. Give `templateId` (a `wecom` template) or inline `content`. */
export interface WelcomeInput {
  workspaceId: string;
  profileId: string;
  /** The one-time WelcomeCode of the add event. */
  welcomeCode: string;
  /** When the add event happened (epoch ms): WeCom accepts the code for 20 s after it. */
  at: number;
  templateId?: string;
  /** Inline content in the `wecom` shape: `{ text?, attachments? }` (Liquid allowed). */
  content?: Record<string, unknown>;
  /** Extra values for the template (`{{ data.x }}`). */
  data?: Record<string, unknown>;
  /** The customer's name from WeCom: `profile.name` when the profile has no `name` trait. */
  name?: string;
  /** Locale override; default the profile's locale, then the workspace default. */
  locale?: string;
  source?: { kind: 'api' | 'live_code'; id?: string };
}

/** What became of a welcome message. `created` is false when this WelcomeCode was used before (the earlier outcome is returned). */
export interface WelcomeResult {
  messageId: string;
  status: string;
  reason: string | null;
  errorCode: string | null;
  created: boolean;
}

function check(input: WelcomeInput): void {
  const bad = (m: string): never => {
    throw new MessagingError('VALIDATION_FAILED', m);
  };
  if (typeof input.profileId !== 'string' || !input.profileId) bad('profileId is required');
  if (typeof input.welcomeCode !== 'string' || !input.welcomeCode || input.welcomeCode.length > 200) bad('welcomeCode is required (1-200 characters)');
  if (!Number.isFinite(input.at)) bad('at must be the add event time in epoch milliseconds');
  if ((input.templateId === undefined) === (input.content === undefined)) bad('give either templateId or content');
  if (input.content !== undefined) {
    validateContent('wecom', input.content, 'content');
    checkLiquid(input.content, 'content');
  }
  if (input.data !== undefined && (typeof input.data !== 'object' || input.data === null || Array.isArray(input.data))) bad('data must be an object');
  if (input.source && input.source.kind !== 'api' && input.source.kind !== 'live_code') bad('source.kind must be api or live_code');
}

/** Checks that a template can carry a welcome message: it exists, is active and is a `wecom` template. */
export async function checkWelcomeTemplate(deps: { database: { db: Kysely<any> } }, ws: string, templateId: string): Promise<void> {
  const t = await mdb(deps.database.db)
    .selectFrom('message_templates')
    .select(['channel', 'status'])
    .where('workspace_id', '=', ws)
    .where('id', '=', templateId)
    .executeTakeFirst();
  if (!t) throw new MessagingError('TEMPLATE_NOT_FOUND', `no template ${templateId} in this workspace`);
  if (t.status !== 'active') throw new MessagingError('VALIDATION_FAILED', `template ${templateId} is archived`);
  if (t.channel !== 'wecom')
    throw new MessagingError(
      'VALIDATION_FAILED',
      `template ${templateId} is for channel ${t.channel}; a welcome message uses a wecom template (text and attachments)`,
    );
}

function failureOf(err: unknown): { errorCode: string; reason: string; message: string } {
  if (err instanceof WeComError) return { errorCode: `wecom:${err.errcode}`, reason: 'provider_rejected', message: err.message };
  // The answer was lost: WeCom may have used the one-time code, so a second call could send twice.
  if (err instanceof WeComNetworkError) return { errorCode: 'wecom:network', reason: 'not_retried', message: err.message };
  if (err instanceof WeComBadResponseError) return { errorCode: `wecom:http_${err.status}`, reason: 'not_retried', message: err.message };
  if (err instanceof AppError) return { errorCode: err.code, reason: 'provider_rejected', message: err.message };
  return { errorCode: 'INTERNAL', reason: 'not_retried', message: (err as Error)?.message ?? String(err) };
}

function toResult(r: Pick<MessagesTable, 'id' | 'status' | 'reason' | 'error_code'>, created: boolean): WelcomeResult {
  return { messageId: r.id, status: r.status, reason: r.reason, errorCode: r.error_code, created };
}

/**
 * Sends a WeCom welcome message (`send_welcome_msg`) now, rendered from a messaging template or
 * inline content, and records it in `messages` (channel `wecom_welcome`). It bypasses the outbox:
 * the WelcomeCode dies 20 s after the add, so a late call is recorded `suppressed`
 * (`welcome_window_passed`) instead of sent. Consent, quiet hours and caps do not apply: the
 * customer has just added the staff member. The row is written `sending` before the call (keyed by
 * the WelcomeCode, so a second call for the same code sends nothing) and never retried: after a
 * lost answer it ends `failed` (`not_retried`). `Message Sent` / `Message Failed` go on the timeline.
 */
export async function sendWelcomeMessage(deps: WelcomeDeps, input: WelcomeInput): Promise<WelcomeResult> {
  check(input);
  const ws = input.workspaceId;
  const db = mdb(deps.database.db);
  const { dialect } = deps.database;
  // Keyed by a hash of the WelcomeCode: one message per code, and the code itself (a one-time credential) is not stored.
  const idempotencyKey = `${WELCOME_CHANNEL}:${createHash('sha256').update(input.welcomeCode).digest('hex').slice(0, 40)}`;
  const existing = async () =>
    db
      .selectFrom('messages')
      .select(['id', 'status', 'reason', 'error_code'])
      .where('workspace_id', '=', ws)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
  const before = await existing();
  if (before) return toResult(before, false);

  const now = deps.now();
  const settings = await loadSettings({ database: deps.database as Database }, ws);
  const zone = settings.timeZone ?? (await workspaceTimeZone(db, ws, deps.defaultTimeZone));
  const profile = await loadMessagingProfile(db, ws, input.profileId, zone, now);
  if (!profile) throw new CdpError('PROFILE_NOT_FOUND', `no profile ${input.profileId} in this workspace`);

  let content = input.content;
  let template: { id: string; version: number; purpose: 'marketing' | 'service' } | null = null;
  let locale: string | null = null;
  if (input.templateId !== undefined) {
    await checkWelcomeTemplate(deps, ws, input.templateId);
    const { template: t, v } = await loadTemplateVersion({ database: deps.database as Database }, ws, input.templateId);
    const picked = variantFor(v, input.locale ?? profile.locale ?? settings.defaultLocale);
    content = picked.content;
    locale = picked.locale;
    template = { id: t.id, version: v.version, purpose: t.purpose };
  }

  const id = newId('msg', now);
  const source = input.source ?? { kind: 'api' as const };
  const row = {
    workspace_id: ws,
    id,
    idempotency_key: idempotencyKey,
    profile_id: profile.id,
    channel: WELCOME_CHANNEL,
    purpose: template?.purpose ?? 'service',
    template_id: template?.id ?? null,
    template_version: template?.version ?? null,
    content: template ? null : JSON.stringify(input.content),
    data: JSON.stringify({ data: input.data ?? {} }),
    recipient: null,
    locale,
    source_kind: source.kind,
    source_id: source.id ?? null,
    source_step: null,
    next_attempt_at: now,
    lease_until: null,
    provider_message_id: null,
    delivered_at: null,
    opened_at: null,
    clicked_at: null,
    address_key: null,
    replied_at: null,
    created_at: now,
    updated_at: now,
  };
  const insert = async (set: {
    status: string;
    reason: string | null;
    error_code: string | null;
    rendered: string | null;
    attempts: number;
    sent_at: number | null;
  }) => {
    const n = await dialect.insertMany(db as unknown as Kysely<DB>, 'messages' as never, [{ ...row, ...set }] as never, {
      columns: ['workspace_id', 'idempotency_key'] as never,
      update: [],
    });
    return n === 1;
  };
  const raced = async () => toResult((await existing())!, false);

  const age = now - input.at;
  if (age > WELCOME_WINDOW_MS) {
    if (!(await insert({ status: 'suppressed', reason: 'welcome_window_passed', error_code: null, rendered: null, attempts: 0, sent_at: null })))
      return raced();
    deps.log.info({ workspaceId: ws, messageId: id, ageMs: age }, 'messaging: welcome message too late, suppressed');
    return { messageId: id, status: 'suppressed', reason: 'welcome_window_passed', errorCode: null, created: true };
  }

  const props = {
    messageId: id,
    channel: WELCOME_CHANNEL,
    purpose: row.purpose,
    templateId: row.template_id,
    templateVersion: row.template_version,
    source: source.kind,
    sourceId: row.source_id,
    sourceStep: null,
  };
  const finish = async (set: Updateable<MessagesTable>, event: { name: 'Message Sent' | 'Message Failed'; properties: Record<string, unknown> }) => {
    await deps.database.db.transaction().execute(async (trx) => {
      await mdb(trx)
        .updateTable('messages')
        .set({ ...set, updated_at: deps.now() })
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .execute();
      await writeTimelineEvent(trx, dialect, {
        workspaceId: ws,
        profileId: profile.id,
        eventId: `${id}:${event.name === 'Message Sent' ? 'sent' : 'failed'}`,
        event: event.name,
        properties: { ...props, ...event.properties },
        at: deps.now(),
      });
    });
  };

  // The name WeCom gave stands in for a profile that has none yet (a contact synced by callback carries `wecom_name`).
  const traitName = profile.traits.name ?? input.name ?? profile.traits.wecom_name;
  const scope = renderScope(
    { ...profile, traits: { ...profile.traits, ...(traitName !== undefined ? { name: traitName } : {}) } },
    { data: input.data, message: { id, channel: WELCOME_CHANNEL }, now },
  );
  let rendered: Record<string, unknown>;
  try {
    rendered = await renderContent(content!, scope);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (!(await insert({ status: 'failed', reason: 'render_failed', error_code: err.code, rendered: null, attempts: 0, sent_at: null }))) return raced();
    await finish({}, { name: 'Message Failed', properties: { errorCode: err.code, errorMessage: err.message.slice(0, 500) } });
    return { messageId: id, status: 'failed', reason: 'render_failed', errorCode: err.code, created: true };
  }
  const req: SendWelcomeMsgRequest = { welcome_code: input.welcomeCode };
  if (typeof rendered.text === 'string' && rendered.text) req.text = { content: rendered.text };
  if (Array.isArray(rendered.attachments) && rendered.attachments.length) req.attachments = rendered.attachments as Attachment[];
  // The stored rendering leaves out the WelcomeCode: it is a one-time credential, not content.
  const { welcome_code: _code, ...shown } = req;
  if (!(await insert({ status: 'sending', reason: null, error_code: null, rendered: JSON.stringify({ content: shown }), attempts: 1, sent_at: now })))
    return raced();

  try {
    const client = await deps.wecomClientFor(ws);
    await client.sendWelcomeMsg(req);
  } catch (err) {
    const f = failureOf(err);
    await finish(
      { status: 'failed', reason: f.reason, error_code: f.errorCode },
      { name: 'Message Failed', properties: { errorCode: f.errorCode, errorMessage: f.message.slice(0, 500) } },
    );
    deps.log.warn({ workspaceId: ws, messageId: id, errorCode: f.errorCode }, 'messaging: welcome message not sent');
    if (f.errorCode === 'INTERNAL') throw err;
    return { messageId: id, status: 'failed', reason: f.reason, errorCode: f.errorCode, created: true };
  }
  await finish({ status: 'sent', reason: null, error_code: null }, { name: 'Message Sent', properties: { providerMessageId: null } });
  return { messageId: id, status: 'sent', reason: null, errorCode: null, created: true };
}
