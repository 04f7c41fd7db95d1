/**
 * Issuing coupons: to a member (API, journeys' award step), by claim (a signed link, or a generated
 * code a member takes), and bulk generation of unassigned codes. Every issue holds its template's
 * row until it commits, so stock (the global limit) and the per-person limit hold however many
 * requests run at once; an issue retried with its idempotency key answers the first coupon.
 */
import { recordSystemEvents } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { localParts, zonedToUtc } from '../platform/time.js';
import { randomCodes } from './coupons.codes.js';
import { bumpCreated, type CouponRow, countHeld, findCouponByIssueKey, findTemplate, type TemplateRow, updateCoupon } from './coupons.repo.js';
import type { IssueChannel } from './coupons.tables.js';
import { LoyaltyError } from './errors.js';
import { COUPON_EVENTS } from './event-names.js';
import type { Conn } from './ledger.repo.js';

/** One issue of a coupon to a member. */
export interface IssueRequest {
  workspaceId: string;
  /** The live profile that receives it. */
  profileId: string;
  /** The template's id or key. */
  template: string;
  channel: Exclude<IssueChannel, 'generated' | 'code'>;
  idempotencyKey: string;
  reason: string | null;
  /** The workspace's time zone (a validity of N days counts local days). */
  timeZone: string;
}

/** An issued coupon and whether it is the first answer given again. */
export interface IssueResult {
  coupon: CouponRow;
  template: TemplateRow;
  replayed: boolean;
}

/**
 * The validity window of a coupon issued at `at`: the template's fixed dates, and with `days`, until
 * the end of the local day `days - 1` after the issue day (the issue day is day 1); the earlier end wins.
 */
export function windowFor(t: TemplateRow, at: number, tz: string): { valid_from: number | null; valid_until: number | null } {
  let until = t.valid_until;
  if (t.valid_days !== null) {
    // Three formatter calls (zonedToUtc), not startOfLocalDate's bisection: this runs on every issue.
    const p = localParts(at, tz);
    const end = zonedToUtc(p.year, p.month, p.day + t.valid_days, 0, 0, tz);
    until = until === null ? end : Math.min(until, end);
  }
  return { valid_from: t.valid_from, valid_until: until };
}

/** Checks a locked template can give `count` more coupons, one of them to `profileId` when given. */
export async function checkCanIssue(trx: Conn, t: TemplateRow, count: number, profileId?: string): Promise<void> {
  if (t.status !== 'active') {
    throw new LoyaltyError('COUPON_TEMPLATE_INACTIVE', `coupon template ${t.id} is ${t.status}: it issues no coupons until it is set active`, {
      templateId: t.id,
      status: t.status,
    });
  }
  if (t.stock !== null && t.created_count + count > t.stock) {
    throw new LoyaltyError(
      'COUPON_OUT_OF_STOCK',
      `coupon template ${t.id} has ${t.stock - t.created_count} of its ${t.stock} coupons left, ${count} asked for`,
      {
        templateId: t.id,
        stock: t.stock,
        left: t.stock - t.created_count,
      },
    );
  }
  if (profileId !== undefined && t.per_person_limit !== null) {
    const held = await countHeld(trx, t.workspace_id, t.id, profileId);
    if (held >= t.per_person_limit) {
      throw new LoyaltyError(
        'COUPON_LIMIT_REACHED',
        `member ${profileId} already has ${held} coupons of template ${t.id}, which allows ${t.per_person_limit} per person`,
        {
          templateId: t.id,
          held,
          limit: t.per_person_limit,
        },
      );
    }
  }
}

/** Inserts coupons with fresh codes, drawing again for any code already taken (ON CONFLICT DO NOTHING on the unique code). */
export async function insertWithCodes(
  trx: Conn,
  dialect: Dialect,
  t: TemplateRow,
  rows: Omit<CouponRow, 'code'>[],
  draw: (count: number, prefix: string) => string[] = randomCodes,
): Promise<CouponRow[]> {
  const out: CouponRow[] = [];
  let pending = rows;
  for (let round = 0; pending.length > 0; round++) {
    // 31^10 codes: a second round is already rare at 10^8 stored codes; ten in a row means something else is wrong.
    if (round === 10) throw new Error(`coupon codes of template ${t.id}: ${pending.length} still collide after 10 draws`);
    const codes = [...new Set(draw(pending.length, t.code_prefix))];
    const batch = pending.slice(0, codes.length).map((r, i) => ({ ...r, code: codes[i]! }));
    const written = await dialect.insertMany(trx, 'coupons', batch, { columns: ['workspace_id', 'code'], update: [] });
    if (written === batch.length) {
      out.push(...batch);
      pending = pending.slice(batch.length);
      continue;
    }
    // Some codes existed: keep the rows that went in, draw again for the others.
    const stored = new Set(
      (
        await trx
          .selectFrom('coupons')
          .select('id')
          .where('workspace_id', '=', t.workspace_id)
          .where(
            'id',
            'in',
            batch.map((b) => b.id),
          )
          .execute()
      ).map((r) => r.id),
    );
    out.push(...batch.filter((b) => stored.has(b.id)));
    pending = pending.filter((r) => !stored.has(r.id));
  }
  return out;
}

