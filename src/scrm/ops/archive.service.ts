/**
 * Conversation archive import (会话存档): JSON lines of decrypted records as WeCom's Finance SDK
 * returns them (`msgid`, `action`, `from`, `tolist`, `roomid`, `msgtime` in ms, `msgtype`,
 * `text.content`, ...). Each message between a staff member and a customer becomes a timeline
 * event on the customer's profile — `WeCom Message Sent` or `WeCom Message Received` — with a
 * message id derived from `msgid`, so importing a file again stores nothing twice. Messages
 * containing a sensitive word raise a keyword alert. Lines are committed in batches; a batch's
 * events, alerts and contact times commit together or not at all.
 */
import type { Kysely } from 'kysely';
import { applyEvents, type IngestWriter, type TrackedEvent } from '../../cdp/index.js';
import type { PiiCipher } from '../../platform/crypto.js';
import type { DB } from '../../platform/db/schema.js';
import { ScrmError } from '../errors.js';
import { type OpsContext, type OpsDb, opsDb } from './context.js';
import { recordAlert } from './alerts.service.js';
import { touchLastContact } from './sop-tick.js';
import { customerEvent, externalIdType } from './timeline.js';
import { recordInboundReply } from '../../messaging/index.js';

/** What an import needs besides the SCRM context: the ingest writer (exclusive transactions) and the PII cipher. */
export interface ArchiveDeps {
  ctx: OpsContext;
  writer: IngestWriter;
  cipher: PiiCipher;
}

/** The outcome of an import. */
export interface ArchiveReport {
  lines: number;
  /** Records read without error. */
  records: number;
  /** Timeline events stored now. */
  imported: number;
  /** Timeline events that were already stored (an earlier import of the same records). */
  duplicates: number;
  /** Records with nothing to put on a timeline: recalls, switches, staff messages in groups, staff-to-staff. */
  skipped: number;
  keywordAlerts: number;
  /** Lines that could not be read, with why (at most 1,000 listed; `errorCount` has them all). */
  errors: Array<{ line: number; reason: string }>;
  errorCount: number;
  /** Customers not known to Siyu (not synced yet): their messages were not imported. */
  unknownCustomers: Array<{ externalUserid: string; records: number; firstLine: number }>;
}

/** Progress after each committed batch. */
export type ArchiveProgress = (p: { lines: number; imported: number; errors: number }) => void;

