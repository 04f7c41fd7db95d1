/**
 * Type-level checks of api-types.ts, run by the console's type check: the derived types are as
 * strict as hand-written ones would be, so a field removed from a schema breaks the console's
 * build where it is read (rather than turning into `unknown`). Not bundled (nothing imports it).
 */
import type {
  Broadcast,
  BroadcastStats,
  ChannelInfo,
  ConsentRecord,
  Member,
  MessageTemplate,
  MessagingSettings,
  Profile,
  RfmCellReport,
  Segment,
  SegmentationSettings,
} from './api-types.ts';
import type { ArchiveMessage, LiveCode, LiveCodeStats, ScrmContact, WeComConnectionTest } from './api-types-scrm.ts';

type Is<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const holds = <T extends true>(): T => true as T;

/** Fields in `required` are present, nullable ones keep their null, enums stay unions. */
export const derivedTypes = [
  holds<Is<Segment['evaluatedAt'], string | null>>(),
  holds<Is<Segment['summary'], { en: string; 'zh-CN': string } | null>>(),
  holds<Is<Segment['status'], 'active' | 'archived'>>(),
  holds<Is<Member, { profileId: string; version: number; enteredAt: string; name: string | null; identifiers: { type: string; value: string }[] }>>(),
  holds<Is<keyof SegmentationSettings['rfm']['cellNames'], RfmCellReport['cell']>>(),
  // Free-form objects (no listed properties) keep their index signature.
  holds<Is<Profile['traits'], { [x: string]: unknown }>>(),
  // Messaging and broadcasts (the console's messaging screens).
  holds<Is<MessageTemplate['channel'], 'wecom' | 'wecom_group' | 'wechat_oa' | 'miniprogram' | 'sms' | 'email' | 'webhook'>>(),
  holds<Is<MessagingSettings['quietHours'], { start: string; end: string; appliesTo: 'marketing' | 'all' }>>(),
  holds<Is<ChannelInfo['address'], 'email' | 'phone' | 'openid' | 'external_userid' | 'group' | 'none'>>(),
  holds<Is<ConsentRecord['granted'], boolean>>(),
  holds<Is<Broadcast['status'], 'draft' | 'scheduled' | 'sending' | 'sent' | 'cancelled' | 'failed'>>(),
  holds<Is<BroadcastStats['messages']['suppressed'], number>>(),
  holds<Is<Broadcast['progress']['total'], number | null>>(),
  // The SCRM screens' types come from src/scrm/**/*.schemas.ts the same way.
  holds<Is<LiveCode['qrCode'], string | null>>(),
  holds<Is<LiveCodeStats['byDay'][number], { date: string; adds: number; deletions: number; net: number }>>(),
  holds<Is<ScrmContact['followers'][number]['deletedAt'], string | null>>(),
  holds<Is<ArchiveMessage['direction'], 'sent' | 'received'>>(),
  holds<Is<WeComConnectionTest['checks'][number]['status'], 'ok' | 'failed' | 'skipped'>>(),
];

/** A field the schema does not list is not there. */
export const unlistedFields = [
  // @ts-expect-error not in segmentSchema
  (s: Segment) => s.membersCount,
  // @ts-expect-error not in rfmReportSchema's cells
  (c: RfmCellReport) => c.revenue,
  // @ts-expect-error not in profileSchema's aggregates
  (p: Profile) => p.aggregates.orders,
  // @ts-expect-error not in templateSchema (the list has no versions)
  (t: MessageTemplate) => t.versions,
];
