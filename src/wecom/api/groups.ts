import type { WeComRequester } from '../request.js';
import type * as W from '../types.js';

/** Customer groups (客户群) and their join ways (加入群聊). */
export function groupApi(r: WeComRequester) {
  return {
    /** `externalcontact/groupchat/list`: one page of customer groups. */
    listGroupChats: (req: W.GroupChatListRequest) => r.read<W.GroupChatListResponse>('externalcontact/groupchat/list', req),
    /** Every customer group matching the filter, walking `groupchat/list` (`limit` ≤ 1,000 a page). */
    async *iterateGroupChats(filter: Omit<W.GroupChatListRequest, 'cursor' | 'limit'> = {}, opts: { limit?: number } = {}) {
      const pageLimit = Math.min(1000, Math.max(1, opts.limit ?? 1000));
      for await (const page of r.pages((cursor) =>
        r.read<W.GroupChatListResponse>('externalcontact/groupchat/list', { ...filter, cursor, limit: pageLimit }),
      )) {
        yield* page.group_chat_list;
      }
    },
    /** `externalcontact/groupchat/get`: a group with its members. */
    getGroupChat: (chatId: string, needName: 0 | 1 = 0) =>
      r.read<W.GroupChatGetResponse>('externalcontact/groupchat/get', { chat_id: chatId, need_name: needName }),

    /** `externalcontact/groupchat/add_join_way`: a "join group" QR code or button over ≤ 5 groups. */
    addJoinWay: (req: W.AddJoinWayRequest) => r.write<W.AddJoinWayResponse>('externalcontact/groupchat/add_join_way', req),
    /** `externalcontact/groupchat/get_join_way`: the join way with its QR code. */
    getJoinWay: (configId: string) => r.read<W.GetJoinWayResponse>('externalcontact/groupchat/get_join_way', { config_id: configId }),
    /** `externalcontact/groupchat/update_join_way`: replaces the configuration (scene and chat_id_list required). */
    updateJoinWay: (req: W.UpdateJoinWayRequest) => r.write<W.WeComOk>('externalcontact/groupchat/update_join_way', req, true),
    /** `externalcontact/groupchat/del_join_way`. */
    delJoinWay: (configId: string) => r.write<W.WeComOk>('externalcontact/groupchat/del_join_way', { config_id: configId }),
  };
}
