/** WeCom API shapes: Message content (text and attachments) and the welcome message (新客户欢迎语). Field names are WeCom's own (see ../types.ts). */

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
