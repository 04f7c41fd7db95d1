/**
 * Replies: an inbound message from a person counts as a reply to the latest message we sent them
 * on that channel within the workspace's window (`settings.replies.windowHours`, default 72 h).
 * A reply puts `Message Replied` on the timeline and stamps the message's `replied_at` (the first
 * reply). SMS replies arrive from the gateway (signed like receipts) and are matched by a keyed
 * hash of the phone; WeCom replies come from the conversation archive import, matched by profile.
 * Email replies are not observed (no inbound mail).
 */
import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { findProfileByIdentifier, mergedIdsOf, normalisePhone, resolveProfileId } from '../cdp/index.js';
import type { PiiCipher } from '../platform/crypto.js';
import { maskPii } from '../platform/crypto.js';
import type { Dialect } from '../platform/db/database.js';
import { MessagingError } from './errors.js';
import { verifySmsHook } from './delivery.service.js';
import { type CallerDb, mdb, type MessagingDeps } from './deps.js';
import type { MessagesTable, MessagingDB } from './schema.js';
import { loadSettings } from './settings.js';
import { writeTimelineEvent } from './timeline.js';

/** Longest reply text kept on the timeline; the rest is cut with "…" (the timeline is not a chat archive). */
export const REPLY_EXCERPT_CHARS = 200;
/** Most replies one gateway callback may carry. */
const MAX_REPLIES = 1000;
/** Statuses of messages whose provider call started: only those can have been read and answered. */
const ANSWERABLE = ['sending', 'sent', 'delivered', 'unknown'];

/** A phone number as SMS rows and replies compare it: E.164 when it parses, else the digits as given. */
export function canonicalPhone(raw: string, region = 'CN'): string {
  return normalisePhone(raw, region) ?? raw.replace(/[\s()-]/g, '');
}

/** The keyed hash stored in `messages.address_key` for an SMS: the identity graph's lookup key of the phone. */
export function smsAddressKey(cipher: Pick<PiiCipher, 'lookupKey'>, phone: string, region = 'CN'): string {
  return cipher.lookupKey('phone', canonicalPhone(phone, region));
}

function excerptOf(text: string): string {
  const t = text.trim();
  return t.length > REPLY_EXCERPT_CHARS ? `${t.slice(0, REPLY_EXCERPT_CHARS)}…` : t;
}

type MessageRow = Pick<
  Selectable<MessagesTable>,
  'id' | 'profile_id' | 'channel' | 'purpose' | 'template_id' | 'template_version' | 'source_kind' | 'source_id' | 'source_step' | 'sent_at' | 'replied_at'
>;
const MESSAGE_COLUMNS = [
  'id',
  'profile_id',
  'channel',
  'purpose',
  'template_id',
  'template_version',
  'source_kind',
  'source_id',
  'source_step',
  'sent_at',
  'replied_at',
] as const;

