/**
 * Applying WeCom's 客户联系 events to Siyu: the SCRM state (contacts, follow relations, groups,
 * members, corp tags), the customer's One ID profile (identifiers `external_userid:<corpid>` and
 * `unionid`, through the CDP ingest path) and an event on the profile's timeline. Details the event
 * does not carry (name, unionid, remarks, tags, group members) are read from WeCom first, outside
 * the transaction: that is the incremental sync. Everything one event changes is written in one
 * transaction; timeline events have message ids derived from the inbox dedup key, so applying an
 * event twice (a crash before the row was marked done) stores nothing twice.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { applyEvents, type IngestDeps, type IngestWriter, normaliseMessage } from '../cdp/index.js';
import { type Database, withRetries } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import { AppError } from '../platform/errors.js';
import type { WeComClient } from '../wecom/client.js';
import { WeComError } from '../wecom/client.js';
import { parseXml, type XmlObject, type XmlValue } from '../wecom/crypto-xml.js';
import { WeComCryptoError } from '../wecom/crypto.js';
import type { CorpTagGroup, ExternalContact, FollowUser, GroupChat, GroupChatMember } from '../wecom/types.js';
import * as repo from './contacts.repo.js';
import type { ScrmEvent } from './events.js';

/** A decrypted callback message: element names to values, as the XML (or JSON) had them. */
export type CallbackMessage = XmlObject;

/** Parses a decrypted message: WeCom's event XML, or a JSON object with the same element names. */
export function parseCallbackMessage(text: string): CallbackMessage {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{')) return parseXml(text);
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new WeComCryptoError('malformed', 'the decrypted message is neither XML nor JSON');
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new WeComCryptoError('malformed', 'the decrypted JSON message must be an object');
  const toXmlValue = (v: unknown): XmlValue => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return v.map(toXmlValue);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toXmlValue(x)]));
    return '';
  };
  return toXmlValue(obj) as XmlObject;
}

/** The text of a message element, if it is text. */
export function field(msg: CallbackMessage, name: string): string | undefined {
  const v = msg[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** `Event` with `ChangeType` when present, e.g. `change_external_contact.add_external_contact`; `msg.<MsgType>` for plain messages. */
export function messageKind(msg: CallbackMessage): string {
  const event = field(msg, 'Event');
  const change = field(msg, 'ChangeType');
  const kind = event ? (change ? `${event}.${change}` : event) : `msg.${field(msg, 'MsgType') ?? 'unknown'}`;
  return kind.slice(0, 100);
}

/** Canonical text of a message: elements sorted by name at every level, so element order and whitespace do not matter. */
function canonical(v: XmlValue): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(v[k]!)}`)
    .join(',')}}`;
}

/**
 * The inbox dedup key: WeCom redelivers an event it got no answer for as the same message, so
 * the same elements (whatever their order) give the same key. Kind and CreateTime stay readable.
 */
export function dedupKeyOf(msg: CallbackMessage): string {
  const digest = createHash('sha256').update(canonical(msg)).digest('hex');
  return `${messageKind(msg)}:${field(msg, 'CreateTime') ?? '-'}:${digest}`;
}

/** The items of a list element: `<L><Item>a</Item><Item>b</Item></L>`, a JSON array, or one value. */
export function listField(msg: CallbackMessage, name: string): string[] {
  const v = msg[name];
  if (v === undefined || v === '') return [];
  const items = typeof v === 'object' && !Array.isArray(v) ? v.Item : v;
  const arr = Array.isArray(items) ? items : items === undefined ? [] : [items];
  return arr.filter((x): x is string => typeof x === 'string' && x !== '');
}

/** What applying an inbox message needs. */
export interface HandlerDeps {
  database: Database;
  writer: IngestWriter;
  ingest: IngestDeps;
  clientFor: (workspaceId: string) => Promise<WeComClient>;
  now: () => number;
  log: Logger;
  defaultRegion: string;
}

