/**
 * Conversation archive import (会话存档): JSON lines of decrypted records as WeCom's Finance SDK
 * returns them (`msgid`, `action`, `from`, `tolist`, `roomid`, `msgtime` in ms, `msgtype`,
 * `text.content`, ...). Each message between a staff member and a customer becomes a timeline
 * event on the customer's profile — `WeCom Message Sent` or `WeCom Message Received` — with a
 * message id derived from `msgid`, so importing a file again stores nothing twice. A customer's
 * message in a group is `WeCom Message Received` with `roomid`, and `reply_to_msgid` when it
 * answers another member (archive.replies.ts); group members need not be anyone's contact, only
 * known to One ID (their group join put them there). Messages
 * containing a sensitive word raise a keyword alert. Lines are committed in batches; a batch's
 * events, alerts and contact times commit together or not at all.
 */
import type { Kysely } from 'kysely';
import { applyEvents, type IngestWriter, profilesByIdentifier, type TrackedEvent } from '../../cdp/index.js';
import type { PiiKeyring } from '../../platform/keys.js';
import type { DB } from '../../platform/db/schema.js';
import { WECOM_EVENTS, WECOM_PROPS as P } from '../../platform/event-names.js';
import { ScrmError } from '../errors.js';
import type { Scrm } from '../deps.js';
import { type OpsContext, opsContext, opsDb } from './context.js';
import { recordAlert } from './alerts.service.js';
import { touchLastContact } from './last-contacts.js';
import { customerEvent, externalIdType } from './timeline.js';
import { RoomTurns } from './archive.replies.js';
import { recordInboundReply } from '../../messaging/index.js';

/** What an import needs besides the SCRM context: the ingest writer (exclusive transactions) and the PII cipher. */
export interface ArchiveDeps {
  ctx: OpsContext;
  writer: Pick<IngestWriter, 'settingsFor' | 'exclusive'>;
  cipher: PiiKeyring;
}

/** The archive import's deps from the SCRM module (the CLI's). */
export function archiveDeps(scrm: Scrm): ArchiveDeps {
  return { ctx: opsContext(scrm), writer: scrm.writer, cipher: scrm.cipher };
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
  /** In a group: the msgid of the other member's message this one answers (archive.replies.ts). */
  replyTo?: string;
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

  const turns = new RoomTurns();
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
    if (parsed.action === 'send' && parsed.roomid) parsed.replyTo = turns.next(parsed.roomid, parsed.from, parsed.msgtime, parsed.msgid);
    batch.push(parsed);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  report.unknownCustomers = [...unknown].map(([externalUserid, u]) => ({ externalUserid, ...u })).sort((a, b) => a.firstLine - b.firstLine);
  return report;
}

/** Which of `ids` are customers known to Siyu (scrm_contacts), and which have their One ID identifier in place. */
async function knownCustomers(ctx: OpsContext, ws: string, corpId: string, ids: string[]): Promise<{ known: Set<string>; withIdentity: Set<string> }> {
  const known = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await opsDb(ctx)
      .selectFrom('scrm_contacts')
      .select('external_userid')
      .where('workspace_id', '=', ws)
      .where('external_userid', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of rows) known.add(r.external_userid);
  }
  const holders = await profilesByIdentifier(ctx.db, ws, externalIdType(corpId), ids);
  return { known, withIdentity: new Set(holders.keys()) };
}

/** What one batch writes, gathered before its transaction. */
interface BatchWrites {
  events: TrackedEvent[];
  /** A customer's 1:1 message may answer one of our WeCom messages ("Message Replied"). */
  replies: { messageId: string; at: number; excerpt: string; msgid: string }[];
  alerts: Parameters<typeof recordAlert>[2][];
  /** Latest contact per (staff, customer). */
  contacts: Map<string, { userid: string; ext: string; at: number }>;
}

/** The sensitive words a message holds, as keyword alerts (every message, group messages of staff included). */
function keywordAlerts(r: ArchiveRecord, words: string[], staff: string | null, customer: string | null, now: number): BatchWrites['alerts'] {
  if (!r.text || !words.length) return [];
  const lower = r.text.toLowerCase();
  const out: BatchWrites['alerts'] = [];
  for (const word of words) {
    const at = lower.indexOf(word);
    if (at < 0) continue;
    out.push({
      kind: 'keyword',
      dedupKey: `keyword:${r.msgid}:${word}`,
      userid: staff,
      externalUserid: customer,
      word,
      excerpt: excerpt(r.text, at, word.length),
      msgid: r.msgid,
      at: r.msgtime,
      now,
    });
  }
  return out;
}

/** Context of one batch's records: the workspace's corp and settings, who is a known customer, and what the batch writes. */
interface BatchContext {
  corpId: string;
  settings: Awaited<ReturnType<ArchiveDeps['writer']['settingsFor']>>;
  known: Set<string>;
  withIdentity: Set<string>;
  now: number;
  writes: BatchWrites;
  noteUnknown(id: string, line: number): void;
}

