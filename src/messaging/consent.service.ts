import type { Selectable } from 'kysely';
import { CdpError, lockProfileFollowingMerges, mergedIdsOf, recordProfileConsent } from '../cdp/index.js';
import { parseJson } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { CHANNELS, CONSENT_PURPOSES, type ConsentPurpose, isChannel } from './content.js';
import { type CallerDb, mdb, type MessagingDeps } from './deps.js';
import { MessagingError } from './errors.js';
import { decodeCursor, encodeCursor, type Page, pageOf } from '../platform/paging.js';
import type { ConsentRecordsTable } from './schema.js';
import type { ProfileConsent } from './scope.js';
import type { MessagingSettings } from './settings.js';
import { writeTimelineEvent } from './timeline.js';

/** One ledger entry as the API shows it. */
export interface ConsentRecord {
  id: string;
  profileId: string;
  purpose: ConsentPurpose;
  /** A channel, or '*' for every channel. */
  channel: string;
  granted: boolean;
  source: string;
  evidence: Record<string, unknown>;
  at: string;
  recordedAt: string;
}

/** What to record: given or withdrawn, for a purpose on a channel (or all), how, with what evidence. */
export interface ConsentInput {
  purpose: ConsentPurpose;
  channel: string;
  granted: boolean;
  source: string;
  /** The version of the consent text the person was shown; kept as `evidence.textVersion`. */
  textVersion?: string;
  evidence?: Record<string, unknown>;
  /** When the person acted (ISO); default now. Cannot be in the future. */
  at?: string | number;
}

/** The key under which a consent also lands in `profiles.consent` (segment rules read it): `marketing_sms`, or `marketing` for all channels. */
export function profileConsentKey(purpose: ConsentPurpose, channel: string): string {
  return channel === '*' ? purpose : `${purpose}_${channel}`;
}

function checkInput(i: ConsentInput, now: number): { at: number } {
  if (!(CONSENT_PURPOSES as readonly string[]).includes(i.purpose))
    throw new MessagingError('VALIDATION_FAILED', `purpose must be one of ${CONSENT_PURPOSES.join(', ')}`);
  if (i.channel !== '*' && !isChannel(i.channel)) throw new MessagingError('VALIDATION_FAILED', `channel must be "*" (all) or one of ${CHANNELS.join(', ')}`);
  if (typeof i.granted !== 'boolean') throw new MessagingError('VALIDATION_FAILED', 'granted must be true or false');
  if (typeof i.source !== 'string' || !i.source || i.source.length > 100)
    throw new MessagingError('VALIDATION_FAILED', 'source must say how consent was captured (e.g. "signup_form", "wecom_chat"), at most 100 characters');
  const at = i.at === undefined ? now : typeof i.at === 'number' ? i.at : Date.parse(i.at);
  if (!Number.isFinite(at)) throw new MessagingError('VALIDATION_FAILED', `at "${i.at}" is not an ISO-8601 time`);
  if (at > now + 60_000) throw new MessagingError('VALIDATION_FAILED', 'at cannot be in the future');
  if (i.evidence !== undefined && (typeof i.evidence !== 'object' || i.evidence === null || Array.isArray(i.evidence)))
    throw new MessagingError('VALIDATION_FAILED', 'evidence must be an object');
  if (i.evidence && JSON.stringify(i.evidence).length > 16_000) throw new MessagingError('VALIDATION_FAILED', 'evidence is larger than 16 KB');
  if (i.textVersion !== undefined && (typeof i.textVersion !== 'string' || !i.textVersion || i.textVersion.length > 100))
    throw new MessagingError('VALIDATION_FAILED', 'textVersion must be a non-empty string of at most 100 characters');
  return { at };
}

/**
 * Appends a consent decision to the ledger inside the caller's transaction, mirrors it into
 * `profiles.consent` (unless a newer entry is there) and puts `Consent Granted` / `Consent
 * Withdrawn` on the timeline. Returns the live profile id it was recorded on.
 */
export async function recordConsentIn(
  trx: CallerDb,
  deps: Pick<MessagingDeps, 'database' | 'now'>,
  ws: string,
  profileId: string,
  input: ConsentInput,
): Promise<ConsentRecord> {
  const now = deps.now();
  const { at } = checkInput(input, now);
  const db = mdb(trx);
  const live = await lockProfileFollowingMerges(trx, ws, profileId, now);
  if (!live) throw new CdpError('PROFILE_NOT_FOUND', `no profile ${profileId} in this workspace`);
  const id = newId('cns', now);
  const evidence = input.textVersion === undefined ? (input.evidence ?? {}) : { ...input.evidence, textVersion: input.textVersion };
  await db
    .insertInto('consent_records')
    .values({
      workspace_id: ws,
      id,
      profile_id: live,
      purpose: input.purpose,
      channel: input.channel,
      granted: input.granted ? 1 : 0,
      source: input.source,
      evidence: JSON.stringify(evidence),
      at,
      recorded_at: now,
    })
    .execute();
  // Mirrored into cdp's `profiles.consent` (segment rules read it) unless a newer entry is there.
  await recordProfileConsent(trx, ws, live, profileConsentKey(input.purpose, input.channel), { granted: input.granted, at }, now);
  await writeTimelineEvent(trx, deps.database.dialect, {
    workspaceId: ws,
    profileId: live,
    eventId: `${id}:consent`,
    event: input.granted ? 'Consent Granted' : 'Consent Withdrawn',
    properties: {
      purpose: input.purpose,
      channel: input.channel,
      source: input.source,
      consentRecordId: id,
      ...(typeof evidence.textVersion === 'string' && { textVersion: evidence.textVersion }),
    },
    at,
  });
  return {
    id,
    profileId: live,
    purpose: input.purpose,
    channel: input.channel,
    granted: input.granted,
    source: input.source,
    evidence,
    at: new Date(at).toISOString(),
    recordedAt: new Date(now).toISOString(),
  };
}

