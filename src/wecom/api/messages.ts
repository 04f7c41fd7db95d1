import type { WeComRequester } from '../request.js';
import type * as W from '../types.js';

/** Mass messages (企业群发) and their results, and app messages (应用消息) to members. */
export function messageApi(r: WeComRequester) {
  return {
    /** `externalcontact/add_msg_template`: a mass-message task; members confirm before it is sent. */
    addMsgTemplate: (req: W.AddMsgTemplateRequest) => r.write<W.AddMsgTemplateResponse>('externalcontact/add_msg_template', req),
    /** `externalcontact/get_groupmsg_list_v2`: mass messages created in a time range. */
    getGroupMsgListV2: (req: W.GetGroupMsgListV2Request) => r.read<W.GetGroupMsgListV2Response>('externalcontact/get_groupmsg_list_v2', req),
    /** `externalcontact/get_groupmsg_task`: which members have sent a mass message. */
    getGroupMsgTask: (req: W.GetGroupMsgTaskRequest) => r.read<W.GetGroupMsgTaskResponse>('externalcontact/get_groupmsg_task', req),
    /** `externalcontact/get_groupmsg_send_result`: to whom one member's sending went. */
    getGroupMsgSendResult: (req: W.GetGroupMsgSendResultRequest) => r.read<W.GetGroupMsgSendResultResponse>('externalcontact/get_groupmsg_send_result', req),

    /** `message/send`: an app message to members (by the app's `agentid`); never retried after a network error. */
    sendAppMessage: (req: W.AppMessageRequest) => r.write<W.AppMessageResponse>('message/send', req),
  };
}
