/** WeCom API shapes: Customer groups (客户群) and their join ways (加入群聊). Field names are WeCom's own (see ../types.ts). */
import type { WeComOk, Cursored } from './common.js';

// ── Customer groups (客户群) ────────────────────────────────────────────────────────────────

/** `POST /cgi-bin/externalcontact/groupchat/list`. */
export interface GroupChatListRequest {
  /** 0 all, 1 owner left (离职待继承), 2 being inherited, 3 inherited. */
  status_filter?: 0 | 1 | 2 | 3;
  owner_filter?: { userid_list: string[] };
  cursor?: string;
  /** 1–1,000; required by WeCom. */
  limit: number;
}
export interface GroupChatListResponse extends WeComOk, Cursored {
  group_chat_list: Array<{ chat_id: string; status: 0 | 1 | 2 | 3 }>;
}

/** `POST /cgi-bin/externalcontact/groupchat/get`. */
export interface GroupChatGetRequest {
  chat_id: string;
  /** 1 to have `name` of each member filled in. */
  need_name?: 0 | 1;
}
export interface GroupChatMember {
  userid: string;
  /** 1 member of the corp, 2 external contact. */
  type: 1 | 2;
  unionid?: string;
  join_time: number;
  /** 1 invited directly, 2 invited by link, 3 scanned the group QR code. */
  join_scene: 1 | 2 | 3;
  invitor?: { userid: string };
  group_nickname?: string;
  name?: string;
}
export interface GroupChat {
  chat_id: string;
  name: string;
  owner: string;
  create_time: number;
  notice?: string;
  member_list: GroupChatMember[];
  admin_list?: Array<{ userid: string }>;
  member_version?: string;
}
export interface GroupChatGetResponse extends WeComOk {
  group_chat: GroupChat;
}

// ── Group join ways (客户群「加入群聊」) ─────────────────────────────────────────────────────

/** `POST /cgi-bin/externalcontact/groupchat/add_join_way`: a QR code or mini-program button that joins customer groups. */
export interface AddJoinWayRequest {
  /** 1 the group's mini-program plugin, 2 the group's QR code. */
  scene: 1 | 2;
  /** Truncated by WeCom past 30 characters. */
  remark?: string;
  /** 1 (WeCom's default): create a new group when the listed ones are full. */
  auto_create_room?: 0 | 1;
  /** Name prefix of groups WeCom creates (≤ 40 characters); only with auto_create_room 1. */
  room_base_name?: string;
  /** First sequence number of groups WeCom creates; only with auto_create_room 1. */
  room_base_id?: number;
  /** The groups joined through it, at most 5, filled in order. */
  chat_id_list: string[];
  /** Up to 30 characters; comes back on the member's join (groupchat/get `state`). */
  state?: string;
}
export interface AddJoinWayResponse extends WeComOk {
  config_id: string;
}

/** A join way as `get_join_way` returns it (`qr_code` for scene 2 only). */
export interface JoinWay {
  config_id: string;
  scene: 1 | 2;
  remark?: string;
  auto_create_room?: 0 | 1;
  room_base_name?: string;
  room_base_id?: number;
  chat_id_list: string[];
  qr_code?: string;
  state?: string;
}
export interface GetJoinWayResponse extends WeComOk {
  join_way: JoinWay;
}

/** `POST /cgi-bin/externalcontact/groupchat/update_join_way`: `scene` and `chat_id_list` are required again. */
export interface UpdateJoinWayRequest extends AddJoinWayRequest {
  config_id: string;
}
