/** WeCom API shapes: Customers (客户) with their followers, and corp tags (企业客户标签). Field names are WeCom's own (see ../types.ts). */
import type { WeComOk, Cursored } from './common.js';

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
