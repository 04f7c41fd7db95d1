import type { Expression } from 'kysely';
import { liftTombstone } from './erasure.js';
import type { TrackedEvent } from './tracking.js';
import type { IngestWriter } from './writer.js';
import { newId } from '../platform/ids.js';
import type { PiiCipher } from '../platform/crypto.js';
import type { PiiKeyring } from '../platform/keys.js';
import { type Database, withRetries } from '../platform/db/database.js';
import { decodeCursor, type Page, pageOf } from '../platform/paging.js';
import { CdpError } from './errors.js';
import { normaliseIdentifier, parseIdentifierRef, type RuleBook, storedKey } from './identifiers.js';
import { findProfileByIdentifier } from './identities.repo.js';
import { applyTraits } from './identity-graph.js';
import { type AttachedTag, listProfileIds, loadProfileRecords, type ProfileRecord } from './profiles.records.js';
import { loadProfileState } from './profiles.lookups.js';
import { lockProfileFollowingMerges, mergedIdsOf, resolveProfileId, writeTraits } from './profiles.repo.js';
import { cdpDb } from './schema.js';
import { resolveTagRef } from './tags.service.js';
import { listMerges, listTimeline, type MergeRow, type TimelineRow, type TimelineSource } from './timeline.repo.js';

/** What the profile management rules need. */
export interface ProfileDeps {
  database: Database;
  cipher: PiiKeyring;
  /** The workspace's identifier rules (for parsing `type:value` references). */
  rulesFor(workspaceId: string): Promise<RuleBook>;
  defaultRegion: string;
  now(): number;
  /** Timeline items kept outside `events` by other domains, merged into timeline pages. */
  timelineSources?: readonly TimelineSource[];
  /** Port: the segmentation models' outputs of a live profile (segments fills it); absent, a profile shows none. */
  modelsOf?: ProfileModelsPort;
  /** Port: the profile list's segment, RFM cell and lifecycle filters (segments fills it); absent, those filters are refused. */
  audienceOf?: ProfileAudiencePort;
}

/**
 * What the segmentation models last computed for a profile (each null until its model has given
 * the profile a value): RFM scores 1-5 and cell, lifecycle stage with the time the profile entered
 * it, community role with its activity score. Times are ISO strings.
 */
export interface ProfileModels {
  rfm: { r: number; f: number; m: number; cell: string; computedAt: string } | null;
  lifecycle: { stage: string; since: string } | null;
  communityRole: { role: string; score: number; computedAt: string } | null;
}

/** Reads the models' outputs of a live profile (a port the root fills with segments' `profileModels`). */
export type ProfileModelsPort = (workspaceId: string, profileId: string) => Promise<ProfileModels>;

/** Filters of the profile list that another module's tables answer: a segment's members, RFM cells, lifecycle stages. */
export interface AudienceFilter {
  segment?: string;
  rfmCell?: string[];
  lifecycleStage?: string[];
}

/**
 * Turns an {@link AudienceFilter} into profile-id subqueries (`id in (...)` each), or says which
 * part of it is wrong (a port the root fills with segments' `audienceSubqueries`).
 */
export type ProfileAudiencePort = (
  workspaceId: string,
  filter: AudienceFilter,
) => Promise<{ ok: true; subqueries: Expression<unknown>[] } | { ok: false; field: string; message: string }>;

const NO_MODELS: ProfileModels = { rfm: null, lifecycle: null, communityRole: null };

/** A profile as the management API shows it (times as ISO strings). */
export interface ProfileView {
  id: string;
  identifiers: { type: string; value: string | null; firstSeenAt: string }[];
  traits: Record<string, unknown>;
  tags: AttachedTag[];
  /** Net of refunds and cancellations: orderCount, totalSpentFen (= grossSpentFen − refundedFen), purchase times. */
  aggregates: {
    orderCount: number;
    totalSpentFen: number;
    grossSpentFen: number;
    refundedFen: number;
    firstPurchaseAt: string | null;
    lastPurchaseAt: string | null;
  };
  consent: Record<string, { granted: boolean; at: string }>;
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  createdAt: string;
  updatedAt: string;
  mergedIds: string[];
}

/** One timeline event as shown. */
export interface TimelineEvent {
  messageId: string;
  type: string;
  event: string | null;
  timestamp: string;
  receivedAt: string;
  payload: Record<string, unknown>;
}

export type { Page } from '../platform/paging.js';

/** Traits that the free-text search `q` looks into. */
const NAME_TRAITS = ['name', 'firstName', 'lastName', 'username', 'nickname'];

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** A `[number, text]` cursor of this module's newest-first lists. */
const decodePair = (cursor: string) => decodeCursor(cursor, ['n', 's']) as [number, string];

