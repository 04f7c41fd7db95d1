/**
 * Issuing coupons: to a member (API, journeys' award step), by claim (a signed link, or a generated
 * code a member takes), and bulk generation of unassigned codes. Stock (the global limit) holds
 * however many requests run at once because an issue counts itself with a conditional update of the
 * template's row as its last statement; the per-person limit, because issues to one member of one
 * template take that member's lock first. An issue retried with its idempotency key answers the
 * first coupon.
 */
import { sql } from 'kysely';
import { recordSystemEvents } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { localParts, zonedToUtc } from '../platform/time.js';
import { randomCodes } from './coupons.codes.js';
import { type CouponRow, countHeld, findCouponByIssueKey, findTemplate, type TemplateRow, updateCoupon } from './coupons.repo.js';
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

/**
 * PostgreSQL, a bulk batch's first draw: a plain insert inside a savepoint, without `ON CONFLICT`
 * (its speculative insertion costs an index probe and a WAL record per row: 100,000 codes, see
 * bench/README.md, `coupons`). True when it went in; false, with nothing written, when some code
 * (or any other unique key) was taken: the caller inserts the batch again with its conflict clause.
 */
async function insertFresh(trx: Conn, dialect: Dialect, batch: Record<string, unknown>[]): Promise<boolean> {
  if (dialect.engine !== 'postgres' || batch.length < 100) return false;
  await sql`savepoint siyu_coupon_codes`.execute(trx);
  let written = true;
  try {
    await dialect.insertMany(trx, 'coupons', batch);
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err;
    await sql`rollback to savepoint siyu_coupon_codes`.execute(trx);
    written = false;
  }
  await sql`release savepoint siyu_coupon_codes`.execute(trx);
  return written;
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
    if (round === 0 && (await insertFresh(trx, dialect, batch))) {
      out.push(...batch);
      pending = pending.slice(batch.length);
      continue;
    }
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
 * Thrown when the template's stock ran out between an issue's check and its count (another process
 * issued the last ones): retryable, so the transaction runs again and then refuses with
 * COUPON_OUT_OF_STOCK before writing anything.
 */
export class StockRaceError extends Error {
  readonly code = 'SIYU_CONCURRENT_WRITE';
  constructor(templateId: string) {
    super(`coupon template ${templateId}: its stock ran out while this issue ran`);
  }
}

/** Holds the member's lock on a template until the transaction ends (PostgreSQL; SQLite's single writer needs none): per-person limits count under it. */
async function lockHolder(trx: Conn, dialect: Dialect, ws: string, templateId: string, profileId: string): Promise<void> {
  await dialect.advisoryXactLock(trx, `loyalty:coupon-holder:${ws}:${templateId}:${profileId}`);
}

/**
 * Counts `n` more coupons of a template as its last statement before the commit, only while within
 * stock: the template's row is then locked for the commit alone, not for the whole issue, so issues
 * of one template run side by side (measured in bench/coupons.ts). Throws StockRaceError when
 * the stock ran out meanwhile.
 */
async function countIssued(trx: Conn, t: TemplateRow, n: number, now: number): Promise<void> {
  const r = await trx
    .updateTable('coupon_templates')
    .set({ created_count: sql`created_count + ${n}`, updated_at: now })
    .where('workspace_id', '=', t.workspace_id)
    .where('id', '=', t.id)
    .where((eb) => eb.or([eb('stock', 'is', null), eb(sql`created_count + ${n}`, '<=', eb.ref('stock'))]))
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw new StockRaceError(t.id);
  t.created_count += n;
}

/**
 * Issues a coupon inside the caller's transaction: the first request with a key creates it (and its
 * "Coupon Issued" event); the same request again answers that coupon (`replayed`); the key used for
 * another member or template is IDEMPOTENCY_CONFLICT. Refusals throw before anything is written.
 */
export async function issueInTrx(trx: Conn, dialect: Dialect, req: IssueRequest, now: number): Promise<IssueResult> {
  const t = await findTemplate(trx, dialect, req.workspaceId, req.template);
  if (!t)
    throw new LoyaltyError('COUPON_TEMPLATE_NOT_FOUND', `no coupon template with id or key "${req.template}" in this workspace`, { template: req.template });
  if (t.per_person_limit !== null) await lockHolder(trx, dialect, req.workspaceId, t.id, req.profileId);
  // The same key sent twice at once (without a per-person lock): the unique index lets one through and the other is retried into a replay.
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
      voided_at: null,
      void_reason: null,
      created_at: now,
      updated_at: now,
    },
  ]);
  await recordIssued(trx, dialect, t, coupon!);
  await countIssued(trx, t, 1, now);
  return { coupon: coupon!, template: t, replayed: false };
}

/**
 * Gives a generated (unassigned) coupon to a member inside the caller's transaction, with the coupon
 * row already locked: checks the template's per-person limit, starts a relative validity window,
 * and records "Coupon Issued". Returns the coupon as it now is.
 */
export async function assignInTrx(trx: Conn, dialect: Dialect, c: CouponRow, profileId: string, tz: string, now: number): Promise<CouponRow> {
  const t = (await findTemplate(trx, dialect, c.workspace_id, c.template_id))!;
  if (t.per_person_limit !== null) {
    await lockHolder(trx, dialect, c.workspace_id, t.id, profileId);
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
