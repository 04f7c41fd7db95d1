/** `change_external_chat` events: a customer group created, updated (members joined or left, owner, name, notice) or dismissed. */
import { tombstonedValues } from '../../cdp/index.js';
import { WECOM_EVENTS, WECOM_INVITED_SCENES, WECOM_PROPS as P } from '../../platform/event-names.js';
import type { GroupChat, GroupChatMember } from '../../wecom/index.js';
import { field, listField } from '../callback-message.js';
import * as repo from '../contacts.repo.js';
import type { ScrmEvent } from '../events.js';
import { type Ctx, fromWeCom, type Handler, handlerOf, required, type Run, trackMessage, type Tx } from './context.js';

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

const toNumber = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);

/** One chat event being applied: the group as WeCom lists it now (not for a dismissal) and the timeline messages it makes. */
interface Chat {
  ctx: Ctx;
  chatId: string;
  group: GroupChat | undefined;
  /** `WeCom Group Joined` on the member, and `WeCom Group Member Invited` on a customer who invited them. */
  joined(m: repo.MemberFacts, name: string): Record<string, unknown>[];
  left(m: { memberId: string; unionid: string | null }, name: string, extra: Record<string, unknown>): Record<string, unknown>;
}

/**
 * The customer who invited `m`, when the join scene is an invitation and WeCom names an external
 * member as invitor (WeCom documents `invitor` for invitations by members of the corp; those are
 * not customers and earn no invite).
 */
function customerInvitor(m: repo.MemberFacts, group: GroupChat | undefined): { id: string; unionid: string | null } | undefined {
  if (!m.invitor || m.joinScene == null || !WECOM_INVITED_SCENES.includes(m.joinScene)) return undefined;
  const listed = group?.member_list.find((x) => x.userid === m.invitor);
  if ((listed?.type ?? guessType(m.invitor)) !== 2) return undefined;
  return { id: m.invitor, unionid: listed?.unionid ?? null };
}

function chatOf(ctx: Ctx, chatId: string, group: GroupChat | undefined): Chat {
  return {
    ctx,
    chatId,
    group,
    joined: (m, name) => {
      const out = [
        trackMessage(
          ctx,
          `joined:${m.memberId}`,
          WECOM_EVENTS.groupJoined,
          m.memberId,
          { [P.chatId]: chatId, group_name: name, [P.joinScene]: m.joinScene ?? null, [P.invitor]: m.invitor ?? null },
          m.unionid,
        ),
      ];
      const by = customerInvitor(m, group);
      // One invite per join of the member, however many callbacks list it (a late create or
      // update reads the group as it is now): the id is the join's, the time the join's.
      if (by)
        out.push({
          ...trackMessage(
            ctx,
            'invited',
            WECOM_EVENTS.groupMemberInvited,
            by.id,
            { [P.chatId]: chatId, group_name: name, [P.invitee]: m.memberId, [P.joinScene]: m.joinScene },
            by.unionid,
          ),
          messageId: `wecom-invite:${chatId}:${m.memberId}:${m.joinTime}`,
          timestamp: new Date(m.joinTime).toISOString(),
        });
      return out;
    },
    left: (m, name, extra) =>
      trackMessage(ctx, `left:${m.memberId}`, WECOM_EVENTS.groupLeft, m.memberId, { [P.chatId]: chatId, group_name: name, ...extra }, m.unionid),
  };
}

/** Stores the group (with WeCom's details when read) and every member WeCom lists; returns them by member id. */
async function storeGroup(c: Chat, tx: Tx): Promise<Map<string, repo.MemberFacts>> {
  const { ctx, chatId, group: g } = c;
  const facts = g ? { chatId, name: g.name, owner: g.owner, notice: g.notice ?? null, createdAt: g.create_time * 1000 } : { chatId };
  await repo.upsertGroup(tx.trx, ctx.ws, facts, ctx.at, tx.now);
  const erased = await erasedOf(
    ctx,
    tx,
    (g?.member_list ?? []).map((m) => m.userid),
  );
  const listed = new Map((g?.member_list ?? []).filter((m) => !erased.has(m.userid)).map((m) => [m.userid, memberFacts(m)]));
  for (const m of listed.values()) await repo.upsertMember(tx.trx, ctx.ws, chatId, m, tx.now);
  return listed;
}

/** The members among `ids` who are erased customers (their external userid tombstoned, issue #19): not stored again. */
async function erasedOf(ctx: Ctx, tx: Tx, ids: string[]): Promise<Set<string>> {
  return tombstonedValues(tx.trx, await ctx.deps.ingest.cipher.forWorkspace(ctx.ws, tx.trx), ctx.ws, `external_userid:${ctx.corpId}`, ids);
}

/** Counts the group's live members, then stores the timeline messages. */
async function finish(c: Chat, tx: Tx, messages: Record<string, unknown>[]): Promise<void> {
  await repo.recountMembers(tx.trx, c.ctx.ws, c.chatId);
  // Group members resolve into profiles through the timeline events; they become scrm_contacts
  // only when a member of the corp adds them (not every group member is a customer).
  await tx.ingest(messages);
}

