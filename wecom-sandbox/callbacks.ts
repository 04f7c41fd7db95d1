import { randomInt } from 'node:crypto';
import { buildEnvelopeXml, buildXml, createWeComCrypto, parseMessageXml, type WeComMessage } from '../src/wecom/index.js';
import { applyScenario, type CallbackScenario } from './scenarios.js';
import type { SandboxState } from './state.js';

/** Where and how a callback is sent: the Token and EncodingAESKey configured for the target. */
export interface CallbackTarget {
  token: string;
  encodingAesKey: string;
  /** ReceiveId inside the ciphertext; the corp id unless given. */
  receiveId?: string;
  /** AgentID in the envelope. */
  agentId?: string;
  /** How long to wait for the target (WeCom waits 5 s). */
  timeoutMs?: number;
}

/** What firing a callback did: the event, what was sent, and the target's answer. */
export interface FiredCallback {
  event: WeComMessage;
  /** The plaintext event XML. */
  xml: string;
  /** The URL posted to, with msg_signature, timestamp and nonce. */
  url: string;
  body: string;
  status: number;
  response: string;
  welcomeCode?: string;
}

/** A callback as WeCom would POST it, built but not sent: the query string's signature, timestamp and nonce, and the envelope. */
export interface SealedCallback {
  event: WeComMessage;
  /** The plaintext event XML. */
  xml: string;
  query: { msg_signature: string; timestamp: string; nonce: string };
  /** The encrypted envelope `<xml><ToUserName/><Encrypt/><AgentID/></xml>`. */
  body: string;
  welcomeCode?: string;
}

/**
 * Applies a scenario to the sandbox and seals its event as WeCom does (the event XML encrypted
 * with WXBizMsgCrypt, in the `<xml><ToUserName/><Encrypt/><AgentID/></xml>` envelope, signed for
 * the query string), without sending it: for a receiver in the same process.
 */
export function sealCallback(state: SandboxState, spec: CallbackScenario, target: CallbackTarget): SealedCallback {
  const crypto = createWeComCrypto({
    token: target.token,
    encodingAesKey: target.encodingAesKey,
    receiveId: target.receiveId ?? state.corp.corpId,
    now: state.corp.now,
  });
  const applied = applyScenario(state, spec);
  const xml = buildXml(applied.fields);
  const sealed = crypto.encrypt(xml);
  const body = buildEnvelopeXml({ toUserName: state.corp.corpId, encrypt: sealed.encrypt, agentId: target.agentId });
  return {
    event: parseMessageXml(xml),
    xml,
    query: { msg_signature: sealed.msgSignature, timestamp: sealed.timestamp, nonce: sealed.nonce },
    body,
    welcomeCode: applied.welcomeCode,
  };
}

/**
 * Applies a scenario to the sandbox, then sends its event as WeCom does: sealed
 * ({@link sealCallback}) and POSTed with `msg_signature`, `timestamp` and `nonce` in the query string.
 */
export async function fireCallback(state: SandboxState, targetUrl: string, spec: CallbackScenario, target: CallbackTarget): Promise<FiredCallback> {
  const url = new URL(targetUrl);
  const sealed = sealCallback(state, spec, target);
  for (const [k, v] of Object.entries(sealed.query)) url.searchParams.set(k, v);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: sealed.body,
    signal: AbortSignal.timeout(target.timeoutMs ?? 5000),
  });
  return {
    event: sealed.event,
    xml: sealed.xml,
    url: url.toString(),
    body: sealed.body,
    status: res.status,
    response: await res.text(),
    welcomeCode: sealed.welcomeCode,
  };
}

/** What a URL verification found. */
export interface VerifiedUrl {
  ok: boolean;
  status: number;
  /** The echostr plaintext the target had to answer with. */
  expected: string;
  received: string;
  url: string;
}

/**
 * Verifies a callback URL as WeCom's console does when the URL is saved: a GET with
 * msg_signature, timestamp, nonce and an encrypted echostr; the target must answer the decrypted
 * echostr, exactly, within a second or so.
 */
export async function verifyCallbackUrl(state: SandboxState, targetUrl: string, target: CallbackTarget): Promise<VerifiedUrl> {
  const url = new URL(targetUrl);
  const crypto = createWeComCrypto({
    token: target.token,
    encodingAesKey: target.encodingAesKey,
    receiveId: target.receiveId ?? state.corp.corpId,
    now: state.corp.now,
  });
  // WeCom's echostr plaintext is a long decimal number, e.g. 1616140317555161061.
  const expected = String(randomInt(1, 2 ** 47)) + String(randomInt(100000, 999999));
  const sealed = crypto.encrypt(expected);
  url.searchParams.set('msg_signature', sealed.msgSignature);
  url.searchParams.set('timestamp', sealed.timestamp);
  url.searchParams.set('nonce', sealed.nonce);
  url.searchParams.set('echostr', sealed.encrypt);
  const res = await fetch(url, { signal: AbortSignal.timeout(target.timeoutMs ?? 5000) });
  const received = await res.text();
  return { ok: res.status === 200 && received === expected, status: res.status, expected, received, url: url.toString() };
}
