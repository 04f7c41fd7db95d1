/**
 * Request and response shapes of the WeCom (企业微信) server API calls that `client.ts` makes.
 * Field names are WeCom's own (snake_case, as on developer.work.weixin.qq.com), so a body can be
 * checked against the published page line by line. Only fields a page documents are listed;
 * optional ones are those WeCom leaves out in some cases.
 */
export * from './types/common.js';
export * from './types/staff.js';
export * from './types/contacts.js';
export * from './types/content.js';
export * from './types/contact-ways.js';
export * from './types/groups.js';
export * from './types/messages.js';
export * from './types/transfers.js';
