/** WeCom API shapes: Contact ways (联系我). Field names are WeCom's own (see ../types.ts). */
import type { WeComOk, Cursored } from './common.js';
import type { ImageContent, LinkContent, MiniprogramContent, TextContent } from './content.js';

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
