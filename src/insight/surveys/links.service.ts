/** Making signed survey links: by API for one profile (stores, staff tools, QR codes), and for messages through messaging's port. */
import { loadSettings } from '../../messaging/index.js';
import { newId } from '../../platform/ids.js';
import type { InsightDeps } from '../deps.js';
import { linkExpiry, surveyPath, type SurveyLinkSigner } from './links.js';
import { getSurvey } from './surveys.service.js';
import type { SurveyLocale, TouchpointKind } from './surveys.types.js';

/** The body of making a link. */
export interface LinkRequest {
  profile: string;
  touchpoint?: { kind: TouchpointKind; id?: string };
  sendKey?: string;
  locale?: SurveyLocale;
}

/** A signed link for one profile; its URL uses the workspace's link base URL (messaging settings) when there is one. */
export async function makeLink(deps: InsightDeps, ws: string, surveyId: string, body: LinkRequest) {
  const survey = await getSurvey(deps, ws, surveyId);
  const profileId = await deps.surveys.resolveProfile(ws, body.profile);
  const now = deps.now();
  const token = deps.surveys.signer.sign({
    workspaceId: ws,
    surveyId: survey.id,
    profileId,
    sendKey: body.sendKey ?? newId('lnk', now),
    touchpoint: { kind: body.touchpoint?.kind ?? 'link', id: body.touchpoint?.id ?? '' },
    issuedAt: now,
    ...(body.locale ? { locale: body.locale } : {}),
  });
  const base = (await loadSettings(deps, ws)).linkBaseUrl?.replace(/\/+$/, '');
  const path = surveyPath(token);
  return { token, path, url: base ? base + path : null, expiresAt: new Date(linkExpiry(now, survey.linkTtlDays)).toISOString() };
}

/** A message's source as messaging's `survey_url` filter passes it. */
export interface MessageSurveyLink {
  workspaceId: string;
  surveyId: string;
  profileId: string;
  messageId: string;
  source: { kind: string; id: string | null };
  /** `{{ 'srv_…' | survey_url: 'store', 'S01' }}`: a touchpoint the template names instead of the message's source. */
  touchpoint?: { kind: string; id?: string };
  now: number;
}

const KINDS: readonly string[] = ['journey', 'broadcast', 'api', 'store', 'staff', 'link', 'live_code'];

/**
 * The URL messaging's `survey_url` filter renders (synchronous: no database in the middle of a
 * render): the message is the send (one answer per message), its journey or broadcast the
 * touchpoint unless the template names one. The survey's TTL applies when the link is opened.
 */
export function messageSurveyUrl(signer: SurveyLinkSigner, baseUrl: string, m: MessageSurveyLink): string {
  const named = m.touchpoint && KINDS.includes(m.touchpoint.kind) ? m.touchpoint : undefined;
  const kind = (named?.kind ?? (KINDS.includes(m.source.kind) ? m.source.kind : 'api')) as TouchpointKind;
  const token = signer.sign({
    workspaceId: m.workspaceId,
    surveyId: m.surveyId,
    profileId: m.profileId,
    sendKey: m.messageId,
    touchpoint: { kind, id: named ? (named.id ?? '') : (m.source.id ?? '') },
    issuedAt: m.now,
  });
  return `${baseUrl.replace(/\/+$/, '')}${surveyPath(token)}`;
}