/** The latest answerable message of a channel sent at most `windowMs` before `at`, to an address key or to one of some profiles. */
async function latestSent(
  trx: Kysely<MessagingDB>,
  ws: string,
  channel: string,
  to: { addressKey: string } | { profileIds: string[] },
  at: number,
  windowMs: number,
): Promise<MessageRow | undefined> {
  let q = trx
    .selectFrom('messages')
    .select([...MESSAGE_COLUMNS])
    .where('workspace_id', '=', ws)
    .where('channel', '=', channel);
  q = 'addressKey' in to ? q.where('address_key', '=', to.addressKey) : q.where('profile_id', 'in', to.profileIds);
  return q
    .where('sent_at', '<=', at)
    .where('sent_at', '>=', at - windowMs)
    .where('status', 'in', ANSWERABLE)
    .orderBy('sent_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Records one reply to a matched message: `Message Replied` (event id `reply:<channel>:<replyKey>`,
 * so a redelivered reply stores nothing) and the message's first `replied_at`. Returns false for a repeat.
 */
async function recordReplyTo(
  trx: CallerDb,
  dialect: Dialect,
  ws: string,
  m: MessageRow,
  profileId: string,
  r: { at: number; excerpt: string; replyKey: string },
): Promise<boolean> {
  const stored = await writeTimelineEvent(trx, dialect, {
    workspaceId: ws,
    profileId,
    eventId: `reply:${m.channel}:${r.replyKey}`,
    event: 'Message Replied',
    properties: {
      messageId: m.id,
      channel: m.channel,
      purpose: m.purpose,
      templateId: m.template_id,
      templateVersion: m.template_version,
      source: m.source_kind,
      sourceId: m.source_id,
      sourceStep: m.source_step,
      excerpt: r.excerpt,
      // How long after the send the person answered: journeys and reports read it without a join.
      replySeconds: m.sent_at === null ? null : Math.max(0, Math.round((r.at - m.sent_at) / 1000)),
    },
    at: r.at,
  });
  if (stored === 0) return false;
  await mdb(trx)
    .updateTable('messages')
    .set({ replied_at: r.at })
    .where('workspace_id', '=', ws)
    .where('id', '=', m.id)
    .where('replied_at', 'is', null)
    .execute();
  return true;
}

/** An inbound message from a WeCom customer (or another channel where the caller knows the profile). */
export interface InboundReply {
  workspaceId: string;
  /** The person who wrote (a merged-away id is followed to the survivor). */
  profileId: string;
  channel: 'wecom';
  /** When they wrote (epoch ms). */
  at: number;
  /** What they wrote; cut to 200 characters on the timeline. Non-text messages: a placeholder such as "[image]". */
  excerpt: string;
  /** A stable id of the inbound message (the archive's `msgid`): recording it again changes nothing. Default: a hash of profile, time and text. */
  replyId?: string;
}

/** What became of an inbound reply. */
export interface InboundReplyResult {
  /** The message it answers, or null when none was sent on that channel within the window. */
  messageId: string | null;
  /** False when nothing matched or the reply was recorded before. */
  recorded: boolean;
}

/**
 * Matches an inbound message to the latest message of its channel sent to the profile (or a
 * profile merged into it) within the reply window, and records `Message Replied` on the timeline
 * and `replied_at` on the message. Runs in the caller's transaction (`db` may be one), so the
 * conversation archive import can call it in the transaction that stores its own events.
 * Unmatched inbound messages record nothing here: the archive's `WeCom Message Received` is their record.
 */
export async function recordInboundReply(deps: { db: CallerDb; dialect: Dialect }, input: InboundReply): Promise<InboundReplyResult> {
  const bad = (m: string): never => {
    throw new MessagingError('VALIDATION_FAILED', m);
  };
  if (input.channel !== 'wecom')
    bad(`replies on channel "${String(input.channel)}" are not recorded this way; wecom is (SMS replies come through /hooks/sms/:workspaceId/replies)`);
  if (typeof input.profileId !== 'string' || !input.profileId) bad('profileId is required');
  if (!Number.isFinite(input.at) || input.at <= 0) bad('at must be epoch milliseconds');
  if (typeof input.excerpt !== 'string') bad('excerpt must be a string');
  if (input.replyId !== undefined && (typeof input.replyId !== 'string' || !input.replyId || input.replyId.length > 200))
    bad('replyId must be 1-200 characters');
  const ws = input.workspaceId;
  const live = await resolveProfileId(deps.db, ws, input.profileId);
  if (!live) return { messageId: null, recorded: false };
  const merged = await mergedIdsOf(deps.db, ws, live);
  const settings = await loadSettings({ database: { db: deps.db } }, ws);
  const m = await latestSent(mdb(deps.db), ws, input.channel, { profileIds: [live, ...merged] }, input.at, settings.replies.windowHours * 3_600_000);
  if (!m) return { messageId: null, recorded: false };
  const replyKey = input.replyId ?? createHash('sha256').update(`${live}\n${input.at}\n${input.excerpt}`).digest('base64url').slice(0, 32);
  const recorded = await recordReplyTo(deps.db, deps.dialect, ws, m, live, { at: input.at, excerpt: excerptOf(input.excerpt), replyKey });
  return { messageId: m.id, recorded };
}

/** One inbound SMS (MO, 上行) from the gateway. */
export interface SmsReply {
  /** The gateway's id of the inbound message, when it has one (deduplicates redeliveries). */
  id?: string;
  /** The sender: E.164, or a national number in the workspace's default region. */
  phoneNumber: string;
  text: string;
  /** When the handset sent it (ISO-8601). */
  receivedAt: string;
}

/** The answer to a replies callback. */
export interface SmsRepliesResult {
  /** Matched to a message: `Message Replied` recorded. */
  matched: number;
  /** No message within the window, but a profile has this phone: `SMS Received` recorded on it. */
  unmatched: number;
  /** Nobody with this phone: nothing recorded (logged with the number masked). */
  unknown: number;
  /** Recorded before (a redelivery). */
  duplicates: number;
}

/**
 * Applies inbound SMS from the gateway (`POST /hooks/sms/:workspaceId/replies`, signed like the
 * receipts): body `{ "replies": [ { id?, phoneNumber, text, receivedAt } ] }`, at most 1,000. Each
 * is matched to the latest SMS sent to that phone within the reply window (by the keyed hash on the
 * message row) and recorded as `Message Replied`; otherwise as `SMS Received` on the profile holding
 * the phone, or counted as unknown. All replies of a callback commit together; a redelivery records nothing twice.
 */
export async function applySmsReplies(
  deps: Pick<MessagingDeps, 'database' | 'cipher' | 'now' | 'log' | 'defaultPhoneRegion'>,
  ws: string,
  headers: { timestamp?: string; signature?: string },
  rawBody: string,
): Promise<SmsRepliesResult> {
  const body = (await verifySmsHook(deps, ws, headers, rawBody)) as { replies?: unknown };
  const shape = 'body must be { "replies": [ { "id"?, "phoneNumber", "text", "receivedAt" } ] } with at most 1,000 replies';
  if (typeof body !== 'object' || body === null || !Array.isArray(body.replies) || body.replies.length > MAX_REPLIES)
    throw new MessagingError('VALIDATION_FAILED', shape);
  const region = deps.defaultPhoneRegion ?? 'CN';
  const cipher = await deps.cipher.forWorkspace(ws);
  const now = deps.now();
  // Everything is checked before anything is written: a bad entry refuses the whole callback.
  const replies = (body.replies as unknown[]).map((raw, i) => {
    const r = raw as Partial<SmsReply> | null;
    const bad = (m: string): never => {
      throw new MessagingError('VALIDATION_FAILED', `replies[${i}]: ${m}`);
    };
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return bad('must be an object');
    if (typeof r.phoneNumber !== 'string' || !r.phoneNumber.trim() || r.phoneNumber.length > 32)
      bad('phoneNumber is required (E.164 such as +8613800138000, or a national number)');
    if (typeof r.text !== 'string' || r.text.length > 10_000) bad('text is required (at most 10,000 characters)');
    const at = typeof r.receivedAt === 'string' ? Date.parse(r.receivedAt) : NaN;
    if (!Number.isFinite(at)) bad('receivedAt is required (ISO-8601, e.g. 2026-11-03T12:00:00+08:00)');
    if (r.id !== undefined && (typeof r.id !== 'string' || !r.id || r.id.length > 200)) bad('id must be 1-200 characters');
    const phone = canonicalPhone(r.phoneNumber!, region);
    // A gateway clock ahead of ours must not make a reply precede the message it answers.
    const when = Math.min(at, now);
    const replyKey = r.id ?? createHash('sha256').update(`${phone}\n${at}\n${r.text}`).digest('base64url').slice(0, 32);
    return { phone, key: cipher.lookupKey('phone', phone), at: when, text: r.text!, replyKey };
  });
  const out: SmsRepliesResult = { matched: 0, unmatched: 0, unknown: 0, duplicates: 0 };
  const { dialect } = deps.database;
  await deps.database.db.transaction().execute(async (trx) => {
    const settings = await loadSettings({ database: { ...deps.database, db: trx } }, ws);
    const windowMs = settings.replies.windowHours * 3_600_000;
    for (const r of replies) {
      const excerpt = excerptOf(r.text);
      const m = await latestSent(mdb(trx), ws, 'sms', { addressKey: r.key }, r.at, windowMs);
      const owner = m?.profile_id ? await resolveProfileId(trx, ws, m.profile_id) : undefined;
      if (m && owner) {
        if (await recordReplyTo(trx, dialect, ws, m, owner, { at: r.at, excerpt, replyKey: r.replyKey })) out.matched++;
        else out.duplicates++;
        continue;
      }
      // No message to answer: the person's inbound text still belongs on their timeline. Phones are
      // keyed-hashed by default; a workspace whose rules store them plain keeps the value.
      const holder = await findProfileByIdentifier(trx, ws, 'phone', [r.key, r.phone]);
      const profileId = holder ? await resolveProfileId(trx, ws, holder) : undefined;
      if (!profileId) {
        out.unknown++;
        deps.log.info({ workspaceId: ws, phone: maskPii(r.phone) }, 'messaging: inbound SMS from a phone no profile has');
        continue;
      }
      const stored = await writeTimelineEvent(trx, dialect, {
        workspaceId: ws,
        profileId,
        eventId: `reply:sms:${r.replyKey}`,
        event: 'SMS Received',
        properties: { channel: 'sms', excerpt, matched: false },
        at: r.at,
      });
      if (stored) out.unmatched++;
      else out.duplicates++;
    }
  });
  return out;
}
