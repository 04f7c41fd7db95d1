/**
 * The channel names, purposes and template locales of messaging: constants and types only, so
 * that the route schemas (messaging.schemas.ts), which the console derives its types from, import
 * no server code.
 */

/** The channels messages go out on. */
export const CHANNELS = ['wecom', 'wecom_group', 'wechat_oa', 'miniprogram', 'sms', 'email', 'webhook'] as const;

/** A channel name. */
export type ChannelName = (typeof CHANNELS)[number];

/** Why a message is sent: marketing needs opt-in consent and counts against caps; service does not. */
export type Purpose = 'marketing' | 'service';

/** The purposes, for schemas. */
export const PURPOSES = ['marketing', 'service'] as const satisfies readonly Purpose[];

/** Locales templates are written in; others fall back (see `pickLocale`). */
export const LOCALES = ['zh-CN', 'en'] as const;
