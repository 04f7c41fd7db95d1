/**
 * WeCom's callback protocol (「回调配置」, WXBizMsgCrypt) on Siyu's side: URL verification, and the
 * checks every pushed event passes before it is durably queued. A rejected request writes nothing;
 * an accepted one is one row in `wecom_inbox`, applied later by the inbox processor, so the answer
 * goes back well within the 5 s WeCom waits.
 *
 * Checks, in order: the workspace has a connection (404), the query and envelope are WeCom's
 * (400), msg_signature matches the Token (401), the timestamp is within the window of the
 * injected clock (401), the ciphertext decrypts with valid padding and length (400) for our corp
 * id (403), and the (msg_signature, timestamp, nonce) triple was not accepted before (409).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../platform/db/database.js';
import type { Hub } from '../platform/hub.js';
import { newId } from '../platform/ids.js';
import { parseEnvelopeJson, parseEnvelopeXml, WeComCryptoError } from '../wecom/index.js';
import { dedupKeyOf, messageKind, parseCallbackMessage } from './callback-message.js';
import type { CallbackKeys, WeComConnections } from './connection.service.js';
import { ScrmError } from './errors.js';
import { SCRM_INBOX_HAS_WORK, type ScrmHubEvents } from './hub-events.js';
import { enqueueInbox } from './inbox.js';
import type { ReplayGuard } from './replay-guard.js';

type ErrorCode = keyof typeof ScrmError.catalogue;

/** Default accepted distance between a callback's timestamp and our clock, either way. */
export const DEFAULT_CALLBACK_WINDOW_MS = 300_000;

/** The query string WeCom adds to a callback URL. */
export interface CallbackQuery {
  msg_signature?: string;
  timestamp?: string;
  nonce?: string;
  echostr?: string;
}

/** What the callback endpoint needs. */
export interface CallbackDeps {
  database: Database;
  connections: Pick<WeComConnections, 'callbackKeysFor'>;
  replay: ReplayGuard;
  now: () => number;
  log: Logger;
  /** Accepted clock distance of a callback's timestamp, ms (default 300,000). */
  windowMs?: number;
  /** Told `scrm.inbox-has-work` after a new row is queued (wakes the inbox worker of this process). */
  hub: Hub<ScrmHubEvents>;
}

function reject(deps: CallbackDeps, workspaceId: string, code: ErrorCode, reason: string, message: string): never {
  deps.log.warn({ workspaceId, code, reason }, `WeCom callback rejected: ${message}`);
  throw new ScrmError(code, message);
}

const CRYPTO_CODES: Record<string, ErrorCode> = {
  bad_signature: 'WECOM_CALLBACK_BAD_SIGNATURE',
  bad_corp_id: 'WECOM_CALLBACK_WRONG_CORP',
  bad_padding: 'WECOM_CALLBACK_MALFORMED',
  bad_length: 'WECOM_CALLBACK_MALFORMED',
  malformed: 'WECOM_CALLBACK_MALFORMED',
  bad_key: 'WECOM_CALLBACK_MALFORMED',
};

/** Runs a crypto step, turning its refusal into the matching coded rejection. */
function checked<T>(deps: CallbackDeps, workspaceId: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WeComCryptoError) reject(deps, workspaceId, CRYPTO_CODES[err.reason] ?? 'WECOM_CALLBACK_MALFORMED', err.reason, err.message);
    throw err;
  }
}

async function keysOf(deps: CallbackDeps, workspaceId: string): Promise<CallbackKeys> {
  const keys = await deps.connections.callbackKeysFor(workspaceId);
  if (!keys)
    reject(
      deps,
      workspaceId,
      'WECOM_NOT_CONNECTED',
      'not_connected',
      `no WeCom connection for workspace ${JSON.stringify(workspaceId)}; configure one with PUT /v1/wecom/connection`,
    );
  return keys;
}

interface Signed {
  signature: string;
  timestamp: string;
  nonce: string;
}

function readQuery(deps: CallbackDeps, workspaceId: string, q: CallbackQuery): Signed {
  const { msg_signature: signature, timestamp, nonce } = q;
  for (const [name, v] of [
    ['msg_signature', signature],
    ['timestamp', timestamp],
    ['nonce', nonce],
  ] as const) {
    if (typeof v !== 'string' || v === '' || v.length > 128)
      reject(deps, workspaceId, 'WECOM_CALLBACK_MALFORMED', 'missing_parameter', `the query parameter ${name} is missing or too long`);
  }
  if (!/^\d{1,12}$/.test(timestamp!))
    reject(deps, workspaceId, 'WECOM_CALLBACK_MALFORMED', 'bad_timestamp', `timestamp must be seconds since the epoch, got ${JSON.stringify(timestamp)}`);
  return { signature: signature!, timestamp: timestamp!, nonce: nonce! };
}

