/**
 * A stand-in SMS gateway for the demo brand: it speaks the contract of Siyu's `sms` channel
 * (docs/messaging.md: a signed POST per message, `{ "code": "OK", "bizId" }` back, signed delivery
 * receipts later), answers in-process instead of over the network, and decides each message's fate
 * from the phone number alone, so a demo's results are the same on every run: about 2 % refused at
 * once (the carrier's frequency control), 4 % failed on the handset's receipt (空号 / 停机), the
 * rest delivered; customers open the tracked link of about 30 % of the delivered messages.
 *
 * Its host ends in `.invalid` (RFC 2606: never resolvable), so the endpoint cannot reach anything
 * real if the stand-in is not there; the composition root routes messaging's outbound fetch to it.
 */
import { createHash, createHmac } from 'node:crypto';
import { hash32, hashChars, hashString } from './ids.js';

/** The stand-in's host. */
export const SMS_SANDBOX_HOST = 'sms-gateway.sandbox.invalid';
const PATH = '/v1/sms/send';

/** An account of the stand-in: what the workspace's `sms` channel is configured with. */
export interface SmsAccount {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
}

/** A message the stand-in took, and what became of it. */
export interface SentSms {
  accessKeyId: string;
  /** The sender's message id (`outId`). */
  outId: string;
  bizId: string;
  phoneNumber: string;
  text: string;
  /** Epoch ms. */
  at: number;
  outcome: 'refused' | 'delivered' | 'failed';
  errorCode?: string;
}

/** A batch of receipts as the gateway POSTs it to /hooks/sms/:workspace/receipts. */
export interface SignedReceipts {
  timestamp: string;
  signature: string;
  body: string;
}

/** The stand-in gateway. */
export interface SmsGateway {
  /** The account for `name` (the same name, the same keys). */
  account(name: string): SmsAccount;
  /** The names of the accounts handed out, by access key id. */
  accountNames(): Map<string, string>;
  /** Marks the account as taken care of by its owner (`held` says so) until the returned function is called. */
  hold(accessKeyId: string): () => void;
  held(accessKeyId: string): boolean;
  /** Answers a request to the stand-in's host; undefined for any other URL. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> | undefined;
  /** Receipts of the account's messages not taken yet, `perBatch` (default and at most 1,000) a batch, signed with the account's secret. */
  takeReceipts(accessKeyId: string, perBatch?: number): SignedReceipts[];
  /** The tracked links the account's customers opened, not taken yet. */
  takeClicks(accessKeyId: string): string[];
  /** Every message taken, in order. */
  readonly sent: readonly SentSms[];
}

const hmac = (secret: string, s: string) => createHmac('sha256', secret).update(s).digest('base64');
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** The outcome of a message to `phone`: a function of the number and the seed only. */
function outcomeOf(seed: number, phone: string): { outcome: SentSms['outcome']; errorCode?: string; clicks: boolean } {
  const h = hash32(seed, hashString(phone)) % 100;
  const clicks = hash32(seed, hashString(phone), 1) % 100 < 30;
  if (h < 2) return { outcome: 'refused', errorCode: 'isv.BUSINESS_LIMIT_CONTROL', clicks: false };
  if (h < 6) return { outcome: 'failed', errorCode: h < 4 ? 'MK:0001' : 'DB:0141', clicks: false };
  return { outcome: 'delivered', clicks };
}

