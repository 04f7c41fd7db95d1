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

/**
 * What a person consents to (PIPL: separate consent per purpose): the two purposes messages are
 * sent for, plus analytics (profiling, predictions) and sharing with third parties. The last two
 * are recorded, shown and exported as evidence; with no decision on record they count as not given.
 */
export type ConsentPurpose = Purpose | 'analytics' | 'sharing';

/** The consent purposes, for schemas. */
export const CONSENT_PURPOSES = ['marketing', 'service', 'analytics', 'sharing'] as const satisfies readonly ConsentPurpose[];

/** Locales templates are written in; others fall back (see `pickLocale`). */
export const LOCALES = ['zh-CN', 'en'] as const;

/** Modes of a consent import: all-or-nothing records every row or none; skip-bad-rows records the good rows and reports the others. */
export const CONSENT_IMPORT_MODES = ['all-or-nothing', 'skip-bad-rows'] as const;