function describeTypes(rules: RuleBook): string {
  return rules.rules.map((r) => (r.type.endsWith(':*') ? r.type.replace(':*', ':<appid>') : r.type)).join(', ');
}

/** Turns `type:value` into the stored (type, key) form: normalised, and keyed-hashed for PII. */
async function identifierKey(deps: ProfileDeps, ws: string, ref: string, where: string): Promise<{ type: string; key: string; value: string }> {
  const rules = await deps.rulesFor(ws);
  const parsed = parseIdentifierRef(ref, rules);
  if (!parsed) {
    throw new CdpError(
      'IDENTIFIER_INVALID',
      `${where} "${ref}" is neither a profile id (prf_...) nor an identifier type:value; known types: ${describeTypes(rules)}`,
    );
  }
  const value = normaliseIdentifier(parsed.type, parsed.rawValue, deps.defaultRegion);
  if (value === undefined) {
    const hint =
      parsed.type === 'phone'
        ? ' (a phone number, e.g. 13800138000 or +8613800138000)'
        : parsed.type === 'email'
          ? ' (an email address)'
          : ' (placeholders such as "null" or "0" never identify anyone)';
    throw new CdpError('IDENTIFIER_INVALID', `${where}: "${parsed.rawValue}" is not a usable ${parsed.type} value${hint}`);
  }
  return { type: parsed.type, value, key: storedKey(rules, await deps.cipher.forWorkspace(ws), parsed.type, value) };
}

/**
 * Resolves a profile reference — a profile id (merged ids redirect to the survivor) or an
 * identifier `type:value` — to the live profile id in this workspace; PROFILE_NOT_FOUND otherwise.
 */
export async function resolveProfileRef(deps: ProfileDeps, ws: string, ref: string): Promise<string> {
  const db = deps.database.db;
  if (ref.startsWith('prf_')) {
    const live = await resolveProfileId(db, ws, ref);
    if (live === undefined) throw new CdpError('PROFILE_NOT_FOUND', `no profile ${ref} in this workspace`);
    return live;
  }
  const { type, key, value } = await identifierKey(deps, ws, ref, 'profile reference');
  const owner = await findProfileByIdentifier(db, ws, type, key);
  const live = owner === undefined ? undefined : await resolveProfileId(db, ws, owner);
  if (live === undefined) throw new CdpError('PROFILE_NOT_FOUND', `no profile with ${type} "${value}" in this workspace`);
  return live;
}

/**
 * Consent given anew by an erased person (issue #19, tombstones): when `ref` is an identifier that
 * nobody holds and that is tombstoned, the tombstone is lifted and a fresh profile holding the
 * identifier is made (an `identify` through the ingest writer, its payload without the value);
 * answers its id. Undefined for anything else (a profile id, a held or never-erased identifier).
 */
export async function reviveErasedIdentifier(deps: ProfileDeps & { writer: IngestWriter }, ws: string, ref: string): Promise<string | undefined> {
  if (ref.startsWith('prf_')) return undefined;
  const { type, key, value } = await identifierKey(deps, ws, ref, 'profile reference');
  const db = deps.database.db;
  if ((await findProfileByIdentifier(db, ws, type, key)) !== undefined) return undefined;
  if (!(await liftTombstone(deps.database, await deps.cipher.forWorkspace(ws), ws, type, value))) return undefined;
  const now = deps.now();
  const event: TrackedEvent = {
    messageId: newId('msg', now),
    type: 'identify',
    event: null,
    userId: type === 'user_id' ? value : null,
    anonymousId: null,
    timestamp: now,
    receivedAt: now,
    payload: JSON.stringify({ type: 'identify', context: { siyu: 'consent given anew after erasure' } }),
    identifiers: [{ type, value }],
  };
  await deps.writer.submit(ws, [event]);
  const owner = await findProfileByIdentifier(db, ws, type, key);
  return owner === undefined ? undefined : resolveProfileId(db, ws, owner);
}

function toView(rec: ProfileRecord, cipher: PiiCipher): ProfileView {
  const p = rec.state;
  return {
    id: p.id,
    identifiers: rec.storedIdentifiers.map((i) => ({
      type: i.type,
      // PII identifiers keep only a keyed hash besides the ciphertext; others are stored as they are.
      value: i.valueEnc !== null ? cipher.decrypt(i.valueEnc) : i.key,
      firstSeenAt: iso(i.firstSeenAt),
    })),
    traits: p.traits,
    tags: rec.tags,
    aggregates: {
      orderCount: p.orderCount,
      totalSpentFen: p.totalSpentFen,
      grossSpentFen: p.grossSpentFen,
      refundedFen: p.refundedFen,
      firstPurchaseAt: isoOrNull(p.firstPurchaseAt),
      lastPurchaseAt: isoOrNull(p.lastPurchaseAt),
    },
    consent: Object.fromEntries(Object.entries(p.consent).map(([k, c]) => [k, { granted: c.granted, at: iso(c.at) }])),
    firstSeenAt: isoOrNull(p.firstSeenAt),
    lastSeenAt: isoOrNull(p.lastSeenAt),
    createdAt: iso(p.createdAt),
    updatedAt: iso(rec.updatedAt),
    mergedIds: rec.mergedIds,
  };
}

