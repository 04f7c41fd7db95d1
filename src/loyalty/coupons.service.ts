/** The coupon API's operations besides redemption: issue, claim (by link or code), bulk codes, claim links, and the lists of coupons. */
import { createHash } from 'node:crypto';
import { mergedIdsOf } from '../cdp/index.js';
import { insertJobStateIfAbsent, readJobState } from '../platform/db/job-state.js';
import { withRetries } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { normaliseCode } from './coupons.codes.js';
import { assignInTrx, checkCanIssue, insertWithCodes, issueInTrx } from './coupons.issue.js';
import { type CouponRow, bumpCreated, couponFromRow, findCouponByCode, findTemplate } from './coupons.repo.js';
import type { CouponStatus, IssueChannel } from './coupons.tables.js';
import { notFound, parseTime, requireTemplate } from './coupons.templates.js';
import type { LoyaltyDeps } from './deps.js';
import { LoyaltyError } from './errors.js';

/** A coupon as the API answers it. */
export interface CouponView {
  id: string;
  code: string;
  templateId: string;
  profileId: string | null;
  status: CouponStatus;
  /** True when it is issued and past the end of its validity. */
  expired: boolean;
  channel: IssueChannel;
  reason: string | null;
  issuedAt: string | null;
  validFrom: string | null;
  validUntil: string | null;
  /** The redemption in force, while redeemed. */
  redemptionId: string | null;
  /** When and why it was voided (taken back unused), or null. */
  voidedAt: string | null;
  voidReason: string | null;
  createdAt: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A coupon row as the API shows it. */
export function couponView(c: CouponRow, now: number): CouponView {
  return {
    id: c.id,
    code: c.code,
    templateId: c.template_id,
    profileId: c.profile_id,
    status: c.status,
    expired: c.status === 'issued' && c.valid_until !== null && c.valid_until <= now,
    channel: c.channel,
    reason: c.reason,
    issuedAt: iso(c.issued_at),
    validFrom: iso(c.valid_from),
    validUntil: iso(c.valid_until),
    redemptionId: c.redemption_id,
    voidedAt: iso(c.voided_at),
    voidReason: c.void_reason,
    createdAt: iso(c.created_at)!,
  };
}

/** An issue as the API takes it. */
export interface IssueBody {
  template: string;
  profile: string;
  idempotencyKey: string;
  reason?: string;
}

/** Issues a coupon of a template to the member a reference names (idempotent by key). */
export async function issueCoupon(deps: LoyaltyDeps, ws: string, b: IssueBody): Promise<{ coupon: CouponView; replayed: boolean }> {
  const profileId = await deps.resolveProfile(ws, b.profile);
  const db = deps.database;
  const tz = await workspaceTimeZone(db.db, ws, deps.defaultTimeZone);
  const r = await withRetries(db, () =>
    db.db.transaction().execute((trx) => {
      const req = {
        workspaceId: ws,
        profileId,
        template: b.template,
        channel: 'api' as const,
        idempotencyKey: b.idempotencyKey,
        reason: b.reason ?? null,
        timeZone: tz,
      };
      return issueInTrx(trx, db.dialect, req, deps.now());
    }),
  );
  return { coupon: couponView(r.coupon, deps.now()), replayed: r.replayed };
}

/** A bulk generation's answer. */
export interface CodeBatch {
  batchId: string;
  templateId: string;
  count: number;
}

/**
 * Creates `count` unassigned codes of a template in one transaction (inserted 5,000 at a time through
 * the dialect's insertMany); idempotent by key: the same request again answers the first batch.
 */
export async function generateCodes(
  deps: LoyaltyDeps,
  ws: string,
  ref: string,
  b: { count: number; idempotencyKey: string },
): Promise<CodeBatch & { replayed: boolean }> {
  const db = deps.database;
  return db.db.transaction().execute(async (trx) => {
    const t = await findTemplate(trx, db.dialect, ws, ref, true);
    if (!t) throw notFound(ref);
    const now = deps.now();
    const marker = `loyalty.coupon-codes:${b.idempotencyKey}`;
    const first = await readJobState<CodeBatch>(trx, ws, marker);
    if (first) {
      if (first.templateId !== t.id || first.count !== b.count) {
        throw new LoyaltyError(
          'IDEMPOTENCY_CONFLICT',
          `idempotency key "${b.idempotencyKey}" generated batch ${first.batchId} (${first.count} codes of ${first.templateId})`,
          {
            batchId: first.batchId,
          },
        );
      }
      return { ...first, replayed: true };
    }
    await checkCanIssue(trx, t, b.count);
    const batch: CodeBatch = { batchId: newId('cpb', now), templateId: t.id, count: b.count };
    const base = {
      workspace_id: ws,
      template_id: t.id,
      profile_id: null,
      status: 'unassigned' as const,
      channel: 'generated' as const,
      issue_key: null,
      batch_id: batch.batchId,
      reason: null,
      issued_at: null,
      valid_from: t.valid_from,
      valid_until: t.valid_until,
      redemption_id: null,
      voided_at: null,
      void_reason: null,
      created_at: now,
      updated_at: now,
    };
    // 5,000 rows a statement: on PostgreSQL one unnest per column array; measured in bench/coupons.ts.
    for (let i = 0; i < b.count; i += 5000) {
      const n = Math.min(5000, b.count - i);
      await insertWithCodes(
        trx,
        db.dialect,
        t,
        Array.from({ length: n }, () => ({ ...base, id: newId('cpn', now) })),
      );
    }
    await bumpCreated(trx, t, b.count, now);
    await insertJobStateIfAbsent(trx, ws, marker, batch, now);
    return { ...batch, replayed: false };
  });
}

/** A claim link's token payload. */
interface ClaimToken {
  k: 'coupon-claim';
  w: string;
  t: string;
  e: number;
}

/** Signs a claim link for a template: anyone holding it may claim one coupon of it per member until `expiresAt`. */
export async function createClaimLink(
  deps: LoyaltyDeps,
  ws: string,
  ref: string,
  b: { expiresAt: string },
): Promise<{ token: string; templateId: string; expiresAt: string }> {
  const t = await requireTemplate(deps, ws, ref);
  const e = parseTime(b.expiresAt, 'expiresAt');
  if (e <= deps.now()) throw new LoyaltyError('VALIDATION_FAILED', `expiresAt must be in the future, got ${b.expiresAt}`, { field: 'expiresAt' });
  const payload: ClaimToken = { k: 'coupon-claim', w: ws, t: t.id, e };
  return { token: deps.claimTokens.sign({ ...payload }), templateId: t.id, expiresAt: new Date(e).toISOString() };
}

/** The template a claim token names, checked: signed by this server, for this workspace, not expired. */
function claimTemplate(deps: LoyaltyDeps, ws: string, token: string): string {
  const v = deps.claimTokens.verify(token) as Partial<ClaimToken> | undefined;
  if (!v || v.k !== 'coupon-claim' || typeof v.t !== 'string' || typeof v.e !== 'number' || v.w !== ws) {
    throw new LoyaltyError('COUPON_CLAIM_LINK_INVALID', 'the claim token is not one this workspace signed (malformed, edited, or from another workspace)', {
      field: 'token',
    });
  }
  if (v.e <= deps.now()) {
    throw new LoyaltyError('COUPON_CLAIM_LINK_INVALID', `the claim link expired at ${new Date(v.e).toISOString()}`, {
      field: 'token',
      expiredAt: new Date(v.e).toISOString(),
    });
  }
  return v.t;
}

/**
 * A member claims a coupon: with a claim link's token (one coupon per member per link: claiming
 * again answers the same coupon), or with a generated code nobody holds yet.
 */
export async function claimCoupon(
  deps: LoyaltyDeps,
  ws: string,
  b: { profile: string; token?: string; code?: string },
): Promise<{ coupon: CouponView; replayed: boolean }> {
  if ((b.token === undefined) === (b.code === undefined))
    throw new LoyaltyError('VALIDATION_FAILED', 'give exactly one of token (a claim link) or code (a generated code)');
  // The token first: a link for another workspace or an edited one is refused whoever claims it.
  const template = b.token === undefined ? undefined : claimTemplate(deps, ws, b.token);
  const profileId = await deps.resolveProfile(ws, b.profile);
  const db = deps.database;
  const tz = await workspaceTimeZone(db.db, ws, deps.defaultTimeZone);
  if (b.token !== undefined && template !== undefined) {
    const key = `siyu:claim:${createHash('sha256').update(b.token).digest('base64url').slice(0, 22)}:${profileId}`;
    const req = { workspaceId: ws, profileId, template, channel: 'claim_link' as const, idempotencyKey: key, reason: 'claim link', timeZone: tz };
    const r = await withRetries(db, () => db.db.transaction().execute((trx) => issueInTrx(trx, db.dialect, req, deps.now())));
    return { coupon: couponView(r.coupon, deps.now()), replayed: r.replayed };
  }
  const code = normaliseCode(b.code!);
  return withRetries(db, () =>
    db.db.transaction().execute(async (trx) => {
      const c = await findCouponByCode(trx, db.dialect, ws, code, true);
      if (!c) throw new LoyaltyError('COUPON_NOT_FOUND', `no coupon with code ${code} in this workspace`, { code });
      if (c.status !== 'unassigned') {
        if (c.profile_id === profileId) return { coupon: couponView(c, deps.now()), replayed: true };
        throw new LoyaltyError('COUPON_ALREADY_CLAIMED', `coupon ${code} was already claimed by another member`, { code });
      }
      const now = deps.now();
      return { coupon: couponView(await assignInTrx(trx, db.dialect, c, profileId, tz, now), now), replayed: false };
    }),
  );
}

/** A member's coupons, newest first, optionally of one status (GET /v1/profiles/:id/coupons). */
export async function profileCoupons(
  deps: LoyaltyDeps,
  ws: string,
  ref: string,
  q: { limit: number; cursor?: string; status?: CouponStatus },
): Promise<Page<CouponView>> {
  const profileId = await deps.resolveProfile(ws, ref);
  return pageCoupons(deps, ws, { ...q, profileId });
}

/** A template's coupons, newest first (export of generated codes: `status=unassigned`, `batch=`). */
export async function templateCoupons(
  deps: LoyaltyDeps,
  ws: string,
  ref: string,
  q: { limit: number; cursor?: string; status?: CouponStatus; batch?: string },
): Promise<Page<CouponView>> {
  const t = await requireTemplate(deps, ws, ref);
  return pageCoupons(deps, ws, { ...q, templateId: t.id });
}

async function pageCoupons(
  deps: LoyaltyDeps,
  ws: string,
  q: { limit: number; cursor?: string; status?: CouponStatus; batch?: string; profileId?: string; templateId?: string },
): Promise<Page<CouponView>> {
  let sel = deps.database.db.selectFrom('coupons').selectAll().where('workspace_id', '=', ws);
  // A member's coupons include those of the profiles One ID merged into them.
  if (q.profileId !== undefined) sel = sel.where('profile_id', 'in', [q.profileId, ...(await mergedIdsOf(deps.database.db, ws, q.profileId))]);
  if (q.templateId !== undefined) sel = sel.where('template_id', '=', q.templateId);
  if (q.status !== undefined) sel = sel.where('status', '=', q.status);
  if (q.batch !== undefined) sel = sel.where('batch_id', '=', q.batch);
  if (q.cursor) sel = sel.where(keysetAfter(['id'], 'desc', decodeCursor(q.cursor, ['s'])));
  const rows = (
    await sel
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute()
  ).map(couponFromRow);
  const now = deps.now();
  return pageOf(
    rows,
    q.limit,
    (r) => couponView(r, now),
    (r) => [r.id],
  );
}
