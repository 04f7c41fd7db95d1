/** The points API's operations: postings by profile reference (each its own transaction), balances and history. */
import { type Database, withRetries } from '../platform/db/database.js';
import { DAY_MS } from '../platform/time.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import type { LoyaltyDeps } from './deps.js';
import { LoyaltyError } from './errors.js';
import { entryFromRow, findAccount, num } from './ledger.repo.js';
import { type EntryView, entryView, type PointsSource, type PostingRequest, type PostingResult, postEntry } from './ledger.service.js';
import { defaultExpiry } from './settings.service.js';

/** A posting as the API takes it (the body of POST /v1/loyalty/points/earn|spend|adjust|clawback). */
export interface PostingBody {
  profile: string;
  points: number;
  reason: string;
  source?: { type: PointsSource['type']; id?: string | null };
  idempotencyKey: string;
  expiresAt?: string | null;
}

/** Parses an ISO-8601 time of the body (with an offset or Z) into epoch ms. */
function parseTime(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(value) || Number.isNaN(ms)) {
    throw new LoyaltyError('VALIDATION_FAILED', `${field} must be an ISO-8601 time with an offset or Z (e.g. 2027-12-31T16:00:00Z), got "${value}"`, { field });
  }
  return ms;
}

/** Posts one entry for the profile a reference names, in a transaction of its own (see {@link postWithRetries}). */
export async function postPoints(deps: LoyaltyDeps, ws: string, kind: PostingRequest['kind'], body: PostingBody): Promise<PostingResult> {
  const profileId = await deps.resolveProfile(ws, body.profile);
  const expiresAt = body.expiresAt === undefined ? undefined : body.expiresAt === null ? null : parseTime(body.expiresAt, 'expiresAt');
  if (expiresAt != null && kind !== 'earn' && !(kind === 'adjust' && body.points > 0)) {
    throw new LoyaltyError('VALIDATION_FAILED', 'expiresAt is for credits only (earn, or adjust with positive points)', { field: 'expiresAt' });
  }
  const req: PostingRequest = {
    workspaceId: ws,
    profileId,
    profileRef: body.profile,
    kind,
    points: body.points,
    reason: body.reason,
    source: { type: body.source?.type ?? 'api', id: body.source?.id ?? null },
    idempotencyKey: body.idempotencyKey,
    expiresAt,
  };
  // A credit that names no expiry (absent; `null` is "never") follows the workspace's policy, as the module's own awards do.
  if (expiresAt === undefined && body.points > 0 && (kind === 'earn' || kind === 'adjust')) {
    const tz = await workspaceTimeZone(deps.database.db, ws, deps.defaultTimeZone);
    req.defaultExpiresAt = await defaultExpiry(deps.database.db, ws, deps.now(), tz);
  }
  return postWithRetries(deps.database, req, deps.now);
}

/**
 * Posts in a transaction of its own on `database` (a credit upgrades the member's tier in it),
 * retried on a serialization failure or a concurrent insert of the same key in another member's
 * account (the retry then answers as a replay or a conflict).
 */
export function postWithRetries(database: Database, req: PostingRequest, now: () => number): Promise<PostingResult> {
  return withRetries(
    database,
    () =>
      // A credit upgrades the member's tier in this transaction (postEntry), not on the worker's next pass.
      database.db.transaction().execute((trx) => postEntry(trx, database.dialect, req, now())),
    8,
  );
}

/** A member's points now (GET /v1/profiles/:id/points). */
export interface PointsSummary {
  profileId: string;
  /** Points available now (credits past their expiry not counted, even before the expiry job removed them). */
  balance: number;
  pending: number;
  lifetimeEarned: number;
  /** Points expiring within `days`, by expiry time (earliest first). */
  expiringSoon: { days: number; points: number; lots: { points: number; expiresAt: string }[] };
}

/** The balance of a member, with the points expiring within `days` (default 30). */
export async function pointsSummary(deps: LoyaltyDeps, ws: string, ref: string, days: number): Promise<PointsSummary> {
  const profileId = await deps.resolveProfile(ws, ref);
  const db = deps.database.db;
  const now = deps.now();
  const account = await findAccount(db, ws, profileId);
  const lots = await db
    .selectFrom('loyalty_entries')
    .select(['remaining', 'expires_at'])
    .where('workspace_id', '=', ws)
    .where('profile_id', '=', profileId)
    .where('remaining', '>', 0)
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', now + days * DAY_MS)
    .orderBy('expires_at')
    .orderBy('seq')
    .execute();
  const overdue = lots.filter((l) => num(l.expires_at) <= now).reduce((s, l) => s + num(l.remaining), 0);
  const soon = lots.filter((l) => num(l.expires_at) > now).map((l) => ({ points: num(l.remaining), expiresAt: new Date(num(l.expires_at)).toISOString() }));
  return {
    profileId,
    balance: (account?.balance ?? 0) - overdue,
    pending: account?.pending ?? 0,
    lifetimeEarned: account?.lifetime_earned ?? 0,
    expiringSoon: { days, points: soon.reduce((s, l) => s + l.points, 0), lots: soon },
  };
}

/** A member's ledger entries, newest first, paged (GET /v1/profiles/:id/points/history). */
export async function pointsHistory(deps: LoyaltyDeps, ws: string, ref: string, opts: { limit: number; cursor?: string }): Promise<Page<EntryView>> {
  const profileId = await deps.resolveProfile(ws, ref);
  let q = deps.database.db.selectFrom('loyalty_entries').selectAll().where('workspace_id', '=', ws).where('profile_id', '=', profileId);
  if (opts.cursor) q = q.where(keysetAfter(['seq'], 'desc', decodeCursor(opts.cursor, ['n'])));
  const rows = (
    await q
      .orderBy('seq', 'desc')
      .limit(opts.limit + 1)
      .execute()
  ).map(entryFromRow);
  return pageOf(rows, opts.limit, entryView, (r) => [r.seq]);
}