/** Members named by an update (MemChangeList) joined: those WeCom does not list yet are stored from the event. */
async function membersJoined(c: Chat, tx: Tx, listed: Map<string, repo.MemberFacts>, name: string): Promise<Record<string, unknown>[]> {
  const { ctx } = c;
  const messages: Record<string, unknown>[] = [];
  const changed = listField(ctx.msg, 'MemChangeList');
  const erased = await erasedOf(ctx, tx, changed);
  for (const id of changed.filter((x) => !erased.has(x))) {
    const m = listed.get(id) ?? { memberId: id, type: guessType(id), joinTime: ctx.at, joinScene: JOIN_SCENE[field(ctx.msg, 'JoinScene') ?? ''] ?? null };
    if (!listed.has(id)) await repo.upsertMember(tx.trx, ctx.ws, c.chatId, m, tx.now);
    if (m.type === 2) messages.push(...c.joined(m, name));
  }
  return messages;
}

/** Members named by an update (MemChangeList) left, with the event's QuitScene. */
async function membersLeft(c: Chat, tx: Tx, before: Awaited<ReturnType<typeof repo.groupState>>, name: string): Promise<Record<string, unknown>[]> {
  const { ctx } = c;
  const messages: Record<string, unknown>[] = [];
  const known = new Map((before?.members ?? []).map((m) => [m.memberId, m]));
  const quitSceneRaw = field(ctx.msg, 'QuitScene');
  const quitScene = quitSceneRaw !== undefined && /^\d+$/.test(quitSceneRaw) ? Number(quitSceneRaw) : null;
  const changed = listField(ctx.msg, 'MemChangeList');
  const erased = await erasedOf(ctx, tx, changed);
  for (const id of changed.filter((x) => !erased.has(x))) {
    const m = known.get(id) ?? { memberId: id, type: guessType(id), unionid: null };
    await repo.endMember(tx.trx, ctx.ws, c.chatId, m, ctx.at, quitScene, tx.now);
    if (m.type === 2) messages.push(c.left(m, name, { quit_scene: quitScene }));
  }
  return messages;
}

const readGroup = async (ctx: Ctx, chatId: string) => (await fromWeCom(ctx, `groupchat/get ${chatId}`, (c) => c.getGroupChat(chatId)))?.group_chat;

/** create: the group and its members; every external member joined. */
async function chatCreated(ctx: Ctx): Promise<Run> {
  const chatId = required(ctx, 'ChatId');
  const c = chatOf(ctx, chatId, await readGroup(ctx, chatId));
  return async (tx) => {
    const before = await repo.groupState(tx.trx, ctx.ws, chatId);
    const name = c.group?.name ?? before?.name ?? '';
    const listed = await storeGroup(c, tx);
    const messages: Record<string, unknown>[] = [];
    for (const m of listed.values()) if (m.type === 2) messages.push(...c.joined(m, name));
    await finish(c, tx, messages);
    return [{ type: 'group.created', workspaceId: ctx.ws, chatId, at: ctx.at }];
  };
}

/** update: the group as WeCom lists it; for add_member and del_member, the members of MemChangeList joined or left. */
async function chatUpdated(ctx: Ctx): Promise<Run> {
  const chatId = required(ctx, 'ChatId');
  const c = chatOf(ctx, chatId, await readGroup(ctx, chatId));
  const detail = field(ctx.msg, 'UpdateDetail') ?? '';
  return async (tx) => {
    const before = await repo.groupState(tx.trx, ctx.ws, chatId);
    const name = c.group?.name ?? before?.name ?? '';
    const listed = await storeGroup(c, tx);
    const messages = detail === 'add_member' ? await membersJoined(c, tx, listed, name) : detail === 'del_member' ? await membersLeft(c, tx, before, name) : [];
    await finish(c, tx, messages);
    const event: ScrmEvent = {
      type: 'group.updated',
      workspaceId: ctx.ws,
      chatId,
      updateDetail: detail,
      joinScene: toNumber(field(ctx.msg, 'JoinScene')),
      quitScene: toNumber(field(ctx.msg, 'QuitScene')),
      memberIds: listField(ctx.msg, 'MemChangeList'),
      at: ctx.at,
    };
    return [event];
  };
}

/** dismiss: the group and its live memberships end; every external member left. */
async function chatDismissed(ctx: Ctx): Promise<Run> {
  const chatId = required(ctx, 'ChatId');
  const c = chatOf(ctx, chatId, undefined);
  return async (tx) => {
    const before = await repo.groupState(tx.trx, ctx.ws, chatId);
    const name = before?.name ?? '';
    const messages: Record<string, unknown>[] = [];
    for (const m of before?.members ?? []) if (m.type === 2) messages.push(c.left(m, name, { reason: 'dismissed' }));
    await repo.upsertGroup(tx.trx, ctx.ws, { chatId }, ctx.at, tx.now);
    await repo.dismissGroup(tx.trx, ctx.ws, chatId, ctx.at, tx.now);
    await finish(c, tx, messages);
    return [{ type: 'group.dismissed', workspaceId: ctx.ws, chatId, at: ctx.at }];
  };
}

const BY_CHANGE: Readonly<Record<string, Handler>> = { create: chatCreated, update: chatUpdated, dismiss: chatDismissed };

/** A `change_external_chat` event (ChatId required), by its ChangeType; other change types are ignored. */
export const chatEvent: Handler = async (ctx) => {
  required(ctx, 'ChatId');
  return handlerOf(BY_CHANGE, field(ctx.msg, 'ChangeType'))?.(ctx);
};