/** An inbox row to apply. */
export interface InboxItem {
  workspaceId: string;
  id: string;
  dedupKey: string;
  kind: string;
  payload: string;
  receivedAt: number;
}

/** An event that can never be applied (a required element is missing); retrying will not help. */
export class UnusableEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnusableEventError';
  }
}

/** What a handler may do inside the transaction. */
interface Tx {
  trx: Kysely<DB>;
  now: number;
  /** Stores Segment-shaped messages (timeline events, identify) through the CDP ingest path. */
  ingest(messages: Record<string, unknown>[]): Promise<void>;
  /** The live One ID profile holding `external_userid:<corpid>` = id (after ingest created it). */
  profileOf(externalUserid: string): Promise<string>;
}

/** One event being applied. */
interface Ctx {
  deps: HandlerDeps;
  ws: string;
  corpId: string;
  msg: CallbackMessage;
  /** The event's CreateTime, ms. */
  at: number;
  /** Prefix of the event's deterministic timeline message ids. */
  idBase: string;
}

type Run = (tx: Tx) => Promise<ScrmEvent[]>;

const TRANSIENT_ERRCODES = new Set([-1, 45009, 45011, 45033]);

/**
 * Reads details from WeCom; undefined when WeCom answers that it cannot (no relation any more,
 * no connection): the event is then applied with what it carries. Network failures, rate limits
 * and "busy" are thrown, so the inbox retries the row later.
 */
