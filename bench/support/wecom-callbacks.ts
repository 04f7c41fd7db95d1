/**
 * Parts of the WeCom callback benchmark (`npm run bench -- wecom`, part B): encrypted callbacks
 * built before timing, the bare SHA-1 + AES-256-CBC loop they are compared with, the project's
 * own checks run in process, the HTTP load generator, and the inbox count that checks the run.
 */
import { createDecipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { dedupKeyOf, messageKind, parseCallbackMessage } from '../../src/scrm/callback-message.js';
import { buildEnvelopeXml, buildXml, parseEnvelopeXml } from '../../src/wecom/crypto-xml.js';
import { createWeComCrypto, decodeEncodingAesKey } from '../../src/wecom/crypto.js';
import { PROJECT_ROOT, type ServerProcess, startServer } from './server.js';
import { post, runClients } from './load.js';

/** What a callback is encrypted and addressed with: the connection's Token, EncodingAESKey and corp id. */
export interface CallbackKeys {
  corpId: string;
  agentId: string;
  callbackToken: string;
  encodingAesKey: string;
}

/** One encrypted callback as WeCom POSTs it: the query string and the XML body. */
export interface SealedCallback {
  /** `msg_signature=...&timestamp=...&nonce=...` */
  query: string;
  body: string;
  signature: string;
  timestamp: string;
  nonce: string;
  encrypt: string;
}

/** A (member, customer) relation an add event is about. */
export interface RelationRef {
  userid: string;
  externalUserid: string;
}

/**
 * Encrypts `count` change_external_contact add events with the project's WXBizMsgCrypt, one per
 * relation in turn, each with its own nonce and WelcomeCode (so every event has its own inbox
 * dedup key) and the timestamp `nowSeconds` (the server accepts it for 300 s either way).
 */
export function sealCallbacks(keys: CallbackKeys, relations: readonly RelationRef[], count: number, nowSeconds: number): SealedCallback[] {
  const crypto = createWeComCrypto({ token: keys.callbackToken, encodingAesKey: keys.encodingAesKey, receiveId: keys.corpId });
  const timestamp = String(nowSeconds);
  const out: SealedCallback[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const n = i;
    const rel = relations[n % relations.length]!;
    // As WeCom writes add_external_contact (「添加企业客户事件」): a contact way's State and a WelcomeCode.
    const xml = buildXml({
      ToUserName: keys.corpId,
      FromUserName: 'sys',
      CreateTime: nowSeconds,
      MsgType: 'event',
      Event: 'change_external_contact',
      ChangeType: 'add_external_contact',
      UserID: rel.userid,
      ExternalUserID: rel.externalUserid,
      State: `bench_${n % 50}`,
      WelcomeCode: createHash('sha256').update(`welcome ${n}`).digest('base64url').slice(0, 43),
    });
    const nonce = String(1_000_000_000 + n);
    const sealed = crypto.encrypt(xml, timestamp, nonce);
    const query = `msg_signature=${sealed.msgSignature}&timestamp=${timestamp}&nonce=${nonce}`;
    out[i] = {
      query,
      body: buildEnvelopeXml({ toUserName: keys.corpId, encrypt: sealed.encrypt, agentId: keys.agentId }),
      signature: sealed.msgSignature,
      timestamp,
      nonce,
      encrypt: sealed.encrypt,
    };
  }
  return out;
}

/** Operations run and time taken by a loop. */
export interface LoopResult {
  ops: number;
  ms: number;
}

/** Runs `step` over the callbacks, again and again, until at least one pass and `minMs` are done. */
function loop(callbacks: readonly SealedCallback[], minMs: number, step: (c: SealedCallback) => number): LoopResult & { sink: number } {
  let ops = 0;
  let sink = 0;
  const t0 = performance.now();
  let ms = 0;
  do {
    for (const c of callbacks) sink = (sink + step(c)) | 0;
    ops += callbacks.length;
    ms = performance.now() - t0;
  } while (ms < minMs);
  return { ops, ms, sink };
}

/**
 * The baseline: what every callback inherently costs, on one thread and nothing else. SHA-1 of
 * the sorted (Token, timestamp, nonce, ciphertext) compared with msg_signature, base64 decoding,
 * AES-256-CBC decryption and the PKCS#7 (32-byte block) unpad with every pad byte checked.
 */
export function bareLoop(keys: CallbackKeys, callbacks: readonly SealedCallback[], minMs = 2000): LoopResult {
  const key = decodeEncodingAesKey(keys.encodingAesKey);
  const iv = key.subarray(0, 16);
  const token = keys.callbackToken;
  const r = loop(callbacks, minMs, (c) => {
    const sig = createHash('sha1').update([token, c.timestamp, c.nonce, c.encrypt].sort().join('')).digest('hex');
    if (sig !== c.signature) throw new Error('bare loop: signature mismatch');
    const d = createDecipheriv('aes-256-cbc', key, iv);
    d.setAutoPadding(false);
    const padded = Buffer.concat([d.update(Buffer.from(c.encrypt, 'base64')), d.final()]);
    const pad = padded[padded.length - 1]!;
    if (pad < 1 || pad > 32) throw new Error('bare loop: bad padding');
    for (let i = padded.length - pad; i < padded.length; i++) if (padded[i] !== pad) throw new Error('bare loop: bad padding');
    return padded.length - pad;
  });
  if (r.sink === 0) throw new Error('bare loop produced nothing');
  return { ops: r.ops, ms: r.ms };
}

/**
 * The callback route's own checks in this process, without HTTP or database: the envelope XML
 * parsed, signature checked and decrypted by the project's WXBizMsgCrypt (receive id and UTF-8
 * included), the event XML parsed, its kind and dedup key computed.
 */
export function inProcessChecks(keys: CallbackKeys, callbacks: readonly SealedCallback[], minMs = 2000): LoopResult {
  const crypto = createWeComCrypto({ token: keys.callbackToken, encodingAesKey: keys.encodingAesKey, receiveId: keys.corpId });
  const r = loop(callbacks, minMs, (c) => {
    const envelope = parseEnvelopeXml(c.body);
    const plain = crypto.decrypt(c.signature, c.timestamp, c.nonce, envelope.encrypt);
    const msg = parseCallbackMessage(plain);
    return messageKind(msg).length + dedupKeyOf(msg).length;
  });
  return { ops: r.ops, ms: r.ms };
}

/** What the load generator measured. */
export interface CallbackLoad {
  /** Callbacks answered 200 "success". */
  acked: number;
  /** From the first request sent to the last answer, ms. */
  elapsedMs: number;
  /** Per-request latency, ms. */
  latencies: Float64Array;
}

/**
 * POSTs the callbacks to `/wecom/callback/:workspace` from `concurrency` clients sharing one
 * keep-alive agent. Anything but 200 "success" stops the run with the server's answer.
 */
export async function postCallbacks(opts: {
  baseUrl: string;
  workspaceId: string;
  callbacks: readonly SealedCallback[];
  concurrency: number;
  onProgress?: (acked: number) => void;
}): Promise<CallbackLoad> {
  const base = `${opts.baseUrl}/wecom/callback/${encodeURIComponent(opts.workspaceId)}?`;
  const latencies = new Float64Array(opts.callbacks.length);
  let next = 0;
  let acked = 0;
  let failure: Error | undefined;
  const client = async (agent: Agent) => {
    while (!failure && next < opts.callbacks.length) {
      const i = next++;
      const c = opts.callbacks[i]!;
      const t = performance.now();
      let res;
      try {
        res = await post(agent, base + c.query, { 'content-type': 'text/xml; charset=utf-8' }, c.body);
      } catch (err) {
        failure ??= new Error(`callback ${i}: ${(err as Error).message} after ${acked} acknowledged`);
        return;
      }
      latencies[i] = performance.now() - t;
      if (res.status !== 200 || res.text !== 'success') {
        failure ??= new Error(`callback ${i} answered ${res.status} ${JSON.stringify(res.text.slice(0, 500))} after ${acked} acknowledged`);
        return;
      }
      acked++;
      opts.onProgress?.(acked);
    }
  };
  const elapsedMs = await runClients(opts.concurrency, client);
  if (failure) throw failure;
  return { acked, elapsedMs, latencies };
}

/** Inbox rows of a workspace by status. */
export interface InboxCounts {
  total: number;
  pending: number;
  done: number;
  failed: number;
}

/** Reads the inbox of a workspace from the server's database (SQLite file read-only, or PostgreSQL). */
export function inboxReader(where: { sqliteFile: string } | { url: string }): { counts(workspaceId: string): Promise<InboxCounts>; close(): Promise<void> } {
  const q = `select status, count(*) as n from wecom_inbox where workspace_id = $1 group by status`;
  const fold = (rows: { status: string; n: unknown }[]): InboxCounts => {
    const c: InboxCounts = { total: 0, pending: 0, done: 0, failed: 0 };
    for (const r of rows) {
      const n = Number(r.n);
      c.total += n;
      if (r.status === 'pending' || r.status === 'done' || r.status === 'failed') c[r.status] += n;
    }
    return c;
  };
  if ('sqliteFile' in where) {
    const db = new BetterSqlite3(where.sqliteFile, { readonly: true });
    const stmt = db.prepare(q.replace('$1', '?'));
    return {
      counts: async (ws) => fold(stmt.all(ws) as { status: string; n: number }[]),
      close: async () => void db.close(),
    };
  }
  const client = new pg.Client({ connectionString: where.url });
  const connected = client.connect();
  return {
    counts: async (ws) => {
      await connected;
      return fold((await client.query(q, [ws])).rows);
    },
    close: async () => {
      await connected.catch(() => undefined);
      await client.end();
    },
  };
}

/**
 * Starts `siyu serve` (`workers: true`) or accept-only-server.ts (the same app without background
 * workers) as `startServer` does.
 */
export function startCallbackServer(opts: { dataDir: string; databaseUrl?: string; encryptionKeyHex: string; workers: boolean }): Promise<ServerProcess> {
  const { workers, ...rest } = opts;
  return startServer({ ...rest, ...(workers ? {} : { script: ['--import', 'tsx', join(PROJECT_ROOT, 'bench', 'support', 'accept-only-server.ts')] }) });
}

/**
 * Time the main thread of a process has spent on a CPU and waiting for one (run queue), in ms,
 * from /proc/<pid>/schedstat (Linux). On a shared 2-core machine the waiting time shows how much
 * of a run's latency was other processes' doing.
 */
export function readSchedstat(pid: number): { runMs: number; waitMs: number } {
  const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
  return { runMs: (run ?? 0) / 1e6, waitMs: (wait ?? 0) / 1e6 };
}
