import { encodeCursor, optInt, optString, pageSize, readCursor, reqString, stringList, type ApiRoute } from '../api.js';
import { fail } from '../errors.js';
import { SALT } from '../ids.js';
import type { GroupMsg, SandboxState } from '../state.js';

const MONTH = 31 * 86_400;

/** tag_filter.group_list: OR inside a group of tags, AND across groups. */
function tagFilter(state: SandboxState, value: unknown): ((relation: number) => boolean) | undefined {
  const groups = (value as { group_list?: unknown } | undefined)?.group_list;
  if (groups === undefined) return undefined;
  if (!Array.isArray(groups)) fail('INVALID_PARAMETER', 'tag_filter.group_list must be a list of { tag_list }');
  const sets = groups.map(
    (g) =>
      new Set(
        stringList((g as { tag_list?: unknown })?.tag_list, 'tag_filter.group_list.tag_list', 1000).map(
          (id) => state.corp.tags.findTag(id)?.index ?? fail('INVALID_TAGID', `no tag ${id}`),
        ),
      ),
  );
  return (relation) => {
    const has = state.corp.relationTags(relation);
    return sets.every((set) => set.size === 0 || has.some((t) => set.has(t)));
  };
}

function findMsg(state: SandboxState, msgid: unknown): GroupMsg {
  const id = reqString(msgid, 'msgid', 'MSGID_MISSING');
  return state.groupMsgs.get(id) ?? fail('INVALID_MSGID', `no mass message ${id}`);
}

function checkContent(body: Record<string, unknown>): { text?: { content: string }; attachments?: unknown[] } {
  const text = body.text as { content?: unknown } | undefined;
  const attachments = body.attachments;
  if (attachments !== undefined && (!Array.isArray(attachments) || attachments.length > 9))
    fail('INVALID_PARAMETER', 'attachments must be a list of at most 9');
  const hasText = typeof text?.content === 'string' && text.content.length > 0;
  if (!hasText && !(Array.isArray(attachments) && attachments.length)) fail('EMPTY_CONTENT', 'text.content and attachments cannot both be empty');
  return {
    text: hasText ? { content: text!.content as string } : undefined,
    attachments: Array.isArray(attachments) && attachments.length ? attachments : undefined,
  };
}

