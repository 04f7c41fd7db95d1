/** How the customer screens name a profile and pick its key identifiers. */
import type { ProfileSummary } from '../../api.ts';

const NAME_TRAITS = ['name', 'nickname', 'username', 'firstName'] as const;

/** A profile's display name: a name trait, else its first identifier, else its id. */
export function displayName(p: Pick<ProfileSummary, 'traits' | 'identifiers' | 'id'>): string {
  for (const k of NAME_TRAITS) {
    const v = p.traits?.[k];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  const first = p.identifiers.find((i) => i.value);
  return first ? `${first.type}:${first.value}` : p.id;
}

/** The identifiers operators look for first (phone, member id, user id, email, unionid, external_userid), at most `n`. */
export function keyIdentifiers(p: { identifiers: readonly { type: string; value: string | null }[] }, n = 3): { type: string; value: string }[] {
  const order = ['phone', 'member_id', 'user_id', 'email', 'unionid', 'external_userid'];
  const rank = (t: string) => {
    const i = order.findIndex((o) => t === o || t.startsWith(`${o}`));
    return i < 0 ? order.length : i;
  };
  return p.identifiers
    .filter((i): i is typeof i & { value: string } => !!i.value)
    .sort((a, b) => rank(a.type) - rank(b.type))
    .slice(0, n)
    .map((i) => ({ type: i.type, value: i.value }));
}
