import { parseJson } from '../platform/db/database.js';
import { isTimeZone, localParts } from '../platform/time.js';
import { liveProfileRow, type ProfileConsent, profileMergedIds } from './cdp-access.js';
import type { CallerDb } from './deps.js';

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
  const row = await liveProfileRow(db, ws, id);
  if (!row) return undefined;
  const traits = parseJson<Record<string, unknown>>(row.traits);
  const tzTrait = traits.timezone ?? traits.time_zone;
  const timeZone = isTimeZone(tzTrait) ? tzTrait : zoneFallback;
  const local = localParts(now, timeZone);
  const day = 86_400_000;
  return {
    id: row.id,
    ids: [row.id, ...(await profileMergedIds(db, ws, row.id))],
    traits,
    consent: parseJson(row.consent),
    timeZone,
    locale: typeof traits.locale === 'string' ? traits.locale : typeof traits.language === 'string' ? traits.language : undefined,
    computed: {
      order_count: row.order_count,
      total_spent_fen: row.total_spent_fen,
      total_spent_yuan: (row.total_spent_fen / 100).toFixed(2),
      first_seen_at: row.first_seen_at === null ? null : new Date(row.first_seen_at).toISOString(),
      last_seen_at: row.last_seen_at === null ? null : new Date(row.last_seen_at).toISOString(),
      last_purchase_at: row.last_purchase_at === null ? null : new Date(row.last_purchase_at).toISOString(),
      days_since_last_purchase: row.last_purchase_at === null ? null : Math.floor((now - row.last_purchase_at) / day),
      days_since_first_seen: row.first_seen_at === null ? null : Math.floor((now - row.first_seen_at) / day),
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
