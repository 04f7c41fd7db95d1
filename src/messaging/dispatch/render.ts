/**
 * Rendering a claimed row into the message its channel sends: the template version it pinned (or
 * its inline content), Liquid over the profile's scope, tracked links; and the rendering as stored
 * on the row (`rendered`), so a resend after a crash sends exactly the same message.
 */
import type { PiiCipher } from '../../platform/crypto.js';
import { parseJson } from '../../platform/db/database.js';
import type { OutboundMessage } from '../channels/types.js';
import type { ChannelName, Purpose } from '../content.js';
import type { CallerDb, MessagingDeps } from '../deps.js';
import { linkBuilder, trackHtml } from '../links.js';
import { MessagingError } from '../errors.js';
import { linkBaseUrlWarning, linkUses, renderContent } from '../render.js';
import { type MessagingProfile, renderScope } from '../scope.js';
import type { MessagingSettings } from '../settings.js';
import { loadTemplateVersion, variantFor } from '../templates.service.js';
import type { Row } from './types.js';

/** The rendered message as stored on its row: the address (phone, email, openid) encrypted like other PII. */
type StoredOutbound = Omit<OutboundMessage, 'address'> & { addressEnc?: string };

/** The rendering to store on the row (`rendered`). */
export function toStored(cipher: PiiCipher, out: OutboundMessage): string {
  const { address, ...rest } = out;
  return JSON.stringify(address === undefined ? rest : { ...rest, addressEnc: cipher.encrypt(address) });
}

/** The message a row's stored rendering holds. */
export function fromStored(cipher: PiiCipher, rendered: unknown): OutboundMessage {
  const { addressEnc, ...rest } = parseJson<StoredOutbound>(rendered);
  return addressEnc === undefined ? rest : { ...rest, address: cipher.decrypt(addressEnc) };
}

/** Renders a row for its recipient at `address`; throws an AppError when the template or its Liquid fails, or its links need a linkBaseUrl the workspace lacks (details.reason `link_base_url_missing`). */
export async function renderOutbound(
  deps: Pick<MessagingDeps, 'links' | 'surveyUrl'>,
  trx: CallerDb,
  row: Row,
  profile: MessagingProfile | undefined,
  settings: MessagingSettings,
  address: { address?: string; sender?: string; chatId?: string },
  now: number,
): Promise<{ out: OutboundMessage; locale: string }> {
  let content: Record<string, unknown>;
  let locale = row.locale ?? profile?.locale ?? settings.defaultLocale;
  if (row.template_id) {
    const { v } = await loadTemplateVersion({ database: { db: trx } }, row.workspace_id, row.template_id, row.template_version ?? undefined);
    const picked = variantFor(v, locale);
    content = picked.content;
    locale = picked.locale;
  } else content = parseJson(row.content);
  // No public base URL: tracked and unsubscribe links would be dead or untracked; refuse rather than send them.
  const uses = settings.linkBaseUrl ? [] : linkUses(content, 'content');
  if (uses.length) throw new MessagingError('LINK_BASE_URL_MISSING', linkBaseUrlWarning(uses).message, { reason: 'link_base_url_missing' });
  const links = linkBuilder(
    deps.links,
    settings.linkBaseUrl,
    {
      workspaceId: row.workspace_id,
      messageId: row.id,
      profileId: row.profile_id,
      channel: row.channel,
    },
    { surveyUrl: deps.surveyUrl, source: { kind: row.source_kind, id: row.source_id }, now },
  );
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