async function fromWeCom<T>(ctx: Ctx, what: string, call: (client: WeComClient) => Promise<T>): Promise<T | undefined> {
  try {
    return await call(await ctx.deps.clientFor(ctx.ws));
  } catch (err) {
    const permanent = (err instanceof WeComError && !TRANSIENT_ERRCODES.has(err.errcode)) || err instanceof AppError;
    if (!permanent) throw err;
    ctx.deps.log.info({ workspaceId: ctx.ws, what, error: (err as Error).message }, 'WeCom details unavailable; applying the event with what it carries');
    return undefined;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Identifiers of a customer: the corp-scoped external userid, and the unionid when known. */
function externalIds(ctx: Ctx, externalUserid: string, unionid?: string | null) {
  const ids = [{ id: externalUserid, type: `external_userid:${ctx.corpId}`, collection: 'users', encoding: 'none' }];
  if (unionid) ids.push({ id: unionid, type: 'unionid', collection: 'users', encoding: 'none' });
  return ids;
}

const LIBRARY = { name: 'siyu-wecom-callback', version: '1' };

function identifyMessage(ctx: Ctx, c: ExternalContact) {
  const traits: Record<string, unknown> = { wecom_name: c.name, wecom_type: c.type === 2 ? 'wecom' : 'wechat' };
  if (c.avatar) traits.avatar = c.avatar;
  if (c.gender === 1 || c.gender === 2) traits.gender = c.gender === 1 ? 'male' : 'female';
  if (c.unionid) traits.unionid = c.unionid;
  if (c.corp_name) traits.wecom_corp_name = c.corp_name;
  return {
    type: 'identify',
    messageId: `${ctx.idBase}:identify:${c.external_userid}`,
    timestamp: iso(ctx.at),
    traits,
    context: { library: LIBRARY, externalIds: externalIds(ctx, c.external_userid, c.unionid) },
  };
}

function trackMessage(ctx: Ctx, suffix: string, event: string, externalUserid: string, properties: Record<string, unknown>, unionid?: string | null) {
  return {
    type: 'track',
    event,
    messageId: `${ctx.idBase}:${suffix}`,
    timestamp: iso(ctx.at),
    properties,
    context: { library: LIBRARY, externalIds: externalIds(ctx, externalUserid, unionid) },
  };
}

function required(ctx: Ctx, name: string): string {
  const v = field(ctx.msg, name);
  if (!v) throw new UnusableEventError(`${messageKind(ctx.msg)} has no ${name}`);
  return v;
}

// ── change_external_contact ──────────────────────────────────────────────────────────────

const contactFacts = (c: ExternalContact): repo.ContactFacts => ({
  externalUserid: c.external_userid,
  name: c.name ?? '',
  type: c.type,
  unionid: c.unionid ?? null,
  avatar: c.avatar ?? null,
  gender: c.gender ?? null,
  corpName: c.corp_name ?? null,
});

const corpTagIds = (f: FollowUser) => (f.tags ?? []).filter((t) => t.type === 1 && t.tag_id).map((t) => t.tag_id!);

const followFacts = (externalUserid: string, f: FollowUser): repo.FollowFacts => ({
  externalUserid,
  userid: f.userid,
  addedAt: f.createtime * 1000,
  remark: f.remark ?? null,
  description: f.description ?? null,
  addWay: f.add_way ?? null,
  state: f.state || null,
  tagIds: corpTagIds(f),
});

async function contactEvent(ctx: Ctx): Promise<Run | undefined> {
  const change = field(ctx.msg, 'ChangeType');
  const ws = ctx.ws;
  const at = ctx.at;
  if (change === 'add_external_contact' || change === 'add_half_external_contact' || change === 'edit_external_contact') {
    const ext = required(ctx, 'ExternalUserID');
    const userid = required(ctx, 'UserID');
    const detail = await fromWeCom(ctx, `externalcontact/get ${ext}`, (c) => c.getExternalContactWithAllFollowers(ext));
    const contact = detail?.external_contact;
    const mine = detail?.follow_user.find((f) => f.userid === userid);
    const state = field(ctx.msg, 'State') ?? (mine?.state || undefined);
    return async (tx) => {
      const before = change === 'edit_external_contact' ? await repo.followTagIds(tx.trx, ws, ext, userid) : undefined;
      const messages: Record<string, unknown>[] = contact ? [identifyMessage(ctx, contact)] : [];
      if (change === 'edit_external_contact') {
        const after = mine ? corpTagIds(mine) : undefined;
        const props: Record<string, unknown> = { userid, external_userid: ext };
        if (mine) Object.assign(props, { remark: mine.remark ?? '', description: mine.description ?? '', tags: after });
        if (before && after)
          Object.assign(props, { tags_added: after.filter((t) => !before.includes(t)), tags_removed: before.filter((t) => !after.includes(t)) });
        messages.push(trackMessage(ctx, 'edited', 'WeCom Contact Edited', ext, props, contact?.unionid));
      } else {
        const half = change === 'add_half_external_contact';
        messages.push(
          trackMessage(
            ctx,
            'added',
            'WeCom Contact Added',
            ext,
            { userid, external_userid: ext, state: state ?? null, add_way: mine?.add_way ?? null, half },
            contact?.unionid,
          ),
        );
      }
      await tx.ingest(messages);
      const profileId = await tx.profileOf(ext);
      await repo.upsertContact(tx.trx, ws, contact ? contactFacts(contact) : { externalUserid: ext }, profileId, tx.now);
      for (const f of detail?.follow_user ?? []) await repo.upsertFollow(tx.trx, ws, followFacts(ext, f), tx.now);
      // WeCom no longer lists the relation (deleted since, or a half add not yet accepted): the event itself says it exists.
      if (!mine && change !== 'edit_external_contact')
        await repo.upsertFollow(tx.trx, ws, { externalUserid: ext, userid, addedAt: at, state: state ?? null }, tx.now);
      if (change === 'edit_external_contact') return [{ type: 'contact.edited', workspaceId: ws, userid, externalUserid: ext, profileId, at }];
      return [
        {
          type: 'contact.added',
          workspaceId: ws,
          userid,
          externalUserid: ext,
          profileId,
          at,
          ...(state ? { state } : {}),
          ...(field(ctx.msg, 'WelcomeCode') ? { welcomeCode: field(ctx.msg, 'WelcomeCode') } : {}),
          ...(contact?.name ? { contactName: contact.name } : {}),
          ...(change === 'add_half_external_contact' ? { half: true } : {}),
        },
      ];
    };
  }
  if (change === 'del_external_contact' || change === 'del_follow_user') {
    const ext = required(ctx, 'ExternalUserID');
    const userid = required(ctx, 'UserID');
    // del_follow_user: the customer deleted the member; del_external_contact: the member deleted the customer.
    const by = change === 'del_follow_user' ? 'customer' : 'staff';
    return async (tx) => {
      await tx.ingest([trackMessage(ctx, 'deleted', 'WeCom Contact Deleted', ext, { userid, external_userid: ext, by })]);
      const profileId = await tx.profileOf(ext);
      await repo.upsertContact(tx.trx, ws, { externalUserid: ext }, profileId, tx.now);
      await repo.endFollow(tx.trx, ws, ext, userid, at, by, tx.now);
      return [
        { type: by === 'customer' ? 'contact.deleted_by_customer' : 'contact.deleted_by_staff', workspaceId: ws, userid, externalUserid: ext, profileId, at },
      ];
    };
  }
  if (change === 'transfer_fail') {
    const ext = required(ctx, 'ExternalUserID');
    const userid = required(ctx, 'UserID');
    const failReason = field(ctx.msg, 'FailReason') ?? 'unknown';
    return async (tx) => {
      await tx.ingest([trackMessage(ctx, 'transfer-failed', 'WeCom Transfer Failed', ext, { userid, external_userid: ext, fail_reason: failReason })]);
      const profileId = await tx.profileOf(ext);
      await repo.upsertContact(tx.trx, ws, { externalUserid: ext }, profileId, tx.now);
      return [{ type: 'transfer.failed', workspaceId: ws, userid, externalUserid: ext, failReason, at }];
    };
  }
  return undefined;
}

// ── change_external_chat ─────────────────────────────────────────────────────────────────

/** Event JoinScene (0 direct invitation, 1 link, 3 group QR code) as groupchat/get's join_scene (1, 2, 3). */
const JOIN_SCENE: Record<string, number> = { '0': 1, '1': 2, '3': 3 };

/** Without WeCom's member list: external userids start with `wm` or `wo`; anything else is taken for a member of the corp. */
const guessType = (id: string) => (/^w[mo]/.test(id) ? 2 : 1);

const memberFacts = (m: GroupChatMember): repo.MemberFacts => ({
  memberId: m.userid,
  type: m.type,
  unionid: m.unionid ?? null,
  joinTime: m.join_time * 1000,
  joinScene: m.join_scene ?? null,
  invitor: m.invitor?.userid ?? null,
});

async function chatEvent(ctx: Ctx): Promise<Run | undefined> {
  const change = field(ctx.msg, 'ChangeType');
  const ws = ctx.ws;
  const at = ctx.at;
  const chatId = required(ctx, 'ChatId');
  if (change !== 'create' && change !== 'update' && change !== 'dismiss') return undefined;
  const group = change === 'dismiss' ? undefined : (await fromWeCom(ctx, `groupchat/get ${chatId}`, (c) => c.getGroupChat(chatId)))?.group_chat;
  const detail = field(ctx.msg, 'UpdateDetail') ?? '';
  const changed = listField(ctx.msg, 'MemChangeList');
  const joinSceneRaw = field(ctx.msg, 'JoinScene');
  const quitSceneRaw = field(ctx.msg, 'QuitScene');

  const joined = (m: repo.MemberFacts, name: string) =>
    trackMessage(
      ctx,
      `joined:${m.memberId}`,
      'WeCom Group Joined',
      m.memberId,
      { chat_id: chatId, group_name: name, join_scene: m.joinScene ?? null, invitor: m.invitor ?? null },
      m.unionid,
    );
  const left = (m: { memberId: string; unionid: string | null }, name: string, extra: Record<string, unknown>) =>
    trackMessage(ctx, `left:${m.memberId}`, 'WeCom Group Left', m.memberId, { chat_id: chatId, group_name: name, ...extra }, m.unionid);

  return async (tx) => {
    const before = await repo.groupState(tx.trx, ws, chatId);
    const name = group?.name ?? before?.name ?? '';
    const messages: Record<string, unknown>[] = [];
    let events: ScrmEvent[];
    if (change === 'dismiss') {
      for (const m of before?.members ?? []) if (m.type === 2) messages.push(left(m, name, { reason: 'dismissed' }));
      await repo.upsertGroup(tx.trx, ws, { chatId }, at, tx.now);
      await repo.dismissGroup(tx.trx, ws, chatId, at, tx.now);
      events = [{ type: 'group.dismissed', workspaceId: ws, chatId, at }];
    } else {
      await repo.upsertGroup(
        tx.trx,
        ws,
        group ? { chatId, name: group.name, owner: group.owner, notice: group.notice ?? null, createdAt: group.create_time * 1000 } : { chatId },
        at,
        tx.now,
      );
      const listed = new Map((group?.member_list ?? []).map((m) => [m.userid, memberFacts(m)]));
      for (const m of listed.values()) await repo.upsertMember(tx.trx, ws, chatId, m, tx.now);
      if (change === 'create') {
        for (const m of listed.values()) if (m.type === 2) messages.push(joined(m, name));
      } else if (detail === 'add_member') {
        for (const id of changed) {
          const m = listed.get(id) ?? { memberId: id, type: guessType(id), joinTime: at, joinScene: JOIN_SCENE[joinSceneRaw ?? ''] ?? null };
          if (!listed.has(id)) await repo.upsertMember(tx.trx, ws, chatId, m, tx.now);
          if (m.type === 2) messages.push(joined(m, name));
        }
      } else if (detail === 'del_member') {
        const known = new Map((before?.members ?? []).map((m) => [m.memberId, m]));
        const quitScene = quitSceneRaw !== undefined && /^\d+$/.test(quitSceneRaw) ? Number(quitSceneRaw) : null;
        for (const id of changed) {
          const m = known.get(id) ?? { memberId: id, type: guessType(id), unionid: null };
          await repo.endMember(tx.trx, ws, chatId, m, at, quitScene, tx.now);
          if (m.type === 2) messages.push(left(m, name, { quit_scene: quitScene }));
        }
      }
      const toNumber = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
      events =
        change === 'create'
          ? [{ type: 'group.created', workspaceId: ws, chatId, at }]
          : [
              {
                type: 'group.updated',
                workspaceId: ws,
                chatId,
                updateDetail: detail,
                joinScene: toNumber(joinSceneRaw),
                quitScene: toNumber(quitSceneRaw),
                memberIds: changed,
                at,
              },
            ];
    }
    await repo.recountMembers(tx.trx, ws, chatId);
    // Group members resolve into profiles through the timeline events; they become scrm_contacts
    // only when a member of the corp adds them (not every group member is a customer).
    await tx.ingest(messages);
    return events;
  };
}

// ── change_external_tag ──────────────────────────────────────────────────────────────────

const tagFacts = (groups: CorpTagGroup[]): repo.TagFacts[] =>
  groups.flatMap((g) =>
    g.deleted ? [] : g.tag.filter((t) => !t.deleted).map((t) => ({ tagId: t.id, groupId: g.group_id, groupName: g.group_name, name: t.name, order: t.order })),
  );

async function tagEvent(ctx: Ctx): Promise<Run | undefined> {
  const change = field(ctx.msg, 'ChangeType');
  if (change !== 'create' && change !== 'update' && change !== 'delete' && change !== 'shuffle') return undefined;
  const tagType = field(ctx.msg, 'TagType') === 'tag_group' ? 'tag_group' : 'tag';
  const id = field(ctx.msg, 'Id') ?? '';
  if (!id && change !== 'shuffle') throw new UnusableEventError(`change_external_tag.${change} has no Id`);
  const ws = ctx.ws;
  let tags: repo.TagFacts[] | undefined;
  if (change !== 'delete') {
    const filter = change === 'shuffle' || !id ? {} : tagType === 'tag_group' ? { group_id: [id] } : { tag_id: [id] };
    const list = await fromWeCom(ctx, 'get_corp_tag_list', (c) => c.getCorpTagList(filter));
    tags = list ? tagFacts(list.tag_group) : undefined;
  }
  return async (tx) => {
    if (change === 'delete') await repo.deleteCorpTags(tx.trx, ws, tagType === 'tag_group' ? { groupId: id } : { tagId: id }, ctx.at, tx.now);
    else if (tags) await repo.upsertCorpTags(tx.trx, ws, tags, tx.now);
    return [{ type: 'tag.changed', workspaceId: ws, changeType: change, tagType, id, at: ctx.at }];
  };
}

// ── dispatch ─────────────────────────────────────────────────────────────────────────────

const HANDLERS: Record<string, (ctx: Ctx) => Promise<Run | undefined>> = {
  change_external_contact: contactEvent,
  change_external_chat: chatEvent,
  change_external_tag: tagEvent,
};

/** The live profile holding an identifier, following merge redirects. */
async function liveProfileOf(trx: Kysely<DB>, ws: string, type: string, value: string): Promise<string> {
  const hit = await trx
    .selectFrom('identities')
    .select('profile_id')
    .where('workspace_id', '=', ws)
    .where('id_type', '=', type)
    .where('id_key', '=', value)
    .executeTakeFirst();
  if (!hit) throw new Error(`no profile holds ${type} ${value} after ingest`);
  let id = hit.profile_id;
  for (let i = 0; i < 32; i++) {
    const p = await trx.selectFrom('profiles').select('merged_into').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!p?.merged_into) return id;
    id = p.merged_into;
  }
  throw new Error(`profile redirect chain from ${hit.profile_id} is longer than 32`);
}

/**
 * Applies one inbox message: reads what it needs from WeCom, then writes SCRM state and timeline
 * in one transaction (through the ingest writer, so the segment change feed waits for it). Returns
 * the SCRM events to publish; kinds without a handler return none.
 */
export async function applyInboxMessage(deps: HandlerDeps, item: InboxItem): Promise<ScrmEvent[]> {
  let msg: CallbackMessage;
  try {
    msg = parseCallbackMessage(item.payload);
  } catch (err) {
    if (err instanceof WeComCryptoError) throw new UnusableEventError(`the stored message does not parse: ${err.message}`);
    throw err;
  }
  const handler = HANDLERS[field(msg, 'Event') ?? ''];
  if (!handler) return [];
  const corpId = field(msg, 'ToUserName');
  if (!corpId) throw new UnusableEventError(`${item.kind} has no ToUserName (the corp id)`);
  const created = field(msg, 'CreateTime');
  const at = created && /^\d{1,12}$/.test(created) ? Number(created) * 1000 : item.receivedAt;
  const ctx: Ctx = { deps, ws: item.workspaceId, corpId, msg, at, idBase: `wecom:${createHash('sha256').update(item.dedupKey).digest('hex').slice(0, 32)}` };
  const run = await handler(ctx);
  if (!run) return [];
  const settings = await deps.writer.settingsFor(item.workspaceId);
  const idType = `external_userid:${corpId}`;
  return withRetries(deps.database, () =>
    deps.writer.exclusive(async (trx) => {
      const now = deps.now();
      const tx: Tx = {
        trx,
        now,
        async ingest(messages) {
          if (!messages.length) return;
          const normalised = messages.map((m, i) =>
            normaliseMessage(
              m,
              `${item.kind}[${i}]`,
              { receivedAt: now, rules: settings.rules, defaultRegion: deps.defaultRegion, currency: settings.currency },
              { traitIdentifiersSuffice: true },
            ),
          );
          await applyEvents(trx, deps.ingest, item.workspaceId, settings, normalised);
        },
        profileOf: (ext) => liveProfileOf(trx, item.workspaceId, idType, ext),
      };
      return run(tx);
    }),
  );
}
