import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines, openTestDatabase } from '../../test/support/engines.js';
import type { Database } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { DAY_MS } from '../platform/time.js';
import { expireDue, type PostingRequest, type PostingResult, postEntry } from './ledger.service.js';
import { verifyBalances } from './verify.js';

/** One step of a random sequence. */
type Op =
  | { op: 'earn'; points: number; days: number | null; order: number }
  | { op: 'spend'; points: number }
  | { op: 'adjust'; points: number; days: number | null }
  | { op: 'clawback'; points: number; order: number }
  | { op: 'expire'; days: number }
  | { op: 'replay'; pick: number };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('earn' as const),
    points: fc.integer({ min: 1, max: 500 }),
    days: fc.option(fc.integer({ min: 1, max: 30 })),
    order: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ op: fc.constant('spend' as const), points: fc.integer({ min: 1, max: 600 }) }),
  fc.record({
    op: fc.constant('adjust' as const),
    points: fc.integer({ min: -300, max: 300 }).filter((p) => p !== 0),
    days: fc.option(fc.integer({ min: 1, max: 30 })),
  }),
  fc.record({ op: fc.constant('clawback' as const), points: fc.integer({ min: 1, max: 600 }), order: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant('expire' as const), days: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ op: fc.constant('replay' as const), pick: fc.nat() }),
);

/** The reference: lots in posting order, each with what remains and when it expires. */
interface ModelLot {
  seq: number;
  entryId: string;
  remaining: number;
  expiresAt: number | null;
  order: string | null;
}

/** Debits' order: the claw back's own order first, then the earliest expiry (never last), then posting order. */
function consumeModel(lots: ModelLot[], points: number, order: string | null): void {
  const open = lots
    .filter((l) => l.remaining > 0)
    .sort(
      (a, b) =>
        Number(order === null || a.order !== order) - Number(order === null || b.order !== order) ||
        Number(a.expiresAt === null) - Number(b.expiresAt === null) ||
        (a.expiresAt ?? 0) - (b.expiresAt ?? 0) ||
        a.seq - b.seq,
    );
  let left = points;
  for (const l of open) {
    const take = Math.min(left, l.remaining);
    l.remaining -= take;
    left -= take;
  }
  expect(left).toBe(0);
}

describeEngines('the points ledger (property)', (engine) => {
  let database: Database;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const d = await openTestDatabase(engine);
    database = d;
    close = d.close;
  });
  afterAll(async () => close?.());

  it('over random earn/spend/adjust/claw back/expire sequences and replays: the cached balance is the sum of the entries and of the lots, never negative, spent earliest-expiring first; a replay changes nothing', async () => {
    const ws = 'ws_property';
    let run = 0;
    let refusals = 0;
    let replays = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(arbOp, { minLength: 1, maxLength: 25 }), async (ops) => {
        const profileId = `prf_p${engine}${run++}`;
        let now = Date.parse('2026-01-01T00:00:00Z');
        const lots: ModelLot[] = [];
        const done: { req: PostingRequest; result: PostingResult }[] = [];
        let seq = 0;
        const balance = () => lots.reduce((s, l) => s + l.remaining, 0);
        const expireModel = () => {
          for (const l of lots) if (l.expiresAt !== null && l.expiresAt <= now && l.remaining > 0) ((l.remaining = 0), seq++);
        };
        const post = (req: PostingRequest) => database.db.transaction().execute((trx) => postEntry(trx, database.dialect, req, now));
        for (const [i, o] of ops.entries()) {
          if (o.op === 'expire') {
            now += o.days * DAY_MS;
            await database.db.transaction().execute((trx) => expireDue(trx, database.dialect, ws, profileId, now));
            expireModel();
            continue;
          }
          if (o.op === 'replay') {
            if (done.length === 0) continue;
            const first = done[o.pick % done.length]!;
            const again = await post(first.req);
            expect(again).toEqual({ entry: first.result.entry, replayed: true });
            replays++;
            continue;
          }
          const points = o.points;
          const credit = o.op === 'earn' || (o.op === 'adjust' && points > 0);
          const days = 'days' in o ? o.days : null;
          const order = 'order' in o ? `o-${o.order}` : null;
          const req: PostingRequest = {
            workspaceId: ws,
            profileId,
            kind: o.op,
            points,
            reason: o.op,
            source: order ? { type: 'order', id: order } : { type: 'api', id: null },
            idempotencyKey: `${profileId}:${i}`,
            expiresAt: credit && days !== null ? now + days * DAY_MS : null,
          };
          expireModel(); // a posting expires what is due first
          const before = balance();
          const wanted = Math.abs(points);
          const refused = !credit && o.op !== 'clawback' && wanted > before;
          let result: PostingResult;
          try {
            result = await post(req);
          } catch (err) {
            expect(refused, `${o.op} ${points} with ${before}: ${(err as Error).message}`).toBe(true);
            expect((err as AppError).code).toBe('INSUFFICIENT_POINTS');
            refusals++;
            continue;
          }
          expect(refused).toBe(false);
          seq++;
          if (credit) lots.push({ seq, entryId: result.entry.id, remaining: points, expiresAt: req.expiresAt ?? null, order });
          else consumeModel(lots, Math.min(wanted, before), o.op === 'clawback' ? order : null);
          expect([result.entry.seq, result.entry.balanceAfter]).toEqual([seq, balance()]);
          done.push({ req, result });
        }
        // Storage against the model: the cache, the entries, the lots.
        const account = await database.db
          .selectFrom('loyalty_accounts')
          .selectAll()
          .where('workspace_id', '=', ws)
          .where('profile_id', '=', profileId)
          .executeTakeFirst();
        const entries = await database.db
          .selectFrom('loyalty_entries')
          .selectAll()
          .where('workspace_id', '=', ws)
          .where('profile_id', '=', profileId)
          .orderBy('seq')
          .execute();
        const sum = entries.reduce((s, e) => s + Number(e.amount), 0);
        expect(Number(account?.balance ?? 0)).toBe(balance());
        expect(sum).toBe(balance());
        expect(entries.map((e) => Number(e.seq))).toEqual(entries.map((_, k) => k + 1));
        for (const e of entries) expect(Number(e.balance_after)).toBeGreaterThanOrEqual(0);
        const remaining = Object.fromEntries(entries.filter((e) => e.remaining !== null).map((e) => [e.id, Number(e.remaining)]));
        expect(remaining).toEqual(Object.fromEntries(lots.map((l) => [l.entryId, l.remaining])));
      }),
      { numRuns: engine === 'sqlite' ? 60 : 30 },
    );
    const report = await verifyBalances(database.db, { workspaceId: ws });
    expect(report.mismatches).toEqual([]);
    expect(report.accounts).toBeGreaterThan(0);
    // The runs reached the refusals and the replays, not only the happy path.
    expect(refusals).toBeGreaterThan(0);
    expect(replays).toBeGreaterThan(0);
  });
});
