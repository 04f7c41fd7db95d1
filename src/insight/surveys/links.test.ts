import { describe, expect, it } from 'vitest';
import { createSurveyLinkSigner, linkExpiry } from './links.js';
import { messageSurveyUrl } from './links.service.js';

const signer = createSurveyLinkSigner(Buffer.alloc(32, 1));
const at = Date.parse('2026-11-03T04:00:00Z');

describe('survey links', () => {
  it('round-trips what a link says, and refuses a token signed under another key or edited', () => {
    const link = {
      workspaceId: 'ws_1',
      surveyId: 'srv_1',
      profileId: 'prf_1',
      sendKey: 'msg_1',
      touchpoint: { kind: 'store' as const, id: 'SH-1' },
      issuedAt: at,
      locale: 'en' as const,
    };
    const token = signer.sign(link);
    expect(signer.verify(token)).toEqual(link);
    expect(createSurveyLinkSigner(Buffer.alloc(32, 2)).verify(token)).toBeUndefined();
    expect(signer.verify(token.replace(/^./, (c) => (c === 'e' ? 'f' : 'e')))).toBeUndefined();
    expect(linkExpiry(at, 30)).toBe(at + 30 * 86_400_000);
  });

  it("makes a message's link: the message is the send, its journey or broadcast the touchpoint unless the template names one", () => {
    const base = { workspaceId: 'ws_1', surveyId: 'srv_1', profileId: 'prf_1', messageId: 'msg_9', now: at };
    const tokenOf = (url: string) => signer.verify(url.slice('https://x.example/s/'.length))!;
    const viaBroadcast = messageSurveyUrl(signer, 'https://x.example/', { ...base, source: { kind: 'broadcast', id: 'bc_1' } });
    expect(viaBroadcast.startsWith('https://x.example/s/')).toBe(true);
    expect(tokenOf(viaBroadcast)).toMatchObject({ sendKey: 'msg_9', touchpoint: { kind: 'broadcast', id: 'bc_1' }, issuedAt: at });
    const named = messageSurveyUrl(signer, 'https://x.example', {
      ...base,
      source: { kind: 'journey', id: 'jny_1' },
      touchpoint: { kind: 'store', id: 'SH-1' },
    });
    expect(tokenOf(named).touchpoint).toEqual({ kind: 'store', id: 'SH-1' });
    // An unknown kind named by a template, or a source insight does not know, falls back.
    const odd = messageSurveyUrl(signer, 'https://x.example', { ...base, source: { kind: 'other', id: null }, touchpoint: { kind: 'moon' } });
    expect(tokenOf(odd).touchpoint).toEqual({ kind: 'api', id: '' });
  });
});