/** Signature first (nothing else is worth reporting about a forged request), then freshness. */
function authenticate(deps: CallbackDeps, workspaceId: string, keys: CallbackKeys, s: Signed, encrypt: string): void {
  const expected = Buffer.from(keys.crypto.signature(s.timestamp, s.nonce, encrypt), 'latin1');
  const given = Buffer.from(s.signature.toLowerCase(), 'latin1');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    reject(
      deps,
      workspaceId,
      'WECOM_CALLBACK_BAD_SIGNATURE',
      'bad_signature',
      'msg_signature does not match SHA-1(sort(Token, timestamp, nonce, Encrypt)): wrong Token, or the request was altered',
    );
  }
  const window = deps.windowMs ?? DEFAULT_CALLBACK_WINDOW_MS;
  const skew = deps.now() - Number(s.timestamp) * 1000;
  if (Math.abs(skew) > window) {
    reject(
      deps,
      workspaceId,
      'WECOM_CALLBACK_STALE',
      'stale_timestamp',
      `timestamp ${s.timestamp} is ${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? 'old' : 'in the future'}; callbacks are accepted within ${window / 1000} s of this server's clock`,
    );
  }
}

/** URL verification (the GET WeCom's console sends when the URL is saved): returns the decrypted echostr. */
export async function verifyUrl(deps: CallbackDeps, workspaceId: string, query: CallbackQuery): Promise<string> {
  const keys = await keysOf(deps, workspaceId);
  const signed = readQuery(deps, workspaceId, query);
  const echostr = query.echostr;
  if (typeof echostr !== 'string' || echostr === '')
    reject(deps, workspaceId, 'WECOM_CALLBACK_MALFORMED', 'missing_parameter', 'the query parameter echostr is missing');
  authenticate(deps, workspaceId, keys, signed, echostr);
  const plain = checked(deps, workspaceId, () => keys.crypto.verifyUrl(signed.signature, signed.timestamp, signed.nonce, echostr));
  deps.log.info({ workspaceId }, 'WeCom callback URL verified');
  return plain;
}

/** What accepting a callback did. */
export interface Accepted {
  /** The inbox row id (the existing row's for a redelivery). */
  id: string;
  kind: string;
  /** True when WeCom redelivered an event already queued: nothing new was written. */
  duplicate: boolean;
}

/** Checks, decrypts and durably queues one pushed event; throws a coded AppError (and writes nothing) on any failed check. */
export async function acceptCallback(deps: CallbackDeps, workspaceId: string, query: CallbackQuery, body: unknown): Promise<Accepted> {
  const keys = await keysOf(deps, workspaceId);
  const signed = readQuery(deps, workspaceId, query);
  const text =
    typeof body === 'string' ? body : body === undefined || body === null ? '' : Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body);
  if (text.trim() === '')
    reject(
      deps,
      workspaceId,
      'WECOM_CALLBACK_MALFORMED',
      'empty_body',
      'the body is empty; WeCom posts <xml><Encrypt>...</Encrypt></xml> (or {"encrypt": ...})',
    );
  const envelope = checked(deps, workspaceId, () => (text.trimStart().startsWith('{') ? parseEnvelopeJson(text) : parseEnvelopeXml(text)));
  authenticate(deps, workspaceId, keys, signed, envelope.encrypt);
  const plain = checked(deps, workspaceId, () => keys.crypto.decrypt(signed.signature, signed.timestamp, signed.nonce, envelope.encrypt));
  const msg = checked(deps, workspaceId, () => parseCallbackMessage(plain));
  const kind = messageKind(msg);
  const dedupKey = dedupKeyOf(msg);

  const now = deps.now();
  const window = deps.windowMs ?? DEFAULT_CALLBACK_WINDOW_MS;
  const replayKey = `${workspaceId}\n${signed.signature.toLowerCase()}\n${signed.timestamp}\n${signed.nonce}`;
  if (!deps.replay.claim(replayKey, Number(signed.timestamp) * 1000 + window, now)) {
    reject(
      deps,
      workspaceId,
      'WECOM_CALLBACK_REPLAYED',
      'replay',
      `a callback with this msg_signature, timestamp and nonce was already accepted (kind ${kind})`,
    );
  }
  try {
    const row = await enqueueInbox(deps.database.db, {
      workspace_id: workspaceId,
      id: newId('wib', now),
      dedup_key: dedupKey,
      kind,
      payload: plain,
      received_at: now,
    });
    if (!row.duplicate) deps.hub.emit(SCRM_INBOX_HAS_WORK, { workspaceId });
    deps.log.debug({ workspaceId, kind, inboxId: row.id, duplicate: row.duplicate }, 'WeCom callback queued');
    return { id: row.id, kind, duplicate: row.duplicate };
  } catch (err) {
    deps.replay.release(replayKey);
    throw err;
  }
}
