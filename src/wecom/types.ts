/**
 * Request and response shapes of the WeCom (企业微信) server API calls that `client.ts` makes.
 * Field names are WeCom's own (snake_case, as on developer.work.weixin.qq.com), so a body can be
 * checked against the published page line by line. Only fields a page documents are listed;
 * optional ones are those WeCom leaves out in some cases.
 */

/** Every WeCom answer carries these; `errcode` 0 is success (the client throws on any other). */
export interface WeComOk {
  errcode: number;
  errmsg: string;
}

/** An answer that pages with an opaque cursor; empty or absent when there are no more pages. */
export interface Cursored {
  next_cursor?: string;
}

// ── Tokens ───────────────────────────────────────────────────────────────────────────────

/** `GET /cgi-bin/gettoken?corpid=&corpsecret=`. */
export interface GetTokenResponse extends WeComOk {
  access_token: string;
  /** Seconds; 7200 in WeCom's answers. */
  expires_in: number;
}

// ── Staff (成员) ─────────────────────────────────────────────────────────────────────────

/** `POST /cgi-bin/user/list_id`: userids and departments of every member, paged. */
export interface ListUserIdsRequest {
  cursor?: string;
  /** 1–10,000; WeCom's default is 10,000. */
  limit?: number;
}
export interface ListUserIdsResponse extends WeComOk, Cursored {
  dept_user: Array<{ userid: string; open_userid?: string; department: number }>;
}

/** `GET /cgi-bin/user/simplelist?department_id=`: members of one department. */
export interface SimpleUser {
  userid: string;
  name: string;
  department: number[];
  open_userid?: string;
}
export interface SimpleListResponse extends WeComOk {
  userlist: SimpleUser[];
}

/** `GET /cgi-bin/user/list?department_id=`: members of one department with their details. */
export interface UserDetail extends SimpleUser {
  order?: number[];
  position?: string;
  mobile?: string;
  /** '0' unknown, '1' male, '2' female (a string in WeCom's answers). */
  gender?: string;
  email?: string;
  biz_mail?: string;
  /** 1 active, 2 disabled, 4 not activated, 5 left the company. */
  status?: number;
  main_department?: number;
  is_leader_in_dept?: number[];
  telephone?: string;
  alias?: string;
  avatar?: string;
}
export interface UserListResponse extends WeComOk {
  userlist: UserDetail[];
}

/** `GET /cgi-bin/externalcontact/get_follow_user_list`: members with 客户联系 enabled. */
export interface FollowUserListResponse extends WeComOk {
  follow_user: string[];
}

// ── External contacts (客户) ─────────────────────────────────────────────────────────────

/** An entry of `external_profile.external_attr` (text, web page or mini program). */
export type ExternalAttr =
  | { type: 0; name: string; text: { value: string } }
  | { type: 1; name: string; web: { url: string; title: string } }
  | { type: 2; name: string; miniprogram: { appid: string; pagepath: string; title: string } };

/** A customer as WeCom describes them (`external_contact`). */
export interface ExternalContact {
  external_userid: string;
  name: string;
  avatar?: string;
  /** 1 a WeChat user, 2 a WeCom user. */
  type: 1 | 2;
  /** 0 unknown, 1 male, 2 female. */
  gender: 0 | 1 | 2;
  /** Only when the corp has bound a WeChat developer account. */
  unionid?: string;
  position?: string;
  corp_name?: string;
  corp_full_name?: string;
  external_profile?: { external_attr?: ExternalAttr[] };
}

/** A customer tag as `externalcontact/get` shows it on a follow user. */
export interface FollowUserTag {
  group_name?: string;
  tag_name?: string;
  tag_id?: string;
  /** 1 corp tag, 2 personal tag, 3 rule-group tag. */
  type: 1 | 2 | 3;
}

/** Fields common to a member's relationship with a customer. */
interface FollowBase {
  userid: string;
  remark?: string;
  description?: string;
  /** Seconds since the epoch when the member added the customer. */
  createtime: number;
  remark_corp_name?: string;
  remark_mobiles?: string[];
  /** Who added whom: the member when the customer was added actively, else the customer. */
  oper_userid?: string;
  /** 0 unknown, 1 scanned the member's QR code, 2 phone search, 3 shared business card, … 202 assigned by admin. */
  add_way?: number;
  /** The `state` of the contact way the customer came through. */
  state?: string;
  wechat_channels?: { nickname: string; source?: number };
}

