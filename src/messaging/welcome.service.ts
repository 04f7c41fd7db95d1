import type { Attachment, SendWelcomeMsgRequest } from '../wecom/index.js';
import { CdpError } from '../cdp/index.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { validateContent } from './content.js';
import { type CallerDb, mdb } from './deps.js';
import { MessagingError } from './errors.js';
import { checkLiquid, renderContent } from './render.js';
import { loadMessagingProfile, type MessagingProfile, renderScope } from './scope.js';
import { loadSettings, type MessagingSettings } from './settings.js';
import { loadTemplateVersion, variantFor } from './templates.service.js';
import {
  failureOf,
  finishWelcome,
  startWelcome,
  type Welcome,
  WELCOME_CHANNEL,
  welcomeByKey,
  type WelcomeDeps,
  welcomeKey,
  type WelcomeResult,
} from './welcome.record.js';

export { WELCOME_CHANNEL, type WelcomeDeps, type WelcomeResult } from './welcome.record.js';

/** WeCom accepts a WelcomeCode for 20 seconds after the add event. */
export const WELCOME_WINDOW_MS = 20_000;

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
export async function checkWelcomeTemplate(deps: { database: { db: CallerDb } }, ws: string, templateId: string): Promise<void> {
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

/** What the message says: a template's variant for the profile's locale, or the inline content. */
interface WelcomeBody {
  content: Record<string, unknown>;
  template: { id: string; version: number; purpose: 'marketing' | 'service' } | null;
  locale: string | null;
}

/** The recipient (live profile) and the workspace's messaging settings; PROFILE_NOT_FOUND when the profile is gone. */
async function loadRecipient(deps: WelcomeDeps, input: WelcomeInput, now: number): Promise<{ profile: MessagingProfile; settings: MessagingSettings }> {
  const ws = input.workspaceId;
  const db = deps.database.db;
  const settings = await loadSettings(deps, ws);
  const zone = settings.timeZone ?? (await workspaceTimeZone(db, ws, deps.defaultTimeZone));
  const profile = await loadMessagingProfile(db, ws, input.profileId, zone, now);
  if (!profile) throw new CdpError('PROFILE_NOT_FOUND', `no profile ${input.profileId} in this workspace`);
  return { profile, settings };
}

async function welcomeBody(deps: WelcomeDeps, input: WelcomeInput, profile: MessagingProfile, settings: MessagingSettings): Promise<WelcomeBody> {
  if (input.templateId === undefined) return { content: input.content!, template: null, locale: null };
  await checkWelcomeTemplate(deps, input.workspaceId, input.templateId);
  const { template: t, v } = await loadTemplateVersion(deps, input.workspaceId, input.templateId);
  const picked = variantFor(v, input.locale ?? profile.locale ?? settings.defaultLocale);
  return { content: picked.content, template: { id: t.id, version: v.version, purpose: t.purpose }, locale: picked.locale };
}

/** The welcome's row (before its outcome) and the properties of its timeline events. */
function newWelcome(deps: WelcomeDeps, input: WelcomeInput, profile: MessagingProfile, body: WelcomeBody, key: string, now: number): Welcome {
  const { template } = body;
  const source = input.source ?? { kind: 'api' as const };
  const row = {
    workspace_id: input.workspaceId,
    id: newId('msg', now),
    idempotency_key: key,
    profile_id: profile.id,
    channel: WELCOME_CHANNEL,
    purpose: template?.purpose ?? 'service',
    template_id: template?.id ?? null,
    template_version: template?.version ?? null,
    content: template ? null : JSON.stringify(input.content),
    data: JSON.stringify({ data: input.data ?? {} }),
    recipient: null,
    locale: body.locale,
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
  const props = {
    messageId: row.id,
    channel: WELCOME_CHANNEL,
    purpose: row.purpose,
    templateId: row.template_id,
    templateVersion: row.template_version,
    source: source.kind,
    sourceId: row.source_id,
    sourceStep: null,
  };
  return { deps, row, profileId: profile.id, props };
}

const outcome = (w: Welcome, status: string, reason: string | null, errorCode: string | null): WelcomeResult => ({
  messageId: w.row.id,
  status,
  reason,
  errorCode,
  created: true,
});

/** Renders the message for the profile; a template or Liquid failure is recorded `failed` (`render_failed`) and returned. */
async function renderWelcome(
  w: Welcome,
  input: WelcomeInput,
  content: Record<string, unknown>,
  profile: MessagingProfile,
  now: number,
): Promise<{ rendered: Record<string, unknown> } | { done: WelcomeResult }> {
  // The name WeCom gave stands in for a profile that has none yet (a contact synced by callback carries `wecom_name`).
  const traitName = profile.traits.name ?? input.name ?? profile.traits.wecom_name;
  const scope = renderScope(
    { ...profile, traits: { ...profile.traits, ...(traitName !== undefined ? { name: traitName } : {}) } },
    { data: input.data, message: { id: w.row.id, channel: WELCOME_CHANNEL }, now },
  );
  try {
    return { rendered: await renderContent(content, scope) };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const raced = await startWelcome(w, { status: 'failed', reason: 'render_failed', error_code: err.code, rendered: null, attempts: 0, sent_at: null });
    if (raced) return { done: raced };
    await finishWelcome(w, {}, { name: 'Message Failed', properties: { errorCode: err.code, errorMessage: err.message.slice(0, 500) } });
    return { done: outcome(w, 'failed', 'render_failed', err.code) };
  }
}

/** Writes the row `sending`, calls `send_welcome_msg` once (never retried) and records the answer. */
async function callWeCom(w: Welcome, welcomeCode: string, rendered: Record<string, unknown>, now: number): Promise<WelcomeResult> {
  const { deps } = w;
  const ws = w.row.workspace_id;
  const req: SendWelcomeMsgRequest = { welcome_code: welcomeCode };
  if (typeof rendered.text === 'string' && rendered.text) req.text = { content: rendered.text };
  if (Array.isArray(rendered.attachments) && rendered.attachments.length) req.attachments = rendered.attachments as Attachment[];
  // The stored rendering leaves out the WelcomeCode: it is a one-time credential, not content.
  const { welcome_code: _code, ...shown } = req;
  const raced = await startWelcome(w, {
    status: 'sending',
    reason: null,
    error_code: null,
    rendered: JSON.stringify({ content: shown }),
    attempts: 1,
    sent_at: now,
  });
  if (raced) return raced;
  try {
    const client = await deps.wecomClientFor(ws);
    await client.sendWelcomeMsg(req);
  } catch (err) {
    const f = failureOf(err);
    await finishWelcome(
      w,
      { status: 'failed', reason: f.reason, error_code: f.errorCode },
      { name: 'Message Failed', properties: { errorCode: f.errorCode, errorMessage: f.message.slice(0, 500) } },
    );
    deps.log.warn({ workspaceId: ws, messageId: w.row.id, errorCode: f.errorCode }, 'messaging: welcome message not sent');
    deps.log.debug({ workspaceId: ws, messageId: w.row.id, upstream: String((err as Error)?.message ?? err).slice(0, 500) }, 'messaging: provider answer');
    if (f.errorCode === 'INTERNAL') throw err;
    return outcome(w, 'failed', f.reason, f.errorCode);
  }
  await finishWelcome(w, { status: 'sent', reason: null, error_code: null }, { name: 'Message Sent', properties: { providerMessageId: null } });
  return outcome(w, 'sent', null, null);
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
  const key = welcomeKey(input.welcomeCode);
  const before = await welcomeByKey(deps.database.db, ws, key);
  if (before) return before;

  const now = deps.now();
  const { profile, settings } = await loadRecipient(deps, input, now);
  const body = await welcomeBody(deps, input, profile, settings);
  const w = newWelcome(deps, input, profile, body, key, now);

  const age = now - input.at;
  if (age > WELCOME_WINDOW_MS) {
    const raced = await startWelcome(w, {
      status: 'suppressed',
      reason: 'welcome_window_passed',
      error_code: null,
      rendered: null,
      attempts: 0,
      sent_at: null,
    });
    if (raced) return raced;
    deps.log.info({ workspaceId: ws, messageId: w.row.id, ageMs: age }, 'messaging: welcome message too late, suppressed');
    return outcome(w, 'suppressed', 'welcome_window_passed', null);
  }
  const r = await renderWelcome(w, input, body.content, profile, now);
  if ('done' in r) return r.done;
  return callWeCom(w, input.welcomeCode, r.rendered, now);
}