/** Mass messages (企业群发): add_msg_template and the three result calls. */
export const groupMsgRoutes: ApiRoute[] = [
  {
    method: 'POST',
    api: 'externalcontact/add_msg_template',
    handler: (state, { body }) => {
      const { corp } = state;
      const chatType = optString(body.chat_type, 'chat_type') ?? 'single';
      if (chatType !== 'single' && chatType !== 'group') fail('INVALID_PARAMETER', `chat_type is "${chatType}"; single or group is accepted`);
      const content = checkContent(body);
      const sender = body.sender === undefined ? undefined : state.activeStaff(body.sender, 'sender');
      const pairs: Array<[number, number]> = [];
      const failList: string[] = [];
      if (chatType === 'single') {
        const ids = stringList(body.external_userid, 'external_userid', 10_000);
        if (!ids.length && sender === undefined) fail('INVALID_PARAMETER', 'external_userid and sender cannot both be empty');
        const keep = tagFilter(state, body.tag_filter) ?? (() => true);
        if (ids.length) {
          const seen = new Set<number>();
          for (const id of ids) {
            const c = corp.findCustomer(id);
            const rel =
              c === undefined
                ? -1
                : sender !== undefined
                  ? corp.relationBetween(sender, c)
                  : (corp.relationsOfCustomer(c).find((r) => !corp.staff[corp.staffOf(r)].resigned) ?? -1);
            if (rel < 0) failList.push(id);
            else if (!seen.has(c!) && keep(rel)) (seen.add(c!), pairs.push([corp.staffOf(rel), c!]));
          }
        } else {
          for (const rel of corp.relationsOfStaff(sender!)) if (keep(rel)) pairs.push([sender!, corp.customerOf(rel)]);
        }
      } else {
        if (sender === undefined) fail('INVALID_PARAMETER', 'sender is required when chat_type is group');
        const chatIds = stringList(body.chat_id_list, 'chat_id_list', 2000);
        const groups = chatIds.length
          ? chatIds.map((id) => state.groups.find(id)).filter((g) => g !== undefined)
          : state.groups.groups.filter((g) => !g.dismissed);
        for (const g of groups) if (g.owner === sender) pairs.push([sender, g.index]);
      }
      if (!pairs.length) fail('NO_CUSTOMER', 'nobody to send to');
      const senders: GroupMsg['senders'] = [];
      for (const [s] of pairs) if (!senders.some((x) => x.staff === s)) senders.push({ staff: s, status: 0, sendTime: 0 });
      const msg: GroupMsg = {
        msgid: 'msg' + state.newId(SALT.msgid, 29),
        chatType,
        createTime: corp.nowSeconds(),
        ...content,
        senders,
        targetStaff: Uint16Array.from(pairs, (p) => p[0]),
        target: Int32Array.from(pairs, (p) => p[1]),
        targetStatus: new Uint8Array(pairs.length),
        targetTime: new Uint32Array(pairs.length),
      };
      state.groupMsgs.set(msg.msgid, msg);
      return { fail_list: failList, msgid: msg.msgid };
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/get_groupmsg_list_v2',
    handler: (state, { body }) => {
      const chatType = optString(body.chat_type, 'chat_type') ?? 'single';
      if (chatType !== 'single' && chatType !== 'group') fail('INVALID_PARAMETER', `chat_type is "${chatType}"; single or group is accepted`);
      const start = optInt(body.start_time, 'start_time') ?? fail('INVALID_PARAMETER', 'start_time is required');
      const end = optInt(body.end_time, 'end_time') ?? fail('INVALID_PARAMETER', 'end_time is required');
      if (end < start || end - start > MONTH) fail('INVALID_PARAMETER', 'start_time..end_time must be a range of at most one month');
      const filterType = optInt(body.filter_type, 'filter_type') ?? 2;
      const creator = optString(body.creator, 'creator');
      // WeCom: at most 100, default 50; a larger limit is taken as the default.
      const limit = pageSize(body.limit, 'limit', { fallback: 50, max: 100, over: 'default' });
      // Messages created through the API are "corp" messages (create_type 0) without a creator.
      const all = [...state.groupMsgs.values()].filter(
        (m) => m.chatType === chatType && m.createTime >= start && m.createTime <= end && filterType !== 1 && creator === undefined,
      );
      const [from] = readCursor(body.cursor, 'msgs', 1) ?? [0];
      return {
        group_msg_list: all.slice(from, from + limit).map((m) => ({
          msgid: m.msgid,
          create_time: m.createTime,
          create_type: 0,
          ...(m.text ? { text: m.text } : {}),
          ...(m.attachments ? { attachments: m.attachments } : {}),
        })),
        next_cursor: from + limit < all.length ? encodeCursor('msgs', [from + limit]) : '',
      };
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/get_groupmsg_task',
    handler: (state, { body }) => {
      const msg = findMsg(state, body.msgid);
      const limit = pageSize(body.limit, 'limit', { fallback: 500, max: 1000, over: 'default' });
      const [from] = readCursor(body.cursor, 'task', 1) ?? [0];
      return {
        task_list: msg.senders
          .slice(from, from + limit)
          .map((s) => ({ userid: state.corp.staff[s.staff].userid, status: s.status, ...(s.status === 2 ? { send_time: s.sendTime } : {}) })),
        next_cursor: from + limit < msg.senders.length ? encodeCursor('task', [from + limit]) : '',
      };
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/get_groupmsg_send_result',
    handler: (state, { body }) => {
      const msg = findMsg(state, body.msgid);
      const staff =
        state.corp.findStaff(reqString(body.userid, 'userid', 'USERID_MISSING'))?.index ?? fail('INVALID_USERID', `no member ${String(body.userid)}`);
      const limit = pageSize(body.limit, 'limit', { fallback: 500, max: 1000, over: 'default' });
      const mine: number[] = [];
      for (let k = 0; k < msg.target.length; k++) if (msg.targetStaff[k] === staff) mine.push(k);
      const [from] = readCursor(body.cursor, 'sent', 1) ?? [0];
      const userid = state.corp.staff[staff].userid;
      return {
        send_list: mine.slice(from, from + limit).map((k) => ({
          ...(msg.chatType === 'single'
            ? { external_userid: state.corp.externalUserid(msg.target[k]) }
            : { chat_id: state.groups.groups[msg.target[k]].chatId }),
          userid,
          status: msg.targetStatus[k],
          ...(msg.targetStatus[k] === 1 ? { send_time: msg.targetTime[k] } : {}),
        })),
        next_cursor: from + limit < mine.length ? encodeCursor('sent', [from + limit]) : '',
      };
    },
  },
];