/** A member following a customer, in `externalcontact/get` (tags in full). */
export interface FollowUser extends FollowBase {
  tags?: FollowUserTag[];
}

/** A member following a customer, in `externalcontact/batch/get_by_user` (tag ids only). */
export interface FollowInfo extends FollowBase {
  tag_id?: string[];
}

/** `GET /cgi-bin/externalcontact/list?userid=`: the customers of one member. */
export interface ListExternalContactsResponse extends WeComOk {
  external_userid: string[];
}

/** `GET /cgi-bin/externalcontact/get?external_userid=&cursor=`. */
export interface GetExternalContactResponse extends WeComOk, Cursored {
  external_contact: ExternalContact;
  /** At most 500 per page; more through `next_cursor`. */
  follow_user: FollowUser[];
}

/** `POST /cgi-bin/externalcontact/batch/get_by_user`. */
export interface BatchGetByUserRequest {
  /** At most 100 userids. */
  userid_list: string[];
  cursor?: string;
  /** At most 100; WeCom's default is 50. */
  limit?: number;
}
/** One (customer, member) pair: a customer followed by two listed members appears twice. */
export interface BatchExternalContact {
  external_contact: ExternalContact;
  follow_info: FollowInfo;
}
export interface BatchGetByUserResponse extends WeComOk, Cursored {
  external_contact_list: BatchExternalContact[];
  /** Members without an interconnection licence, whose customers could not be read. */
  fail_info?: { unlicensed_userid_list?: string[] };
}

// ── Corp tags (企业客户标签) ──────────────────────────────────────────────────────────────

export interface CorpTag {
  id: string;
  name: string;
  create_time: number;
  order: number;
  deleted?: boolean;
}
export interface CorpTagGroup {
  group_id: string;
  group_name: string;
  create_time: number;
  order: number;
  deleted?: boolean;
  tag: CorpTag[];
}

/** `POST /cgi-bin/externalcontact/get_corp_tag_list`: all tags, or those named (tag ids win over group ids). */
export interface GetCorpTagListRequest {
  tag_id?: string[];
  group_id?: string[];
}
export interface GetCorpTagListResponse extends WeComOk {
  tag_group: CorpTagGroup[];
}

/** `POST /cgi-bin/externalcontact/add_corp_tag`: tags into an existing group (`group_id`) or a new one (`group_name`). */
export interface AddCorpTagRequest {
  group_id?: string;
  group_name?: string;
  order?: number;
  tag: Array<{ name: string; order?: number }>;
  agentid?: number;
}
export interface AddCorpTagResponse extends WeComOk {
  tag_group: CorpTagGroup;
}

/** `POST /cgi-bin/externalcontact/edit_corp_tag`: rename or reorder a tag or a group (by its id). */
export interface EditCorpTagRequest {
  id: string;
  name?: string;
  order?: number;
  agentid?: number;
}

/** `POST /cgi-bin/externalcontact/del_corp_tag`: a group's deletion deletes its tags. */
export interface DelCorpTagRequest {
  tag_id?: string[];
  group_id?: string[];
  agentid?: number;
}

/** `POST /cgi-bin/externalcontact/mark_tag`: tag or untag a customer as seen by one member. */
export interface MarkTagRequest {
  userid: string;
  external_userid: string;
  add_tag?: string[];
  remove_tag?: string[];
}

// ── Message content ──────────────────────────────────────────────────────────────────────

/** Text of a welcome or mass message. */
export interface TextContent {
  content: string;
}
export interface ImageContent {
  media_id?: string;
  /** A URL from WeCom's image upload; `media_id` or `pic_url`. */
  pic_url?: string;
}
export interface LinkContent {
  title: string;
  picurl?: string;
  desc?: string;
  url: string;
}
export interface MiniprogramContent {
  title: string;
  pic_media_id: string;
  appid: string;
  page: string;
}