async function viewOf(deps: ProfileDeps, ws: string, id: string): Promise<ProfileView> {
  const [rec] = await loadProfileRecords(deps.database.db, ws, [id]);
  // Merged between resolving and loading: the caller may retry with the same reference.
  if (!rec) throw new CdpError('PROFILE_NOT_FOUND', `profile ${id} was merged or removed while being read; retry`);
  return toView(rec, await deps.cipher.forWorkspace(ws));
}

const toEvent = (r: TimelineRow): TimelineEvent => ({
  messageId: r.messageId,
  type: r.type,
  event: r.event,
  timestamp: iso(r.timestamp),
  receivedAt: iso(r.receivedAt),
  payload: r.payload,
});

async function timelinePage(
  deps: ProfileDeps,
  ws: string,
  id: string,
  q: { limit: number; cursor?: string; type?: string; event?: string },
): Promise<Page<TimelineEvent>> {
  const before = q.cursor === undefined ? undefined : decodePair(q.cursor);
  const opts = { limit: q.limit + 1, before: before && { timestamp: before[0], messageId: before[1] }, type: q.type, event: q.event };
  let rows = await listTimeline(deps.database.db, ws, id, opts);
  if (deps.timelineSources?.length) {
    const ids = [id, ...(await mergedIdsOf(deps.database.db, ws, id))];
    for (const source of deps.timelineSources) rows = rows.concat(await source(deps.database.db, ws, ids, opts));
    rows.sort((a, b) => b.timestamp - a.timestamp || (a.messageId < b.messageId ? 1 : a.messageId > b.messageId ? -1 : 0));
    rows = rows.slice(0, opts.limit);
  }
  return pageOf(rows, q.limit, toEvent, (r) => [r.timestamp, r.messageId]);
}

/** A profile by reference, with what the segmentation models computed for it and the first page (newest first) of its timeline. */
export async function getProfile(
  deps: ProfileDeps,
  ws: string,
  ref: string,
  timelineLimit = 20,
): Promise<ProfileView & { models: ProfileModels; timeline: Page<TimelineEvent> }> {
  const id = await resolveProfileRef(deps, ws, ref);
  const view = await viewOf(deps, ws, id);
  const models = deps.modelsOf ? await deps.modelsOf(ws, id) : NO_MODELS;
  return { ...view, models, timeline: await timelinePage(deps, ws, id, { limit: timelineLimit }) };
}

/** A page of a profile's timeline, newest first, optionally of one call type or event name. */
export async function getTimeline(
  deps: ProfileDeps,
  ws: string,
  ref: string,
  q: { limit: number; cursor?: string; type?: string; event?: string },
): Promise<Page<TimelineEvent>> {
  return timelinePage(deps, ws, await resolveProfileRef(deps, ws, ref), q);
}

/** Query of the profile list. */
export interface ListProfilesQuery {
  limit: number;
  cursor?: string;
  identifier?: string;
  trait?: string[];
  tag?: string[];
  q?: string;
  segment?: string;
  rfmCell?: string[];
  lifecycleStage?: string[];
}

/** Lists live profiles by id, filtered by identifier, traits (AND), tags (AND), free text, a segment, RFM cells and lifecycle stages. */
export async function listProfiles(deps: ProfileDeps, ws: string, query: ListProfilesQuery): Promise<Page<ProfileView>> {
  const db = deps.database.db;
  const traits = (query.trait ?? []).map((t): [string, string] => {
    const colon = t.indexOf(':');
    if (colon <= 0) throw new CdpError('VALIDATION_FAILED', `trait filter "${t}" must be key:value, e.g. trait=plan:pro`);
    return [t.slice(0, colon), t.slice(colon + 1)];
  });
  const identifier = query.identifier === undefined ? undefined : await identifierKey(deps, ws, query.identifier, 'identifier');
  const tagSets: string[][] = [];
  for (const ref of query.tag ?? []) tagSets.push(await resolveTagRef(db, ws, ref));
  let q: { text: string; identifiers: { type: string; key: string }[]; traitKeys: string[] } | undefined;
  const text = query.q?.trim();
  if (text) {
    const rules = await deps.rulesFor(ws);
    const identifiers: { type: string; key: string }[] = [];
    const cipher = await deps.cipher.forWorkspace(ws);
    // Exact types only: families (openid:<appid>) are searched with identifier=.
    for (const r of rules.rules) {
      if (r.type.endsWith(':*')) continue;
      const value = normaliseIdentifier(r.type, text, deps.defaultRegion);
      if (value !== undefined) identifiers.push({ type: r.type, key: storedKey(rules, cipher, r.type, value) });
    }
    q = { text, identifiers, traitKeys: NAME_TRAITS };
  }
  const audience = await audienceOf(deps, ws, query);
  const ids = await listProfileIds(db, deps.database.dialect, ws, { identifier, traits, tagSets, q, audience, after: query.cursor, limit: query.limit + 1 });
  const pageIds = ids.slice(0, query.limit);
  const records = await loadProfileRecords(db, ws, pageIds);
  const cipher = await deps.cipher.forWorkspace(ws);
  return {
    data: records.map((r) => toView(r, cipher)),
    nextCursor: ids.length > query.limit ? pageIds[pageIds.length - 1]! : null,
  };
}