/** Builds the stand-in; `now` is the clock of receipts and signatures (the server's). */
export function createSmsGateway(opts: { now: () => number; seed?: number }): SmsGateway {
  const seed = (opts.seed ?? 1) >>> 0;
  const accounts = new Map<string, SmsAccount>();
  const names = new Map<string, string>();
  const holds = new Map<string, number>();
  const sent: SentSms[] = [];
  const receipts = new Map<string, SentSms[]>();
  const clicks = new Map<string, string[]>();
  const queue = <T>(map: Map<string, T[]>, key: string, v: T) => (map.get(key) ?? map.set(key, []).get(key)!).push(v);

  function handle(url: URL, init: RequestInit | undefined): Response {
    if (url.pathname !== PATH || (init?.method ?? 'GET').toUpperCase() !== 'POST') return json(404, { code: 'NotFound', message: `POST ${PATH}` });
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === 'string' ? init.body : '';
    const account = accounts.get(headers.get('x-siyu-key-id') ?? '');
    if (!account) return json(403, { code: 'InvalidAccessKeyId.NotFound', message: 'unknown access key id' });
    const ts = headers.get('x-siyu-timestamp') ?? '';
    const nonce = headers.get('x-siyu-nonce') ?? '';
    const toSign = ['POST', PATH, ts, nonce, createHash('sha256').update(body).digest('hex')].join('\n');
    if (headers.get('x-siyu-signature') !== hmac(account.accessKeySecret, toSign))
      return json(403, { code: 'SignatureDoesNotMatch', message: 'the signature does not match' });
    let msg: { phoneNumber?: unknown; outId?: unknown; templateParam?: { text?: unknown } };
    try {
      msg = JSON.parse(body);
    } catch {
      return json(400, { code: 'InvalidParameter', message: 'the body is not JSON' });
    }
    if (typeof msg.phoneNumber !== 'string' || typeof msg.outId !== 'string') return json(400, { code: 'InvalidParameter', message: 'phoneNumber and outId' });
    const fate = outcomeOf(seed, msg.phoneNumber);
    const text = typeof msg.templateParam?.text === 'string' ? msg.templateParam.text : '';
    const bizId = `${hashChars(seed, 21, sent.length, 12)}^${sent.length}`;
    const record: SentSms = {
      accessKeyId: account.accessKeyId,
      outId: msg.outId,
      bizId,
      phoneNumber: msg.phoneNumber,
      text,
      at: opts.now(),
      outcome: fate.outcome,
    };
    if (fate.errorCode) record.errorCode = fate.errorCode;
    sent.push(record);
    if (fate.outcome === 'refused') return json(200, { code: fate.errorCode, message: '触发号码天级流控 (frequency control)' });
    queue(receipts, account.accessKeyId, record);
    const link = /https?:\/\/[^\s"'<>]+/.exec(text)?.[0];
    if (fate.outcome === 'delivered' && fate.clicks && link) queue(clicks, account.accessKeyId, link);
    return json(200, { code: 'OK', bizId, message: 'OK' });
  }

  return {
    sent,
    account(name) {
      const accessKeyId = `LTAIdemo${hashChars(seed, 22, hashString(name), 12)}`;
      let a = accounts.get(accessKeyId);
      if (!a) {
        a = { endpoint: `http://${SMS_SANDBOX_HOST}${PATH}`, accessKeyId, accessKeySecret: hashChars(seed, 23, hashString(name), 30), signName: '思屿咖啡' };
        accounts.set(accessKeyId, a);
        names.set(accessKeyId, name);
      }
      return a;
    },
    accountNames: () => new Map(names),
    hold(accessKeyId) {
      holds.set(accessKeyId, (holds.get(accessKeyId) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const n = (holds.get(accessKeyId) ?? 1) - 1;
        if (n > 0) holds.set(accessKeyId, n);
        else holds.delete(accessKeyId);
      };
    },
    held: (accessKeyId) => holds.has(accessKeyId),
    fetch(input, init) {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      if (url.hostname !== SMS_SANDBOX_HOST) return undefined;
      return Promise.resolve(handle(url, init));
    },
    takeReceipts(accessKeyId, perBatch = 1000) {
      const size = Math.max(1, Math.min(1000, perBatch));
      const account = accounts.get(accessKeyId);
      const pending = receipts.get(accessKeyId) ?? [];
      receipts.delete(accessKeyId);
      if (!account) return [];
      const out: SignedReceipts[] = [];
      for (let i = 0; i < pending.length; i += size) {
        const body = JSON.stringify({
          receipts: pending.slice(i, i + size).map((m) => ({
            bizId: m.bizId,
            outId: m.outId,
            status: m.outcome === 'delivered' ? 'DELIVERED' : 'FAILED',
            ...(m.errorCode ? { errorCode: m.errorCode } : {}),
            reportedAt: new Date(m.at).toISOString(),
          })),
        });
        const timestamp = String(Math.floor(opts.now() / 1000));
        out.push({ timestamp, signature: hmac(account.accessKeySecret, `${timestamp}\n${body}`), body });
      }
      return out;
    },
    takeClicks(accessKeyId) {
      const list = clicks.get(accessKeyId) ?? [];
      clicks.delete(accessKeyId);
      return list;
    },
  };
}