/** An attachment of a welcome message or a mass message (at most 9 per message). */
export type Attachment =
  | { msgtype: 'image'; image: ImageContent }
  | { msgtype: 'link'; link: LinkContent }
  | { msgtype: 'miniprogram'; miniprogram: MiniprogramContent }
  | { msgtype: 'video'; video: { media_id: string } }
  | { msgtype: 'file'; file: { media_id: string } };

// ── Contact ways (联系我) ──────────────────────────────────────────────────────────────────

/** The message a temporary session ends with (结束语). */
export interface Conclusions {
  text?: TextContent;
  image?: ImageContent;
  link?: LinkContent;
  miniprogram?: MiniprogramContent;
}

/** `POST /cgi-bin/externalcontact/add_contact_way`. */
export interface AddContactWayRequest {
  /** 1 single member, 2 several members. */
  type: 1 | 2;
  /** 1 mini-program button, 2 QR code. */
  scene: 1 | 2;
  style?: number;
  remark?: string;
  skip_verify?: boolean;
  /** Up to 30 characters; comes back on the add-contact event and in `follow_user.state`. */
  state?: string;
  user?: string[];
  party?: number[];
  is_temp?: boolean;
  expires_in?: number;
  chat_expires_in?: number;
  unionid?: string;
  is_exclusive?: boolean;
  conclusions?: Conclusions;
}
export interface AddContactWayResponse extends WeComOk {
  config_id: string;
  /** Only for scene 2. */
  qr_code?: string;
}

/** A contact way as `get_contact_way` returns it. */
export interface ContactWay {
  config_id: string;
  type: 1 | 2;
  scene: 1 | 2;
  style?: number;
  remark?: string;
  skip_verify?: boolean;
  state?: string;
  qr_code?: string;
  user?: string[];
  party?: number[];
  is_temp?: boolean;
  expires_in?: number;
  chat_expires_in?: number;
  unionid?: string;
  is_exclusive?: boolean;
  conclusions?: Conclusions;
}
export interface GetContactWayResponse extends WeComOk {
  contact_way: ContactWay;
}

/** `POST /cgi-bin/externalcontact/update_contact_way`: fields left out are kept. */
export interface UpdateContactWayRequest {
  config_id: string;
  remark?: string;
  skip_verify?: boolean;
  style?: number;
  state?: string;
  user?: string[];
  party?: number[];
  expires_in?: number;
  chat_expires_in?: number;
  unionid?: string;
  conclusions?: Conclusions;
}

/** `POST /cgi-bin/externalcontact/list_contact_way`: config ids created in a time range (seconds). */
export interface ListContactWayRequest {
  start_time?: number;
  end_time?: number;
  cursor?: string;
  limit?: number;
}
export interface ListContactWayResponse extends WeComOk, Cursored {
  contact_way: Array<{ config_id: string }>;
}

// ── Welcome messages (新客户欢迎语) ─────────────────────────────────────────────────────────

/**
 * `POST /cgi-bin/externalcontact/send_welcome_msg`: once per `welcome_code`, within 20 seconds
 * of the add-contact event that carried it.
 */
export interface SendWelcomeMsgRequest {
  welcome_code: string;
  text?: TextContent;
  attachments?: Attachment[];
}

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

// ── Mass messages (企业群发) ──────────────────────────────────────────────────────────────

/** `POST /cgi-bin/externalcontact/add_msg_template`: a task members confirm before it is sent. */
export interface AddMsgTemplateRequest {
  /** 'single' to customers (default), 'group' to customer groups. */
  chat_type?: 'single' | 'group';
  external_userid?: string[];
  chat_id_list?: string[];
  tag_filter?: { group_list: Array<{ tag_list: string[] }> };
  sender?: string;
  allow_select?: boolean;
  text?: TextContent;
  attachments?: Attachment[];
}
export interface AddMsgTemplateResponse extends WeComOk {
  /** External userids that cannot receive it (not customers, or over their monthly quota). */
  fail_list?: string[];
  msgid: string;
}

