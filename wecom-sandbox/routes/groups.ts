import { encodeCursor, optInt, pageSize, readCursor, reqString, stringList, type ApiRoute } from '../api.js';
import { fail } from '../errors.js';

/** Customer groups: groupchat/list, groupchat/get. */
export const groupRoutes: ApiRoute[] = [
  {
    method: 'POST',
    api: 'externalcontact/groupchat/list',
    handler: (state, { body }) => {
      const status = optInt(body.status_filter, 'status_filter') ?? 0;
      if (status < 0 || status > 3) fail('INVALID_PARAMETER', `status_filter is ${status}; 0..3 is accepted`);
      // WeCom: limit is required, 1..1000.
      if (body.limit === undefined) fail('INVALID_PARAMETER', 'limit is required (1..1000)');
      const limit = pageSize(body.limit, 'limit', { fallback: 1000, max: 1000, over: 'error' });
      const ownerFilter = body.owner_filter as { userid_list?: unknown } | undefined;
      const owners = stringList(ownerFilter?.userid_list, 'owner_filter.userid_list', 100);
      const ownerSet = owners.length ? new Set(owners.map((u) => state.corp.findStaff(u)?.index ?? -1)) : undefined;
      const [from] = readCursor(body.cursor, 'chats', 1) ?? [0];
      const list: Array<{ chat_id: string; status: number }> = [];
      let i = from;
      for (; i < state.groups.groups.length; i++) {
        const g = state.groups.groups[i];
        if (g.dismissed || (status !== 0 && g.status !== status) || (ownerSet && !ownerSet.has(g.owner))) continue;
        if (list.length === limit) break;
        list.push({ chat_id: g.chatId, status: g.status });
      }
      return { group_chat_list: list, next_cursor: i < state.groups.groups.length ? encodeCursor('chats', [i]) : '' };
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/groupchat/get',
    handler: (state, { body }) => {
      const group = state.groups.get(reqString(body.chat_id, 'chat_id'));
      return { group_chat: state.groups.toJson(group, optInt(body.need_name, 'need_name') === 1) };
    },
  },
];
