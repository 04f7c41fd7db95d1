/**
 * Signed survey links (`/s/:token`): the token carries who is asked (workspace, survey, profile),
 * which send it belongs to (one answer per profile per send), where it was sent from (the
 * touchpoint) and when it was made (it is valid for the survey's `linkTtlDays` from then, so an
 * operator shortening them closes old links too), as base64url JSON, a dot, and 16 bytes of HMAC-SHA256
 * under a key derived from the master key for this purpose alone (as messaging's tracked links
 * are). Nothing is stored per link, so making one costs nothing and a token cannot be edited.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SurveyLocale, TouchpointKind } from './surveys.types.js';

/** What a survey link says. */
export interface SurveyLink {
  workspaceId: string;
  surveyId: string;
  profileId: string;
  sendKey: string;
  touchpoint: { kind: TouchpointKind; id: string };
  /** When it was made, epoch ms. */
  issuedAt: number;
  locale?: SurveyLocale;
}

type Wire = { w: string; s: string; p: string; n: string; tk: TouchpointKind; ti: string; i: number; l?: SurveyLocale };

/** Signs and verifies survey links. */
export interface SurveyLinkSigner {
  sign(link: SurveyLink): string;
  /** The link, or undefined when the token is malformed or its signature is wrong (expiry is the caller's check: it needs the survey's TTL). */
  verify(token: string): SurveyLink | undefined;
}

/** Builds the signer from the process master key. */
export function createSurveyLinkSigner(masterKey: Buffer): SurveyLinkSigner {
  const key = createHmac('sha256', masterKey).update('siyu:insight:survey-links').digest();
  const mac = (body: string) => createHmac('sha256', key).update(body).digest().subarray(0, 16);
  return {
    sign(l) {
      const w: Wire = { w: l.workspaceId, s: l.surveyId, p: l.profileId, n: l.sendKey, tk: l.touchpoint.kind, ti: l.touchpoint.id, i: l.issuedAt };
      if (l.locale) w.l = l.locale;
      const body = Buffer.from(JSON.stringify(w)).toString('base64url');
      return `${body}.${mac(body).toString('base64url')}`;
    },
    verify(token) {
      const dot = token.indexOf('.');
      if (dot <= 0) return undefined;
      const body = token.slice(0, dot);
      const sig = Buffer.from(token.slice(dot + 1), 'base64url');
      const want = mac(body);
      if (sig.length !== want.length || !timingSafeEqual(sig, want)) return undefined;
      let v: Partial<Wire>;
      try {
        v = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Wire>;
      } catch {
        return undefined;
      }
      const strings = [v.w, v.s, v.p, v.n, v.tk, v.ti].every((x) => typeof x === 'string');
      if (!strings || typeof v.i !== 'number') return undefined;
      return {
        workspaceId: v.w!,
        surveyId: v.s!,
        profileId: v.p!,
        sendKey: v.n!,
        touchpoint: { kind: v.tk!, id: v.ti! },
        issuedAt: v.i,
        ...(v.l === 'en' || v.l === 'zh-CN' ? { locale: v.l } : {}),
      };
    },
  };
}

/** The days a link stays valid unless the survey says otherwise. */
export const DEFAULT_LINK_TTL_DAYS = 30;

/** When a link made at `issuedAt` stops being valid under a survey's TTL. */
export const linkExpiry = (issuedAt: number, ttlDays: number): number => issuedAt + ttlDays * 86_400_000;

/** The path of a token on this server. */
export const surveyPath = (token: string): string => `/s/${token}`;