/** Records consent in a transaction of its own. */
export async function recordConsent(deps: Pick<MessagingDeps, 'database' | 'now'>, ws: string, profileId: string, input: ConsentInput): Promise<ConsentRecord> {
  return deps.database.db.transaction().execute((trx) => recordConsentIn(trx, deps, ws, profileId, input));
}

type ConsentRow = Selectable<ConsentRecordsTable>;

function toRecord(r: ConsentRow): ConsentRecord {
  return {
    id: r.id,
    profileId: r.profile_id,
    purpose: r.purpose,
    channel: r.channel,
    granted: r.granted === 1,
    source: r.source,
    evidence: parseJson(r.evidence),
    at: new Date(r.at).toISOString(),
    recordedAt: new Date(r.recorded_at).toISOString(),
  };
}

/** The ledger of a profile (and of the profiles merged into it), newest first, a page at a time (cursor: opaque, from the previous page). */
export async function consentHistoryPage(
  deps: Pick<MessagingDeps, 'database'>,
  ws: string,
  profileId: string,
  q: { limit?: number; cursor?: string } = {},
): Promise<Page<ConsentRecord>> {
  const limit = q.limit ?? 1000;
  const db = mdb(deps.database.db);
  const ids = [profileId, ...(await mergedIdsOf(deps.database.db, ws, profileId))];
  let sel = db.selectFrom('consent_records').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids);
  if (q.cursor) {
    const [at, id] = decodeCursor(q.cursor, ['n', 's']) as [number, string];
    sel = sel.where((eb) => eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('id', '<', id)])]));
  }
  const rows = await sel
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { data: page.map(toRecord), nextCursor: rows.length > limit && last ? encodeCursor([last.at, last.id]) : null };
}

/** Filters of the workspace's ledger search; `profileIds` is a live profile with the profiles merged into it. */
export interface ConsentSearch {
  profileIds?: string[];
  purpose?: ConsentPurpose;
  channel?: string;
  granted?: boolean;
  source?: string;
  limit?: number;
  cursor?: string;
}

/**
 * The workspace's consent ledger, filtered, the most recently recorded first (ids sort by the time
 * they were recorded, so the keyset is the primary key (workspace_id, id): no sort of the whole
 * ledger for a page, whatever its size).
 */
export async function searchConsent(deps: Pick<MessagingDeps, 'database'>, ws: string, q: ConsentSearch): Promise<Page<ConsentRecord>> {
  const limit = q.limit ?? 50;
  let sel = mdb(deps.database.db).selectFrom('consent_records').selectAll().where('workspace_id', '=', ws);
  if (q.profileIds) sel = sel.where('profile_id', 'in', q.profileIds);
  if (q.purpose) sel = sel.where('purpose', '=', q.purpose);
  if (q.channel) sel = sel.where('channel', '=', q.channel);
  if (q.granted !== undefined) sel = sel.where('granted', '=', q.granted ? 1 : 0);
  if (q.source) sel = sel.where('source', '=', q.source);
  if (q.cursor) sel = sel.where('id', '<', decodeCursor(q.cursor, ['s'])[0] as string);
  const rows = await sel
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  return pageOf(rows, limit, toRecord, (r) => [r.id]);
}

/** The full ledger of a profile (and of the profiles merged into it), newest first (at most 10,000 entries). */
export async function consentHistory(deps: Pick<MessagingDeps, 'database'>, ws: string, profileId: string): Promise<ConsentRecord[]> {
  return (await consentHistoryPage(deps, ws, profileId, { limit: 10_000 })).data;
}

/** A consent fact that applies to a send, from the ledger or from `profiles.consent`. */
interface Fact {
  granted: boolean;
  at: number;
}

/**
 * Whether a (purpose, channel) send is allowed for a profile. Applicable facts: ledger rows for the
 * channel and for '*', and the `profiles.consent` keys `<purpose>_<channel>` and `<purpose>` (tracked
 * `context.consent.categoryPreferences` land there). The newest fact wins; with none, marketing
 * needs opt-in (by default) and service goes.
 */
export async function consentAllows(
  db: CallerDb,
  ws: string,
  profile: { id: string; consent: ProfileConsent },
  purpose: ConsentPurpose,
  channel: string,
  settings: MessagingSettings,
): Promise<{ allowed: boolean; reason?: string }> {
  const m = mdb(db);
  const ids = [profile.id, ...(await mergedIdsOf(db, ws, profile.id))];
  const rows = await m
    .selectFrom('consent_records')
    .select(['granted', 'at', 'id'])
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', ids)
    .where('purpose', '=', purpose)
    .where('channel', 'in', [channel, '*'])
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .execute();
  const facts: Fact[] = rows.map((r) => ({ granted: r.granted === 1, at: r.at }));
  for (const key of [profileConsentKey(purpose, channel), purpose]) {
    const c = profile.consent[key];
    if (c && typeof c.granted === 'boolean' && Number.isFinite(c.at)) facts.push(c);
  }
  facts.sort((a, b) => b.at - a.at || Number(a.granted) - Number(b.granted));
  const newest = facts[0];
  if (newest) return newest.granted ? { allowed: true } : { allowed: false, reason: `consent_withdrawn:${purpose}:${channel}` };
  // Analytics and sharing with third parties are never presumed (PIPL art. 23: sharing needs its own consent).
  const required = purpose === 'marketing' ? settings.consent.marketingRequiresOptIn : purpose === 'service' ? settings.consent.serviceRequiresOptIn : true;
  return required ? { allowed: false, reason: `consent_missing:${purpose}:${channel}` } : { allowed: true };
}
