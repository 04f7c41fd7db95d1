import { type ConsentEntry, loadLiveProfileState, mergedIdsOf } from '../cdp/index.js';
import { isTimeZone, localParts } from '../platform/time.js';
import type { CallerDb } from './deps.js';

/** A profile's consent as cdp keeps it (`profiles.consent`): key (`marketing`, `marketing_sms`) -> the latest fact. */
export type ProfileConsent = Record<string, ConsentEntry>;

/** A profile as messaging sees it: traits, consent, time zone, locale and computed values. */
export interface MessagingProfile {
  id: string;
  ids: string[];
  traits: Record<string, unknown>;
  consent: ProfileConsent;
  timeZone: string;
  locale: string | undefined;
  computed: Record<string, unknown>;
}

/**
 * Loads a live profile (following a merge redirect) for rendering and guardrails; undefined when
 * there is none. Time zone: the `timezone` trait when valid, else `zoneFallback`.
 */
export async function loadMessagingProfile(db: CallerDb, ws: string, id: string, zoneFallback: string, now: number): Promise<MessagingProfile | undefined> {
  const p = await loadLiveProfileState(db, ws, id);
  if (!p) return undefined;
  const traits = p.traits;
  const tzTrait = traits.timezone ?? traits.time_zone;
  const timeZone = isTimeZone(tzTrait) ? tzTrait : zoneFallback;
  const local = localParts(now, timeZone);
  const day = 86_400_000;
  return {
    id: p.id,
    ids: [p.id, ...(await mergedIdsOf(db, ws, p.id))],
    traits,
    consent: p.consent,
    timeZone,
    locale: typeof traits.locale === 'string' ? traits.locale : typeof traits.language === 'string' ? traits.language : undefined,
    computed: {
      order_count: p.orderCount,
      total_spent_fen: p.totalSpentFen,
      total_spent_yuan: (p.totalSpentFen / 100).toFixed(2),
      first_seen_at: p.firstSeenAt === null ? null : new Date(p.firstSeenAt).toISOString(),
      last_seen_at: p.lastSeenAt === null ? null : new Date(p.lastSeenAt).toISOString(),
      last_purchase_at: p.lastPurchaseAt === null ? null : new Date(p.lastPurchaseAt).toISOString(),
      days_since_last_purchase: p.lastPurchaseAt === null ? null : Math.floor((now - p.lastPurchaseAt) / day),
      days_since_first_seen: p.firstSeenAt === null ? null : Math.floor((now - p.firstSeenAt) / day),
      local_date: `${local.year}-${String(local.month).padStart(2, '0')}-${String(local.day).padStart(2, '0')}`,
      local_hour: local.hour,
    },
  };
}

/** The Liquid scope of one message: `profile` (traits + id), `computed`, `event`, `data`, `message`, `unsubscribe_url`, `now`. */
export function renderScope(
  p: MessagingProfile | undefined,
  extra: { event?: Record<string, unknown>; data?: Record<string, unknown>; message: { id: string; channel: string }; unsubscribeUrl?: string; now: number },
) {
  return {
    profile: p ? { ...p.traits, id: p.id } : {},
    computed: p?.computed ?? {},
    event: extra.event ?? {},
    data: extra.data ?? {},
    message: extra.message,
    unsubscribe_url: extra.unsubscribeUrl ?? '',
    now: new Date(extra.now).toISOString(),
  };
}
