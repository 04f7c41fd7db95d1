import type { Selectable } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import { MessagingError } from './errors.js';
import { CdpError } from '../cdp/index.js';
import type { ChannelName, Purpose } from './content.js';
import { mdb, type MessagingDeps } from './deps.js';
import { linkBuilder } from './links.js';
import { enqueueMessage, type EnqueueResult, isTestMessage } from './outbox.js';
import { linkBaseUrlWarning, linkUses, renderContent } from './render.js';
import type { MessagesTable } from './schema.js';
import { loadMessagingProfile, renderScope } from './scope.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { loadSettings } from './settings.js';
import { loadTemplateVersion, variantFor } from './templates.service.js';

/** A message as the API shows it. */
export interface MessageView {
  id: string;
  idempotencyKey: string;
  profileId: string | null;
  channel: string;
  purpose: string;
  status: string;
  reason: string | null;
  templateId: string | null;
  templateVersion: number | null;
  locale: string | null;
  source: { kind: string; id: string | null; step: string | null };
  attempts: number;
  nextAttemptAt: string;
  providerMessageId: string | null;
  errorCode: string | null;
  rendered: Record<string, unknown> | null;
  sentAt: string | null;
  deliveredAt: string | null;
  openedAt: string | null;
  clickedAt: string | null;
  /** The first reply (SMS from the gateway, WeCom from the conversation archive). */
  repliedAt: string | null;
  /** A test send: sent at once, guardrails reported but not applied. */
  test: boolean;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toView(r: Selectable<MessagesTable>): MessageView {
  const rendered = r.rendered ? parseJson<{ content?: Record<string, unknown> }>(r.rendered) : null;
  return {
    id: r.id,
    idempotencyKey: r.idempotency_key,
    profileId: r.profile_id,
    channel: r.channel,
    purpose: r.purpose,
    status: r.status,
    reason: r.reason,
    templateId: r.template_id,
    templateVersion: r.template_version,
    locale: r.locale,
    source: { kind: r.source_kind, id: r.source_id, step: r.source_step },
    attempts: r.attempts,
    nextAttemptAt: iso(r.next_attempt_at)!,
    providerMessageId: r.provider_message_id,
    errorCode: r.error_code,
    // The address is PII: the API shows what was sent, not to which phone or email.
    rendered: rendered?.content ?? null,
    sentAt: iso(r.sent_at),
    deliveredAt: iso(r.delivered_at),
    openedAt: iso(r.opened_at),
    clickedAt: iso(r.clicked_at),
    repliedAt: iso(r.replied_at),
    test: isTestMessage(r),
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

/** Body of POST /v1/messages. */
export interface SendRequest {
  profileId?: string;
  channel: ChannelName;
  templateId?: string;
  templateVersion?: number;
  content?: Record<string, unknown>;
  purpose?: Purpose;
  idempotencyKey: string;
  data?: Record<string, unknown>;
  event?: Record<string, unknown>;
  recipient?: { chatId?: string; sender?: string };
  locale?: string;
  sendAt?: string;
}

/** Queues one message from the API (the profile id already resolved); the dispatcher sends it. */
export async function sendViaApi(deps: Pick<MessagingDeps, 'database' | 'now'>, ws: string, req: SendRequest): Promise<EnqueueResult> {
  const now = deps.now();
  let sendAt: number | undefined;
  if (req.sendAt !== undefined) {
    sendAt = Date.parse(req.sendAt);
    if (!Number.isFinite(sendAt)) throw new MessagingError('VALIDATION_FAILED', `sendAt "${req.sendAt}" is not an ISO-8601 time`);
  }
  let purpose = req.purpose;
  if (!purpose && req.templateId) {
    const t = await mdb(deps.database.db)
      .selectFrom('message_templates')
      .select('purpose')
      .where('workspace_id', '=', ws)
      .where('id', '=', req.templateId)
      .executeTakeFirst();
    purpose = t?.purpose;
  }
  return deps.database.db.transaction().execute((trx) =>
    enqueueMessage(trx, {
      workspaceId: ws,
      profileId: req.profileId,
      channel: req.channel,
      templateId: req.templateId,
      templateVersion: req.templateVersion,
      content: req.content,
      purpose: purpose ?? 'marketing',
      idempotencyKey: req.idempotencyKey,
      source: { kind: 'api' },
      data: req.data,
      event: req.event,
      recipient: req.recipient,
      locale: req.locale,
      sendAt,
      now,
    }),
  );
}

/** One message by id. */
export async function getMessage(deps: Pick<MessagingDeps, 'database'>, ws: string, id: string): Promise<MessageView> {
  const r = await mdb(deps.database.db).selectFrom('messages').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!r) throw new MessagingError('MESSAGE_NOT_FOUND', `no message ${id} in this workspace`);
  return toView(r);
}

/** Messages newest first, filtered by profile (and the profiles merged into it), status, source; keyset-paged by id. */
export async function listMessages(
  deps: Pick<MessagingDeps, 'database'>,
  ws: string,
  q: { profileIds?: string[]; status?: string; sourceKind?: string; sourceId?: string; limit: number; cursor?: string },
): Promise<{ data: MessageView[]; nextCursor: string | null }> {
  let sel = mdb(deps.database.db).selectFrom('messages').selectAll().where('workspace_id', '=', ws);
  if (q.profileIds) sel = sel.where('profile_id', 'in', q.profileIds);
  if (q.status) sel = sel.where('status', '=', q.status);
  if (q.sourceKind) sel = sel.where('source_kind', '=', q.sourceKind as 'api');
  if (q.sourceId) sel = sel.where('source_id', '=', q.sourceId);
  if (q.cursor) sel = sel.where('id', '<', q.cursor);
  const rows = await sel
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  return { data: page.map(toView), nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null };
}

/** Body of POST /v1/templates/:id/preview. */
export interface PreviewRequest {
  profileId?: string;
  profile?: Record<string, unknown>;
  event?: Record<string, unknown>;
  data?: Record<string, unknown>;
  locale?: string;
  version?: number;
}

/** Renders a template for a real profile (or given traits) without sending anything. */
export async function previewTemplate(
  deps: Pick<MessagingDeps, 'database' | 'links' | 'now' | 'defaultTimeZone' | 'surveyUrl'>,
  ws: string,
  id: string,
  req: PreviewRequest,
) {
  const { template, v } = await loadTemplateVersion(deps, ws, id, req.version);
  const now = deps.now();
  const settings = await loadSettings(deps, ws);
  const zone = settings.timeZone ?? (await workspaceTimeZone(deps.database.db, ws, deps.defaultTimeZone));
  let profile = req.profileId ? await loadMessagingProfile(deps.database.db, ws, req.profileId, zone, now) : undefined;
  if (req.profileId && !profile) throw new CdpError('PROFILE_NOT_FOUND', `no profile ${req.profileId} in this workspace`);
  if (!profile && req.profile) profile = { id: 'preview', ids: [], traits: req.profile, consent: {}, timeZone: zone, locale: undefined, computed: {} };
  const picked = variantFor(v, req.locale ?? profile?.locale ?? settings.defaultLocale);
  const links = linkBuilder(
    deps.links,
    settings.linkBaseUrl,
    { workspaceId: ws, messageId: 'preview', profileId: null, channel: template.channel },
    { surveyUrl: deps.surveyUrl, source: { kind: 'api', id: null }, now },
  );
  // A preview shows where the unsubscribe link goes, with a token nobody can use (/u/preview answers LINK_INVALID).
  const unsubscribeUrl = settings.linkBaseUrl ? `${settings.linkBaseUrl}/u/preview` : undefined;
  const scope = renderScope(profile, { event: req.event, data: req.data, message: { id: 'preview', channel: template.channel }, unsubscribeUrl, now });
  const content = await renderContent(picked.content, scope, links);
  const uses = settings.linkBaseUrl ? [] : linkUses(picked.content, 'content');
  return {
    templateId: id,
    version: v.version,
    channel: template.channel,
    locale: picked.locale,
    content,
    warnings: uses.length ? [linkBaseUrlWarning(uses)] : [],
  };
}
