/**
 * Starter rules for the segment editor, taken from docs/segments-rules.md. They are typed with
 * the server's own rule types (src/segments/rule.types.ts), so a template the language does not
 * accept fails the console's type check.
 */
import type { Rule } from '../../src/segments/rule.types.ts';
import type { Locale } from './i18n.ts';

/** A named starter rule. */
export interface RuleTemplate {
  id: string;
  name: Record<Locale, string>;
  rule: Rule;
}

/** The templates offered in the editor, in display order. */
export const RULE_TEMPLATES: readonly RuleTemplate[] = [
  {
    id: 'rfm-cell',
    name: { 'zh-CN': 'RFM：重要价值 / 重要保持客户', en: 'RFM: important value or retain customers' },
    rule: { type: 'rfm', cells: ['important_value', 'important_retain'] },
  },
  {
    id: 'lifecycle',
    name: { 'zh-CN': '生命周期：沉默或流失', en: 'Lifecycle stage: silent or churned' },
    rule: { type: 'lifecycle', stages: ['silent', 'churned'] },
  },
  {
    id: 'orders-90d',
    name: { 'zh-CN': '近 90 天下单至少 2 次', en: 'At least 2 orders in the last 90 days' },
    rule: { type: 'event', event: 'Order Completed', count: { op: 'at_least', value: 2 }, window: { lastDays: 90 } },
  },
  {
    id: 'has-tag',
    name: { 'zh-CN': '带有标签 VIP', en: 'Has the tag VIP' },
    rule: { type: 'tag', match: 'any', tags: [{ name: 'VIP' }] },
  },
  {
    id: 'lapsed-buyers',
    name: { 'zh-CN': '超过 90 天未购买的老客', en: 'Buyers with no purchase for over 90 days' },
    rule: { type: 'profile', field: 'last_purchase_at', op: 'more_than_days_ago', days: 90 },
  },
  {
    id: 'east-china-repeat',
    name: { 'zh-CN': '华东复购客户（未拒绝短信营销）', en: 'Repeat buyers in East China (SMS marketing not denied)' },
    rule: {
      type: 'and',
      rules: [
        { type: 'trait', key: 'city', op: 'in', value: ['上海', '杭州', '苏州'] },
        { type: 'event', event: 'Order Completed', count: { op: 'at_least', value: 2 }, window: { lastDays: 90 } },
        { type: 'not', rule: { type: 'consent', key: 'marketing_sms', state: 'denied' } },
      ],
    },
  },
];
