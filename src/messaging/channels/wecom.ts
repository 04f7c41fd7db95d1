import { AppError } from '../../platform/errors.js';
import { type AddMsgTemplateRequest, type Attachment, isRetryableErrcode, WeComBadResponseError, WeComError, WeComNetworkError } from '../../wecom/index.js';
import { type Channel, logUpstream, type SendContext, type SendResult } from './types.js';

/** WeCom's failures in our words (errcode and its catalogued meaning; WeCom's errmsg and bodies go to the debug log). */
function failure(ctx: SendContext, messageId: string, err: unknown): SendResult {
  if (err instanceof WeComError) {
    logUpstream(ctx, messageId, { channel: 'wecom', errcode: err.errcode }, err.errmsg);
    return {
      status: 'failed',
      errorCode: `wecom:${err.errcode}`,
      errorMessage: `WeCom ${err.api}: errcode ${err.errcode}, ${err.meaning.en}`,
      // Worth a later attempt: system busy and the rate limits (the library's one list).
      retryable: isRetryableErrcode(err.errcode),
    };
  }
  if (err instanceof WeComNetworkError)
    return { status: 'failed', errorCode: 'wecom:network', errorMessage: err.message, retryable: true, ambiguous: err.timedOut };
  if (err instanceof WeComBadResponseError) {
    logUpstream(ctx, messageId, { channel: 'wecom', status: err.status }, err.bodyStart);
    return {
      status: 'failed',
      errorCode: `wecom:http_${err.status}`,
      errorMessage: `WeCom ${err.api}: not a WeCom answer (HTTP ${err.status})`,
      retryable: err.status >= 500 || err.status === 429,
      ambiguous: err.status >= 500,
    };
  }
  if (err instanceof AppError) return { status: 'failed', errorCode: err.code, errorMessage: err.message, retryable: false };
  throw err;
}

async function addMsgTemplate(ctx: SendContext, req: AddMsgTemplateRequest, target: string, messageId: string): Promise<SendResult> {
  try {
    const client = await ctx.wecomClientFor(ctx.workspaceId);
    const res = await client.addMsgTemplate(req);
    // fail_list: not this sender's customer any more, or over WeCom's quota for the customer.
    if (res.fail_list?.includes(target))
      return {
        status: 'failed',
        errorCode: 'wecom:fail_list',
        errorMessage: `WeCom refused ${target} (not a customer of ${req.sender}, or over its quota)`,
        retryable: false,
      };
    return { status: 'sent', providerMessageId: res.msgid, retryable: false };
  } catch (err) {
    return failure(ctx, messageId, err);
  }
}

function body(content: Record<string, unknown>): Pick<AddMsgTemplateRequest, 'text' | 'attachments'> {
  return {
    ...(typeof content.text === 'string' && content.text ? { text: { content: content.text } } : {}),
    ...(Array.isArray(content.attachments) && content.attachments.length ? { attachments: content.attachments as Attachment[] } : {}),
  };
}

/**
 * WeCom 1:1 to an external contact through the staff member who owns the relation
 * (`add_msg_template`, chat_type single, sender = owner). WeCom creates a task the member confirms
 * in the app; "sent" means the task exists (msgid). The call is not idempotent, so an unknown
 * outcome is marked `unknown` rather than risking a second task.
 */
export const wecomChannel: Channel = {
  name: 'wecom',
  afterCrash: 'unknown',
  address: 'external_userid',
  async send(ctx, msg) {
    if (!msg.address || !msg.sender)
      return { status: 'failed', errorCode: 'NO_ADDRESS', errorMessage: 'no external_userid or owning staff member', retryable: false };
    return addMsgTemplate(ctx, { chat_type: 'single', external_userid: [msg.address], sender: msg.sender, ...body(msg.content) }, msg.address, msg.id);
  },
};

/** WeCom customer-group message (`add_msg_template`, chat_type group) through the group's owner. */
export const wecomGroupChannel: Channel = {
  name: 'wecom_group',
  afterCrash: 'unknown',
  address: 'group',
  async send(ctx, msg) {
    if (!msg.chatId || !msg.sender) return { status: 'failed', errorCode: 'NO_ADDRESS', errorMessage: 'no chat id or group owner', retryable: false };
    return addMsgTemplate(ctx, { chat_type: 'group', chat_id_list: [msg.chatId], sender: msg.sender, ...body(msg.content) }, msg.chatId, msg.id);
  },
};