/**
 * Issues a coupon inside the caller's transaction: the first request with a key creates it (and its
 * "Coupon Issued" event); the same request again answers that coupon (`replayed`); the key used for
 * another member or template is IDEMPOTENCY_CONFLICT. Refusals throw before anything is written.
 */
export async function issueInTrx(trx: Conn, dialect: Dialect, req: IssueRequest, now: number): Promise<IssueResult> {
  const t = await findTemplate(trx, dialect, req.workspaceId, req.template, true);
  if (!t)
    throw new LoyaltyError('COUPON_TEMPLATE_NOT_FOUND', `no coupon template with id or key "${req.template}" in this workspace`, { template: req.template });
  // After the template's lock: a concurrent issue with this key for this template has committed or not begun.
  const first = await findCouponByIssueKey(trx, req.workspaceId, req.idempotencyKey);
  if (first) {
    if (first.template_id !== t.id || first.profile_id !== req.profileId) {
      throw new LoyaltyError(
        'IDEMPOTENCY_CONFLICT',
        `idempotency key "${req.idempotencyKey}" was used to issue coupon ${first.id} of template ${first.template_id} to ${first.profile_id}; use a new key for a new issue`,
        { couponId: first.id },
      );
    }
    return { coupon: first, template: t, replayed: true };
  }
  await checkCanIssue(trx, t, 1, req.profileId);
  const [coupon] = await insertWithCodes(trx, dialect, t, [
    {
      workspace_id: req.workspaceId,
      id: newId('cpn', now),
      template_id: t.id,
      profile_id: req.profileId,
      status: 'issued',
      channel: req.channel,
      issue_key: req.idempotencyKey,
      batch_id: null,
      reason: req.reason,
      issued_at: now,
      ...windowFor(t, now, req.timeZone),
      redemption_id: null,
      created_at: now,
      updated_at: now,
    },
  ]);
  await bumpCreated(trx, t, 1, now);
  await recordIssued(trx, dialect, t, coupon!);
  return { coupon: coupon!, template: t, replayed: false };
}

/**
 * Gives a generated (unassigned) coupon to a member inside the caller's transaction, with the coupon
 * row already locked: checks the template's per-person limit, starts a relative validity window,
 * and records "Coupon Issued". Returns the coupon as it now is.
 */
export async function assignInTrx(trx: Conn, dialect: Dialect, c: CouponRow, profileId: string, tz: string, now: number): Promise<CouponRow> {
  const t = (await findTemplate(trx, dialect, c.workspace_id, c.template_id, true))!;
  if (t.per_person_limit !== null) {
    const held = await countHeld(trx, c.workspace_id, t.id, profileId);
    if (held >= t.per_person_limit) {
      throw new LoyaltyError(
        'COUPON_LIMIT_REACHED',
        `member ${profileId} already has ${held} coupons of template ${t.id}, which allows ${t.per_person_limit} per person`,
        {
          templateId: t.id,
          held,
          limit: t.per_person_limit,
        },
      );
    }
  }
  const set = { profile_id: profileId, status: 'issued' as const, channel: 'code' as const, issued_at: now, ...windowFor(t, now, tz), updated_at: now };
  await updateCoupon(trx, c.workspace_id, c.id, set);
  const coupon = { ...c, ...set };
  await recordIssued(trx, dialect, t, coupon);
  return coupon;
}

/** Records "Coupon Issued" on the member's timeline (event id: the coupon's, so a retried transaction records it once). */
async function recordIssued(trx: Conn, dialect: Dialect, t: TemplateRow, c: CouponRow): Promise<void> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  await recordSystemEvents(trx, dialect, [
    {
      workspaceId: c.workspace_id,
      profileId: c.profile_id!,
      event: COUPON_EVENTS.issued,
      eventId: `${c.id}:issued`,
      at: c.issued_at!,
      properties: {
        coupon_id: c.id,
        code: c.code,
        template_id: t.id,
        template_key: t.key,
        template_name: t.name,
        kind: t.kind,
        channel: c.channel,
        reason: c.reason,
        valid_from: iso(c.valid_from),
        valid_until: iso(c.valid_until),
      },
    },
  ]);
}
