import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed tokens for tracked links (`/r/:token`), open pixels (`/o/:token`) and one-click
 * unsubscribe (`/u/:token`): base64url JSON, a dot, and 16 bytes of HMAC-SHA256 under a key
 * derived from the master key. Nothing is stored per link, so a token cannot be forged or edited
 * (a changed target URL breaks the signature: no open redirect).
 */
export type LinkToken =
  { k: 'c'; w: string; m: string; u: string } | { k: 'o'; w: string; m: string } | { k: 'u'; w: string; p: string; c: string; m?: string };

/** Signs and verifies link tokens. */
export interface LinkSigner {
  sign(t: LinkToken): string;
  /** The token's payload, or undefined when it is malformed or its signature is wrong. */
  verify(token: string): LinkToken | undefined;
}

/** Builds a signer from the process master key (a separate derived key, so link tokens reveal nothing about PII keys). */
export function createLinkSigner(masterKey: Buffer): LinkSigner {
  const key = createHmac('sha256', masterKey).update('siyu:messaging:links').digest();
  const mac = (body: string) => createHmac('sha256', key).update(body).digest().subarray(0, 16);
  return {
    sign(t) {
      const body = Buffer.from(JSON.stringify(t)).toString('base64url');
      return `${body}.${mac(body).toString('base64url')}`;
    },
    verify(token) {
      const dot = token.indexOf('.');
      if (dot <= 0) return undefined;
      const body = token.slice(0, dot);
      const sig = Buffer.from(token.slice(dot + 1), 'base64url');
      const want = mac(body);
      if (sig.length !== want.length || !timingSafeEqual(sig, want)) return undefined;
      try {
        const v = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkToken;
        if (v && typeof v === 'object' && typeof v.w === 'string' && (v.k === 'c' || v.k === 'o' || v.k === 'u')) return v;
      } catch {
        // fall through
      }
      return undefined;
    },
  };
}

/** A survey link a template asks for (`{{ 'srv_…' | survey_url }}`), as messaging hands it to the insight port. */
export interface SurveyUrlRequest {
  workspaceId: string;
  surveyId: string;
  profileId: string;
  messageId: string;
  /** What queued the message (journey, broadcast, api, live_code) and its id. */
  source: { kind: string; id: string | null };
  /** A touchpoint the template names (`survey_url: 'store', 'S01'`), instead of the source. */
  touchpoint?: { kind: string; id?: string };
  now: number;
}

/** Builds the public URLs of a message's links, when the workspace has a link base URL. */
export interface LinkBuilder {
  click(url: string): string;
  openPixel(): string | undefined;
  unsubscribe(): string | undefined;
  /** A survey's signed answer link for the recipient (`survey_url` filter); '' without a base URL, a profile or the insight port. */
  survey(surveyId: string, touchpoint?: { kind: string; id?: string }): string;
}

/** What survey links of a message need beyond the message itself: insight's port, the message's source, the time. */
export interface SurveyLinkContext {
  surveyUrl?: (baseUrl: string, req: SurveyUrlRequest) => string;
  source: { kind: string; id: string | null };
  now: number;
}

/** Link URLs for one message; without a base URL links stay as written and no pixel is added. */
export function linkBuilder(
  signer: LinkSigner,
  baseUrl: string | undefined,
  m: { workspaceId: string; messageId: string; profileId: string | null; channel: string },
  surveys?: SurveyLinkContext,
): LinkBuilder {
  const base = baseUrl?.replace(/\/+$/, '');
  return {
    click: (url) => {
      if (!base || !/^https?:\/\//i.test(url)) return url;
      const token = signer.sign({ k: 'c', w: m.workspaceId, m: m.messageId, u: url });
      // Route parameters are capped at 1,024 characters: a very long URL stays untracked rather than broken.
      return token.length <= 1000 ? `${base}/r/${token}` : url;
    },
    openPixel: () => (base ? `${base}/o/${signer.sign({ k: 'o', w: m.workspaceId, m: m.messageId })}` : undefined),
    unsubscribe: () =>
      base && m.profileId ? `${base}/u/${signer.sign({ k: 'u', w: m.workspaceId, p: m.profileId, c: m.channel, m: m.messageId })}` : undefined,
    survey: (surveyId, touchpoint) => {
      if (!base || !surveys?.surveyUrl) return '';
      // A preview has no recipient: it shows where the link goes, with a token nobody can use.
      if (!m.profileId) return `${base}/s/preview`;
      const { source, now } = surveys;
      return surveys.surveyUrl(base, {
        workspaceId: m.workspaceId,
        surveyId,
        profileId: m.profileId,
        messageId: m.messageId,
        source,
        now,
        ...(touchpoint ? { touchpoint } : {}),
      });
    },
  };
}

/** Rewrites `href="http..."` in HTML to tracked links and appends the open pixel. */
export function trackHtml(html: string, links: LinkBuilder): string {
  let out = html.replace(
    /(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?:\/\/[^"']+)\2/gi,
    (_all, pre: string, q: string, url: string) => `${pre}${q}${escapeAttr(links.click(unescapeAttr(url)))}${q}`,
  );
  const pixel = links.openPixel();
  if (pixel) {
    const img = `<img src="${escapeAttr(pixel)}" width="1" height="1" alt="" style="display:none">`;
    out = /<\/body>/i.test(out) ? out.replace(/<\/body>/i, `${img}</body>`) : out + img;
  }
  return out;
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const unescapeAttr = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
