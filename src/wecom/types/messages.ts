/** WeCom API shapes: Mass messages (企业群发) and app messages (应用消息). Field names are WeCom's own (see ../types.ts). */
import type { WeComOk, Cursored } from './common.js';
import type { Attachment, TextContent } from './content.js';

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