/** The profile-id subqueries of the list's segment, RFM cell and lifecycle filters (none without them). */
async function audienceOf(deps: ProfileDeps, ws: string, query: ListProfilesQuery): Promise<Expression<unknown>[]> {
  const filter: AudienceFilter = { segment: query.segment, rfmCell: query.rfmCell, lifecycleStage: query.lifecycleStage };
  if (filter.segment === undefined && !filter.rfmCell?.length && !filter.lifecycleStage?.length) return [];
  if (!deps.audienceOf)
    throw new CdpError('VALIDATION_FAILED', 'segment, rfmCell and lifecycleStage filters need the segments module, which this server does not run');
  const r = await deps.audienceOf(ws, filter);
  if (!r.ok) throw new CdpError('VALIDATION_FAILED', r.message, { field: r.field });
  return r.subqueries;
}

/**
 * Sets and unsets traits at time now, by the ingest path's rule (last write wins by time): a
 * trait last written by an event dated after now is left alone. Unsetting removes the key and
 * records now as its time, so an older event arriving later cannot bring it back. Runs in a
 * transaction holding the profile row, so it does not race the ingest writer.
 */
export async function patchTraits(deps: ProfileDeps, ws: string, ref: string, body: { set?: Record<string, unknown>; unset?: string[] }): Promise<ProfileView> {
  const set = body.set ?? {};
  const unset = [...new Set(body.unset ?? [])];
  if (Object.keys(set).length === 0 && unset.length === 0) {
    throw new CdpError('VALIDATION_FAILED', 'nothing to change: give "set" with at least one trait and/or "unset" with at least one key');
  }
  for (const k of Object.keys(set)) {
    if (k.trim() === '' || k.length > 200) throw new CdpError('VALIDATION_FAILED', `set: trait key ${JSON.stringify(k)} must be 1 to 200 characters`);
  }
  const both = unset.filter((k) => Object.hasOwn(set, k));
  if (both.length)
    throw new CdpError('VALIDATION_FAILED', `trait(s) ${both.map((k) => JSON.stringify(k)).join(', ')} appear in both set and unset; give each in one of them`);

  const first = await resolveProfileRef(deps, ws, ref);
  const { database } = deps;
  const id = await withRetries(database, () =>
    cdpDb(database.db)
      .transaction()
      .execute(async (trx) => {
        const now = deps.now();
        const live = await lockProfileFollowingMerges(trx, ws, first, now);
        if (live === undefined) throw new CdpError('PROFILE_NOT_FOUND', `no profile ${ref} in this workspace`);
        // The row is locked and live, so it is there.
        const state = (await loadProfileState(trx, ws, live))!;
        applyTraits(state, set, now);
        for (const k of unset) {
          const prev = state.traitTimes[k];
          if (prev !== undefined && prev > now) continue;
          delete state.traits[k];
          state.traitTimes[k] = now;
        }
        await writeTraits(trx, ws, live, state.traits, state.traitTimes, now);
        return live;
      }),
  );
  return viewOf(deps, ws, id);
}

/** A merge-history record as shown. */
export type MergeView = Omit<MergeRow, 'at'> & { at: string };

/** The merge history of a profile and of the profiles merged into it, newest first. */
export async function getMerges(deps: ProfileDeps, ws: string, ref: string, q: { limit: number; cursor?: string }): Promise<Page<MergeView>> {
  const db = deps.database.db;
  const id = await resolveProfileRef(deps, ws, ref);
  const before = q.cursor === undefined ? undefined : decodePair(q.cursor);
  const rows = await listMerges(db, ws, [id, ...(await mergedIdsOf(db, ws, id))], { limit: q.limit + 1, before: before && { at: before[0], id: before[1] } });
  return pageOf(
    rows,
    q.limit,
    (m) => ({ ...m, at: iso(m.at) }),
    (m) => [m.at, m.id],
  );
}