interface ArchiveRecord {
  line: number;
  msgid: string;
  action: string;
  from: string;
  tolist: string[];
  roomid: string;
  msgtime: number;
  msgtype: string;
  text: string | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// WeCom's external_userid values of WeChat and WeCom users start with wm / wo.
const looksExternal = (id: string) => /^w[mo]/.test(id);

function parseLine(source: string, line: number): ArchiveRecord | string {
  let raw: unknown;
  try {
    raw = JSON.parse(source);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (!isObj(raw)) return 'must be a JSON object';
  if (typeof raw.msgid !== 'string' || !raw.msgid) return 'msgid is required';
  if (raw.msgid.length > 150) return 'msgid is longer than 150 characters';
  const action = raw.action ?? 'send';
  if (action !== 'send' && action !== 'recall' && action !== 'switch') return `action "${String(action)}" is not send, recall or switch`;
  if (action === 'switch')
    return {
      line,
      msgid: raw.msgid,
      action,
      from: String(raw.user ?? ''),
      tolist: [],
      roomid: '',
      msgtime: Number(raw.time ?? 0),
      msgtype: 'switch',
      text: null,
    };
  if (typeof raw.from !== 'string' || !raw.from) return 'from is required';
  if (!Array.isArray(raw.tolist) || raw.tolist.some((t) => typeof t !== 'string')) return 'tolist must be a list of ids';
  if (typeof raw.msgtime !== 'number' || !Number.isFinite(raw.msgtime) || raw.msgtime <= 0) return 'msgtime must be epoch milliseconds';
  if (raw.roomid !== undefined && typeof raw.roomid !== 'string') return 'roomid must be a string';
  const msgtype = typeof raw.msgtype === 'string' && raw.msgtype ? raw.msgtype : undefined;
  if (!msgtype) return 'msgtype is required';
  let text: string | null = null;
  if (msgtype === 'text') {
    const content = isObj(raw.text) ? raw.text.content : undefined;
    if (typeof content !== 'string') return 'a text message needs text.content';
    text = content;
  }
  return {
    line,
    msgid: raw.msgid,
    action,
    from: raw.from,
    tolist: raw.tolist as string[],
    roomid: (raw.roomid as string | undefined) ?? '',
    msgtime: raw.msgtime,
    msgtype,
    text,
  };
}

function excerpt(text: string, at: number, length: number): string {
  const from = Math.max(0, at - 30);
  const to = Math.min(text.length, at + length + 30);
  return `${from > 0 ? '…' : ''}${text.slice(from, to)}${to < text.length ? '…' : ''}`;
}

/** Imports JSON lines; see the module comment. Throws ARCHIVE_IMPORT_INVALID when the workspace has no WeCom connection. */
export async function importArchive(
  deps: ArchiveDeps,
  ws: string,
  lines: AsyncIterable<string> | Iterable<string>,
  opts: { batchSize?: number; onProgress?: ArchiveProgress } = {},
): Promise<ArchiveReport> {
  const { ctx } = deps;
  const db = opsDb(ctx);
  const app = await db.selectFrom('wecom_apps').select('corp_id').where('workspace_id', '=', ws).executeTakeFirst();
  if (!app)
    throw new ScrmError('ARCHIVE_IMPORT_INVALID', 'this workspace has no WeCom connection: customers cannot be resolved (configure WeCom and sync first)');
  const corpId = app.corp_id;
  const words = (await db.selectFrom('scrm_sensitive_words').select('word').where('workspace_id', '=', ws).execute()).map((w) => w.word);
  const settings = await deps.writer.settingsFor(ws);
  const report: ArchiveReport = {
    lines: 0,
    records: 0,
    imported: 0,
    duplicates: 0,
    skipped: 0,
    keywordAlerts: 0,
    errors: [],
    errorCount: 0,
    unknownCustomers: [],
  };
  const unknown = new Map<string, { records: number; firstLine: number }>();
  const batchSize = opts.batchSize ?? 500;
  const error = (line: number, reason: string) => {
    report.errorCount++;
    if (report.errors.length < 1000) report.errors.push({ line, reason });
  };

  let batch: ArchiveRecord[] = [];
  const flush = async () => {
    if (!batch.length) return;
    await commitBatch(deps, ws, corpId, settings, words, batch, report, unknown);
    batch = [];
    opts.onProgress?.({ lines: report.lines, imported: report.imported, errors: report.errorCount });
  };
  for await (const text of lines) {
    report.lines++;
    if (!text.trim()) continue;
    const parsed = parseLine(text, report.lines);
    if (typeof parsed === 'string') {
      error(report.lines, parsed);
      continue;
    }
    report.records++;
    batch.push(parsed);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  report.unknownCustomers = [...unknown].map(([externalUserid, u]) => ({ externalUserid, ...u })).sort((a, b) => a.firstLine - b.firstLine);
  return report;
}

async function commitBatch(
  deps: ArchiveDeps,
  ws: string,
  corpId: string,
  settings: Awaited<ReturnType<IngestWriter['settingsFor']>>,
  words: string[],
  batch: ArchiveRecord[],
  report: ArchiveReport,
  unknown: Map<string, { records: number; firstLine: number }>,
): Promise<void> {
  const { ctx } = deps;
  const db = opsDb(ctx);
  const ids = [...new Set(batch.flatMap((r) => [r.from, ...r.tolist]).filter(Boolean))];
  // Customers: known to Siyu (scrm_contacts) with their One ID identifier in place.
  const known = new Set<string>();
  const withIdentity = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    for (const r of await db
      .selectFrom('scrm_contacts')
      .select('external_userid')
      .where('workspace_id', '=', ws)
      .where('external_userid', 'in', part)
      .execute())
      known.add(r.external_userid);
    for (const r of await db
      .selectFrom('identities')
      .select('id_key')
      .where('workspace_id', '=', ws)
      .where('id_type', '=', externalIdType(corpId))
      .where('id_key', 'in', part)
      .execute())
      withIdentity.add(r.id_key);
  }
  const isCustomer = (id: string) => known.has(id) || looksExternal(id);
  const noteUnknown = (id: string, line: number) => {
    const u = unknown.get(id) ?? { records: 0, firstLine: line };
    u.records++;
    unknown.set(id, u);
  };

  const events: TrackedEvent[] = [];
  // A customer's 1:1 message may answer one of our WeCom messages ("Message Replied").
  const replies: { messageId: string; at: number; excerpt: string; msgid: string }[] = [];
  const alerts: Parameters<typeof recordAlert>[2][] = [];
  const contacts = new Map<string, { userid: string; ext: string; at: number }>();
  const now = ctx.now();
  for (const r of batch) {
    if (r.action !== 'send') {
      report.skipped++;
      continue;
    }
    const customers = r.from && isCustomer(r.from) ? [r.from] : r.roomid ? [] : r.tolist.filter(isCustomer);
    const staff = isCustomer(r.from) ? (r.roomid ? null : (r.tolist.find((t) => !isCustomer(t)) ?? null)) : r.from;
    const direction = isCustomer(r.from) ? 'Received' : 'Sent';
    // Keyword alerts apply to every message, group messages of staff included.
    if (r.text && words.length) {
      const lower = r.text.toLowerCase();
      for (const word of words) {
        const at = lower.indexOf(word);
        if (at < 0) continue;
        alerts.push({
          kind: 'keyword',
          dedupKey: `keyword:${r.msgid}:${word}`,
          userid: staff,
          externalUserid: customers[0] ?? null,
          word,
          excerpt: excerpt(r.text, at, word.length),
          msgid: r.msgid,
          at: r.msgtime,
          now,
        });
      }
    }
    let placed = 0;
    for (const ext of customers) {
      if (!known.has(ext) || !withIdentity.has(ext)) {
        noteUnknown(ext, r.line);
        continue;
      }
      const properties: Record<string, unknown> = {
        msgid: r.msgid,
        msgtype: r.msgtype,
        direction: direction.toLowerCase(),
        externalUserid: ext,
        source: 'wecom_archive',
        content: r.text ?? `[${r.msgtype}]`,
      };
      if (staff) properties.userid = staff;
      if (r.roomid) properties.roomid = r.roomid;
      events.push(
        customerEvent(settings, {
          corpId,
          externalUserid: ext,
          messageId: `wecom-msg:${r.msgid}:${ext}`,
          event: `WeCom Message ${direction}`,
          timestamp: r.msgtime,
          receivedAt: now,
          properties,
        }),
      );
      if (direction === 'Received' && !r.roomid)
        replies.push({ messageId: `wecom-msg:${r.msgid}:${ext}`, at: r.msgtime, excerpt: r.text ?? `[${r.msgtype}]`, msgid: r.msgid });
      if (staff) {
        const key = `${staff}\u0000${ext}`;
        if ((contacts.get(key)?.at ?? 0) < r.msgtime) contacts.set(key, { userid: staff, ext, at: r.msgtime });
      }
      placed++;
    }
    if (!placed && !customers.some((c) => !known.has(c) || !withIdentity.has(c))) report.skipped++;
  }

  await deps.writer.exclusive(async (trx: Kysely<DB>) => {
    if (events.length) {
      const out = await applyEvents(trx, { dialect: ctx.dialect, cipher: deps.cipher, now: ctx.now }, ws, settings, events);
      report.imported += out.stored;
      report.duplicates += out.duplicates;
      // Only events stored now: a re-import records no reply twice (replyId guards the rest).
      for (const rp of replies) {
        const profileId = out.profileOf.get(rp.messageId);
        if (profileId)
          await recordInboundReply(
            { db: trx, dialect: ctx.dialect },
            { workspaceId: ws, profileId, channel: 'wecom', at: rp.at, excerpt: rp.excerpt, replyId: rp.msgid },
          );
      }
    }
    for (const a of alerts) if ((await recordAlert(trx, ws, a)).created) report.keywordAlerts++;
    for (const c of contacts.values()) await touchLastContact(trx as unknown as OpsDb, ws, c.userid, c.ext, c.at);
  });
}