/** `POST /cgi-bin/externalcontact/get_groupmsg_list_v2`: mass messages created in a range (seconds, ≤ 1 month). */
export interface GetGroupMsgListV2Request {
  chat_type: 'single' | 'group';
  start_time: number;
  end_time: number;
  creator?: string;
  /** 0 created by the corp, 1 by members, 2 both (default). */
  filter_type?: 0 | 1 | 2;
  limit?: number;
  cursor?: string;
}
export interface GroupMsg {
  msgid: string;
  creator?: string;
  create_time: number;
  /** 0 created by the corp, 1 by a member. */
  create_type: 0 | 1;
  text?: TextContent;
  attachments?: Attachment[];
}
export interface GetGroupMsgListV2Response extends WeComOk, Cursored {
  group_msg_list: GroupMsg[];
}

/** `POST /cgi-bin/externalcontact/get_groupmsg_task`: which members have sent a mass message. */
export interface GetGroupMsgTaskRequest {
  msgid: string;
  limit?: number;
  cursor?: string;
}
export interface GetGroupMsgTaskResponse extends WeComOk, Cursored {
  /** status: 0 not sent yet, 2 sent. */
  task_list: Array<{ userid: string; status: 0 | 2; send_time?: number }>;
}

/** `POST /cgi-bin/externalcontact/get_groupmsg_send_result`: one member's deliveries of a mass message. */
export interface GetGroupMsgSendResultRequest {
  msgid: string;
  userid: string;
  limit?: number;
  cursor?: string;
}
export interface GetGroupMsgSendResultResponse extends WeComOk, Cursored {
  /** status: 0 not sent, 1 sent, 2 not a customer any more, 3 customer already got another mass message. */
  send_list: Array<{ external_userid?: string; chat_id?: string; userid: string; status: 0 | 1 | 2 | 3; send_time?: number }>;
}

// ── Handover (在职继承 / 离职继承) ───────────────────────────────────────────────────────────

/** `POST /cgi-bin/externalcontact/transfer_customer` (member still employed). */
export interface TransferCustomerRequest {
  handover_userid: string;
  takeover_userid: string;
  /** At most 100. */
  external_userid: string[];
  /** Shown to the customer; WeCom's default text when absent. */
  transfer_success_msg?: string;
}
/** `POST /cgi-bin/externalcontact/resigned/transfer_customer` (member has left). */
export interface ResignedTransferCustomerRequest {
  handover_userid: string;
  takeover_userid: string;
  external_userid: string[];
}
/** Per-customer outcome: `errcode` 0 when the transfer was accepted. */
export interface TransferCustomerResponse extends WeComOk {
  customer: Array<{ external_userid: string; errcode: number }>;
}

/** `POST /cgi-bin/externalcontact/transfer_result` and `resigned/transfer_result`. */
export interface TransferResultRequest {
  handover_userid: string;
  takeover_userid: string;
  cursor?: string;
}
export interface TransferResultResponse extends WeComOk, Cursored {
  /** status: 1 taken over, 2 waiting, 3 customer refused, 4 takeover member at their limit, 5 no transfer on record. */
  customer: Array<{ external_userid: string; status: 1 | 2 | 3 | 4 | 5; takeover_time: number }>;
}

/** `POST /cgi-bin/externalcontact/get_unassigned_list`: customers of members who left. */
export interface GetUnassignedListRequest {
  /** Deprecated by WeCom in favour of `cursor`. */
  page_id?: number;
  cursor?: string;
  /** At most 1,000. */
  page_size?: number;
}
export interface GetUnassignedListResponse extends WeComOk, Cursored {
  info: Array<{ handover_userid: string; external_userid: string; dimission_time: number }>;
  is_last: boolean;
}

// ── App messages (应用消息) ──────────────────────────────────────────────────────────────────

/** `POST /cgi-bin/message/send`: a message from a self-built app to members (text or markdown here). */
export type AppMessageRequest = {
  /** Member userids joined by '|' (at most 1,000), or '@all'. */
  touser?: string;
  toparty?: string;
  totag?: string;
  agentid: number;
  safe?: 0 | 1;
  enable_duplicate_check?: 0 | 1;
  duplicate_check_interval?: number;
} & ({ msgtype: 'text'; text: TextContent } | { msgtype: 'markdown'; markdown: TextContent });
/** Recipients WeCom could not reach come back '|'-joined; the call still succeeds if any was reached. */
export interface AppMessageResponse extends WeComOk {
  invaliduser?: string;
  invalidparty?: string;
  invalidtag?: string;
  unlicenseduser?: string;
  msgid: string;
  response_code?: string;
}
