import type { ChannelName } from '../content.js';
import { emailChannel } from './email.js';
import { smsChannel } from './sms.js';
import type { Channel } from './types.js';
import { webhookChannel } from './webhook.js';
import { createWeChatApi, miniProgramChannel, wechatOaChannel } from './wechat.js';
import { wecomChannel, wecomGroupChannel } from './wecom.js';

export type { Channel, OutboundMessage, SendContext, SendResult } from './types.js';
export { webhookSignature } from './webhook.js';
export { hmacBase64, smsStringToSign } from './sms.js';

/** Every channel adapter, built once per process (the WeChat ones share an access-token cache). */
export function createChannels(): Record<ChannelName, Channel> {
  const wechat = createWeChatApi();
  return {
    wecom: wecomChannel,
    wecom_group: wecomGroupChannel,
    wechat_oa: wechatOaChannel(wechat),
    miniprogram: miniProgramChannel(wechat),
    sms: smsChannel,
    email: emailChannel,
    webhook: webhookChannel,
  };
}
