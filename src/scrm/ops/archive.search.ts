/**
 * Search of the imported conversation archive (会话存档): the `WeCom Message Sent/Received`
 * events the import put on customer timelines (archive.service.ts), newest first, by text, staff
 * member, customer, direction, message and local days; each with the workspace's sensitive words
 * its text holds, the same case-insensitive match the import's keyword alerts use.
 */
import { searchTrackEvents } from '../../cdp/index.js';
import { WECOM_EVENTS, WECOM_PROPS } from '../../platform/event-names.js';
import { decodeCursor, encodeCursor, type Page } from '../../platform/paging.js';
import { ScrmError } from '../errors.js';
import { iso } from '../shared.js';
import { listSensitiveWords } from './alerts.service.js';
import { type OpsContext, opsDb, zoneOf } from './context.js';
import { dayRange, parseDay } from './time.js';

/** Filters of {@link searchArchive}. */
export interface ArchiveSearch {
  q?: string;
  userid?: string;
  externalUserid?: string;
  msgid?: string;
  direction?: 'sent' | 'received';
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** An archived message as the search shows it. */
export interface ArchiveMessage {
  msgid: string;
  at: string;
  direction: 'sent' | 'received';
  userid: string | null;
  staffName: string | null;
  externalUserid: string;
  customerName: string | null;
  profileId: string;
  roomid: string | null;
  msgtype: string;
  content: string;
  hits: string[];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function localDay(text: string, field: string): number {
  const day = parseDay(text);
  if (day === undefined) throw new ScrmError('VALIDATION_FAILED', `${field} "${text}" is not a date in YYYY-MM-DD form`);
  return day;
}

/** A page of archived messages, newest first. */
export async function searchArchive(ctx: OpsContext, ws: string, s: ArchiveSearch): Promise<Page<ArchiveMessage>> {
  const zone = await zoneOf(ctx, ws);
  const from = s.from === undefined ? undefined : dayRange(localDay(s.from, 'from'), zone)[0];
  const to = s.to === undefined ? undefined : dayRange(localDay(s.to, 'to'), zone)[1];
  const equals: Record<string, string> = { source: 'wecom_archive' };
  if (s.userid) equals.userid = s.userid;
  if (s.externalUserid) equals.externalUserid = s.externalUserid;
  if (s.msgid) equals.msgid = s.msgid;
  const key = s.cursor === undefined ? undefined : decodeCursor(s.cursor, ['n', 's']);
  const rows = await searchTrackEvents(ctx.db, ctx.dialect, ws, {
    events:
      s.direction === 'sent'
        ? [WECOM_EVENTS.messageSent]
        : s.direction === 'received'
          ? [WECOM_EVENTS.messageReceived]
          : [WECOM_EVENTS.messageSent, WECOM_EVENTS.messageReceived],
    equals,
    contains: s.q ? { property: 'content', text: s.q } : undefined,
    from,
    to,
    before: key && { timestamp: Number(key[0]), messageId: String(key[1]) },
    limit: s.limit + 1,
  });
  const page = rows.slice(0, s.limit);
  const props = page.map((r) => (r.payload.properties ?? {}) as Record<string, unknown>);
  const [words, staff, customers] = await Promise.all([
    listSensitiveWords(ctx, ws),
    names(
      ctx,
      ws,
      'scrm_staff',
      props.map((p) => str(p.userid)).filter((x): x is string => x !== null),
    ),
    names(
      ctx,
      ws,
      'scrm_contacts',
      props.map((p) => str(p.externalUserid)).filter((x): x is string => x !== null),
    ),
  ]);
  const data = page.map((r, i): ArchiveMessage => {
    const p = props[i]!;
    const content = typeof p.content === 'string' ? p.content : '';
    const lower = content.toLowerCase();
    const userid = str(p.userid);
    const ext = str(p.externalUserid) ?? '';
    return {
      msgid: str(p.msgid) ?? r.messageId,
      at: iso(r.timestamp)!,
      direction: r.event === WECOM_EVENTS.messageSent ? 'sent' : 'received',
      userid,
      staffName: userid === null ? null : (staff.get(userid) ?? null),
      externalUserid: ext,
      customerName: customers.get(ext) ?? null,
      profileId: r.profileId,
      roomid: str(p[WECOM_PROPS.roomId]),
      msgtype: str(p.msgtype) ?? 'text',
      content,
      hits: words.map((w) => w.word).filter((w) => lower.includes(w)),
    };
  });
  const last = page[page.length - 1];
  return { data, nextCursor: rows.length > s.limit && last ? encodeCursor([last.timestamp, last.messageId]) : null };
}

/** Names of staff members (by userid) or customers (by external_userid). */
async function names(ctx: OpsContext, ws: string, table: 'scrm_staff' | 'scrm_contacts', ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (!unique.length) return new Map();
  const db = opsDb(ctx);
  const rows =
    table === 'scrm_staff'
      ? await db.selectFrom('scrm_staff').select(['userid as id', 'name']).where('workspace_id', '=', ws).where('userid', 'in', unique).execute()
      : await db
          .selectFrom('scrm_contacts')
          .select(['external_userid as id', 'name'])
          .where('workspace_id', '=', ws)
          .where('external_userid', 'in', unique)
          .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
