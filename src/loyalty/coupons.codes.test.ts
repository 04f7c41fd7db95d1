import { afterEach, describe, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { CODE_ALPHABET, normaliseCode, randomCodes } from './coupons.codes.js';
import { insertWithCodes } from './coupons.issue.js';
import { findTemplate } from './coupons.repo.js';
import { couponsTestApp } from './testing/coupons-kit.js';

type App = Awaited<ReturnType<typeof couponsTestApp>>;
const START = Date.parse('2026-11-03T04:00:00Z');

describe('coupon codes', () => {
  it('use only the unambiguous alphabet, uniformly enough, and read back from how people type them', () => {
    expect(CODE_ALPHABET).not.toMatch(/[01ILO]/);
    expect(CODE_ALPHABET).toHaveLength(31);
    const codes = randomCodes(20_000, 'BD');
    expect(new Set(codes).size).toBe(20_000);
    for (const c of codes) expect(c).toMatch(/^BD[2-9A-HJKMNP-Z]{10}$/);
    // Each character appears about 200,000 / 31 ≈ 6,452 times (σ ≈ 79); a plain `byte % 31` would give the first 8 about 7,031.
    const counts = new Map<string, number>();
    for (const c of codes) for (const ch of c.slice(2)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    for (const n of counts.values()) expect(Math.abs(n - 200_000 / 31)).toBeLessThan(400);
    expect(normaliseCode(' bd7k-m9qp 3t2a ')).toBe('BD7KM9QP3T2A');
  });
});

describeEngines('bulk codes, claims by code and by link', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('generates unassigned codes within stock, idempotently, exports them by batch, and draws again for codes already taken', async () => {
    app = await couponsTestApp(engine, { clockStart: START });
    const t = await app.template({
      key: 'print',
      name: 'printed',
      kind: 'fixed',
      amountFen: 300,
      validity: { until: '2027-01-01T00:00:00+08:00' },
      stock: 3_010,
    });
    const gen = await app.call('POST', '/v1/loyalty/coupon-templates/print/codes', { count: 3_000, idempotencyKey: 'g1' });
    expect(gen.body).toMatchObject({ templateId: t.id, count: 3_000 });
    const again = await app.call('POST', '/v1/loyalty/coupon-templates/print/codes', { count: 3_000, idempotencyKey: 'g1' });
    expect([again.replayed, again.body.batchId]).toEqual([true, gen.body.batchId]);
    expect((await app.call('POST', '/v1/loyalty/coupon-templates/print/codes', { count: 5, idempotencyKey: 'g1' })).body.error.code).toBe(
      'IDEMPOTENCY_CONFLICT',
    );
    const over = await app.call('POST', '/v1/loyalty/coupon-templates/print/codes', { count: 11, idempotencyKey: 'g2' });
    expect(over.body.error).toMatchObject({ code: 'COUPON_OUT_OF_STOCK', details: { left: 10 } });

    const seen: any[] = [];
    for (let cursor: string | null = ''; cursor !== null;) {
      const page: any = await app.call(
        'GET',
        `/v1/loyalty/coupon-templates/${t.id}/coupons?status=unassigned&batch=${gen.body.batchId}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.data);
      cursor = page.body.nextCursor;
    }
    expect(seen).toHaveLength(3_000);
    expect(new Set(seen.map((c) => c.code)).size).toBe(3_000);
    expect(seen[0]).toMatchObject({ status: 'unassigned', profileId: null, channel: 'generated', validUntil: '2026-12-31T16:00:00.000Z' });
    expect((await app.call('GET', `/v1/loyalty/coupon-templates/${t.id}/stats`)).body).toMatchObject({ created: 3_000, unassigned: 3_000, issued: 0 });

    // Collision safety: a draw that first returns two codes already stored inserts only fresh ones.
    const taken = [seen[0].code, seen[1].code];
    let calls = 0;
    const draw = (n: number) => (calls++ === 0 ? [...taken, ...randomCodes(n - 2)] : randomCodes(n));
    const db = app.t.database;
    const rows = await db.db.transaction().execute(async (trx) => {
      const tpl = (await findTemplate(trx, db.dialect, app.t.workspaceId, t.id, true))!;
      const base = { workspace_id: app.t.workspaceId, template_id: t.id, profile_id: null, status: 'unassigned' as const, channel: 'generated' as const };
      const more = {
        issue_key: null,
        batch_id: 'test',
        reason: null,
        issued_at: null,
        valid_from: null,
        valid_until: null,
        redemption_id: null,
        voided_at: null,
        void_reason: null,
        created_at: START,
        updated_at: START,
      };
      return insertWithCodes(
        trx,
        db.dialect,
        tpl,
        [0, 1, 2, 3, 4].map((i) => ({ ...base, ...more, id: `cpn_test${i}` })),
        draw,
      );
    });
    expect(calls).toBe(2);
    expect(rows).toHaveLength(5);
    expect(rows.map((r) => r.code).filter((c) => taken.includes(c))).toEqual([]);

    // A bulk batch (on PostgreSQL first a plain insert in a savepoint) with taken codes in its first draw: the
    // plain insert is undone and the batch goes in again with its conflict clause; the transaction goes on.
    calls = 0;
    const bulk = await db.db.transaction().execute(async (trx) => {
      const tpl = (await findTemplate(trx, db.dialect, app.t.workspaceId, t.id, true))!;
      const base = { workspace_id: app.t.workspaceId, template_id: t.id, profile_id: null, status: 'unassigned' as const, channel: 'generated' as const };
      const rest = {
        issue_key: null,
        batch_id: 'bulk',
        reason: null,
        issued_at: null,
        valid_from: null,
        valid_until: null,
        redemption_id: null,
        voided_at: null,
      };
      const rows = Array.from({ length: 150 }, (_, i) => ({ ...base, ...rest, void_reason: null, created_at: START, updated_at: START, id: `cpn_bulk${i}` }));
      return insertWithCodes(trx, db.dialect, tpl, rows, draw);
    });
    expect(calls).toBe(2);
    expect(bulk).toHaveLength(150);
    expect(new Set(bulk.map((r) => r.code)).size).toBe(150);
    expect(bulk.map((r) => r.code).filter((c) => taken.includes(c))).toEqual([]);
    const stored = await db.db.selectFrom('coupons').select('id').where('workspace_id', '=', app.t.workspaceId).where('batch_id', '=', 'bulk').execute();
    expect(stored).toHaveLength(150);
  });

  it('a member claims a generated code (once), or redeems one directly; the template counts them as claimed', async () => {
    app = await couponsTestApp(engine, { clockStart: START });
    const p1 = await app.profile('u1');
    const p2 = await app.profile('u2');
    const t = await app.template({ key: 'g', name: 'shop flyer', kind: 'fixed', amountFen: 800, validity: { days: 10 }, perPersonLimit: 1 });
    await app.call('POST', '/v1/loyalty/coupon-templates/g/codes', { count: 3, idempotencyKey: 'g' });
    const codes = (await app.call('GET', `/v1/loyalty/coupon-templates/g/coupons`)).body.data.map((c: any) => c.code as string);
    const claim = await app.call('POST', '/v1/loyalty/coupons/claim', { profile: p1, code: codes[0].toLowerCase() });
    // Claimed at 12:00 on 11-03 Shanghai: 10 local days from the claim.
    expect(claim.body.coupon).toMatchObject({ profileId: p1, status: 'issued', channel: 'code', validUntil: '2026-11-12T16:00:00.000Z' });
    expect((await app.call('POST', '/v1/loyalty/coupons/claim', { profile: p1, code: codes[0] })).replayed).toBe(true);
    const stolen = await app.call('POST', '/v1/loyalty/coupons/claim', { profile: p2, code: codes[0] });
    expect([stolen.status, stolen.body.error.code]).toEqual([409, 'COUPON_ALREADY_CLAIMED']);
    expect((await app.call('POST', '/v1/loyalty/coupons/claim', { profile: p1, code: codes[1] })).body.error.code).toBe('COUPON_LIMIT_REACHED');
    expect((await app.call('POST', '/v1/loyalty/coupons/claim', { profile: p1 })).body.error.message).toBe(
      'give exactly one of token (a claim link) or code (a generated code)',
    );
    // Redeemed straight from paper by p2: it becomes p2's.
    const r = await app.call('POST', '/v1/loyalty/coupons/redeem', { code: codes[2], profile: p2, orderId: 'o1', orderAmountFen: 5000, idempotencyKey: 'r' });
    expect([r.status, r.body.redemption.profileId, r.body.redemption.discountFen]).toEqual([200, p2, 800]);
    expect((await app.couponEvents(p2)).map((e) => e.event)).toEqual(['Coupon Issued', 'Coupon Redeemed']);
    expect((await app.call('GET', `/v1/loyalty/coupon-templates/${t.id}/stats`)).body).toMatchObject({
      created: 3,
      unassigned: 1,
      issued: 2,
      claimed: 2,
      redeemed: 1,
      redemptionRate: 0.5,
    });
  });

  it('claim links: signed, one coupon per member per link, refused when edited, expired or from another workspace', async () => {
    app = await couponsTestApp(engine, { clockStart: START });
    const p = await app.profile('u1');
    await app.template({ key: 'l', name: 'link', kind: 'fixed', amountFen: 100, validity: { days: 1 } });
    const link = await app.call('POST', '/v1/loyalty/coupon-templates/l/claim-links', { expiresAt: '2026-11-10T00:00:00Z' });
    const token = link.body.token as string;
    const first = await app.call('POST', '/v1/loyalty/coupons/claim', { profile: p, token });
    expect(first.body.coupon).toMatchObject({ profileId: p, channel: 'claim_link', status: 'issued' });
    const again = await app.call('POST', '/v1/loyalty/coupons/claim', { profile: 'user_id:u1', token });
    expect([again.replayed, again.body.coupon.id]).toEqual([true, first.body.coupon.id]);

    const [body, sig] = token.split('.');
    const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), e: Date.parse('2030-01-01T00:00:00Z') })).toString(
      'base64url',
    );
    const forged = await app.call('POST', '/v1/loyalty/coupons/claim', { profile: p, token: `${edited}.${sig}` });
    expect([forged.status, forged.body.error.code]).toEqual([400, 'COUPON_CLAIM_LINK_INVALID']);
    const other = await app.t.newWorkspace('other');
    await app.call('POST', '/v1/loyalty/coupon-templates', { key: 'l', name: 'x', kind: 'fixed', amountFen: 1, validity: { days: 1 } }, other.secretKey);
    const elsewhere = await app.call('POST', '/v1/loyalty/coupons/claim', { profile: 'prf_x', token }, other.secretKey);
    expect(elsewhere.body.error.code).toBe('COUPON_CLAIM_LINK_INVALID');
    app.t.clock.set(Date.parse('2026-11-10T00:00:00Z'));
    const expired = await app.call('POST', '/v1/loyalty/coupons/claim', { profile: p, token });
    expect(expired.body.error).toMatchObject({ code: 'COUPON_CLAIM_LINK_INVALID', message: 'the claim link expired at 2026-11-10T00:00:00.000Z' });
    const past = await app.call('POST', '/v1/loyalty/coupon-templates/l/claim-links', { expiresAt: '2026-11-01T00:00:00Z' });
    expect(past.body.error.details).toEqual({ field: 'expiresAt' });
  });
});