/** Whether a customer's message can go on their timeline: a contact with their One ID identifier, or in a group, any member One ID knows. */
const placeable = (b: BatchContext, r: ArchiveRecord, ext: string) => b.withIdentity.has(ext) && (b.known.has(ext) || r.roomid !== '');

/** Puts one sent record on the timelines of its customers; returns how many it reached (unknown customers are noted instead). */
function placeRecord(b: BatchContext, r: ArchiveRecord, customers: string[], staff: string | null, direction: 'Sent' | 'Received'): number {
  let placed = 0;
  for (const ext of customers) {
    if (!placeable(b, r, ext)) {
      b.noteUnknown(ext, r.line);
      continue;
    }
    const messageId = `wecom-msg:${r.msgid}:${ext}`;
    const properties: Record<string, unknown> = {
      msgid: r.msgid,
      msgtype: r.msgtype,
      direction: direction.toLowerCase(),
      externalUserid: ext,
      source: 'wecom_archive',
      content: r.text ?? `[${r.msgtype}]`,
    };
    if (staff) properties.userid = staff;
    if (r.roomid) properties[P.roomId] = r.roomid;
    if (r.roomid && r.replyTo && direction === 'Received') properties[P.replyTo] = r.replyTo;
    const event = direction === 'Sent' ? WECOM_EVENTS.messageSent : WECOM_EVENTS.messageReceived;
    const e = { corpId: b.corpId, externalUserid: ext, messageId, event, timestamp: r.msgtime, receivedAt: b.now, properties };
    b.writes.events.push(customerEvent(b.settings, e));
    if (direction === 'Received' && !r.roomid) b.writes.replies.push({ messageId, at: r.msgtime, excerpt: r.text ?? `[${r.msgtype}]`, msgid: r.msgid });
    if (staff) {
      const key = `${staff}\u0000${ext}`;
      if ((b.writes.contacts.get(key)?.at ?? 0) < r.msgtime) b.writes.contacts.set(key, { userid: staff, ext, at: r.msgtime });
    }
    placed++;
  }
  return placed;
}

/** Sorts a batch's records into timeline events, replies, keyword alerts and contact times; counts what it skips. */
function classify(b: BatchContext, batch: ArchiveRecord[], words: string[], report: ArchiveReport): void {
  const isCustomer = (id: string) => b.known.has(id) || looksExternal(id);
  for (const r of batch) {
    if (r.action !== 'send') {
      report.skipped++;
      continue;
    }
    const customers = r.from && isCustomer(r.from) ? [r.from] : r.roomid ? [] : r.tolist.filter(isCustomer);
    const staff = isCustomer(r.from) ? (r.roomid ? null : (r.tolist.find((t) => !isCustomer(t)) ?? null)) : r.from;
    b.writes.alerts.push(...keywordAlerts(r, words, staff, customers[0] ?? null, b.now));
    const placed = placeRecord(b, r, customers, staff, isCustomer(r.from) ? 'Received' : 'Sent');
    if (!placed && customers.every((c) => placeable(b, r, c))) report.skipped++;
  }
}

/** Writes a batch in one exclusive ingest transaction: timeline events, replies to our messages, keyword alerts, last contacts. */
async function writeBatch(deps: ArchiveDeps, ws: string, b: BatchContext, report: ArchiveReport): Promise<void> {
  const { ctx } = deps;
  const { events, replies, alerts, contacts } = b.writes;
  await deps.writer.exclusive(async (trx: Kysely<DB>) => {
    if (events.length) {
      const out = await applyEvents(trx, { dialect: ctx.dialect, cipher: deps.cipher, now: ctx.now }, ws, b.settings, events);
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
    for (const c of contacts.values()) await touchLastContact(trx, ws, c.userid, c.ext, c.at);
  });
}

async function commitBatch(
  deps: ArchiveDeps,
  ws: string,
  corpId: string,
  settings: BatchContext['settings'],
  words: string[],
  batch: ArchiveRecord[],
  report: ArchiveReport,
  unknown: Map<string, { records: number; firstLine: number }>,
): Promise<void> {
  const ids = [...new Set(batch.flatMap((r) => [r.from, ...r.tolist]).filter(Boolean))];
  const b: BatchContext = {
    corpId,
    settings,
    ...(await knownCustomers(deps.ctx, ws, corpId, ids)),
    now: deps.ctx.now(),
    writes: { events: [], replies: [], alerts: [], contacts: new Map() },
    noteUnknown: (id, line) => {
      const u = unknown.get(id) ?? { records: 0, firstLine: line };
      u.records++;
      unknown.set(id, u);
    },
  };
  classify(b, batch, words, report);
  await writeBatch(deps, ws, b, report);
}
