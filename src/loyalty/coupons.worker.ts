/**
 * The coupon reversal worker: a coupon used on an order is given back when the CDP says that order
 * was cancelled or fully refunded (`Order Cancelled`, `Order Refunded`; a partial refund keeps it).
 * Two paths, as the journey worker's listeners: fast, the `cdp.events-committed` notices of this
 * process; durable, a cursor per workspace over those events in storage order (`received_at`, in
 * `job_state`, locked with SKIP LOCKED so several processes share the work), re-reading an overlap
 * for events committed a moment after they were stored, so a refund sent hours after its event time
 * (an offline batch, another process) is still read. Reversal is idempotent: reading an event twice
 * reverses once.
 */
import type { Logger } from 'pino';
import { type CdpHubEvents, ORDER_EVENTS, orderAmounts, trackEventsReceivedAfter } from '../cdp/index.js';
import type { Database } from '../platform/db/database.js';
import { lockJobState, writeJobState } from '../platform/db/job-state.js';
import type { Hub } from '../platform/hub.js';
import { startLoop } from '../platform/loop.js';
import { listWorkspaceIds } from '../platform/workspaces.js';
import { reverseDeductionsForOrders } from './catalogue.checkout.js';
import { reverseForOrders } from './coupons.orders.js';
import type { Conn } from './ledger.repo.js';

/** What the worker needs. */
export interface CouponWorkerDeps {
  database: Database;
  now: () => number;
  log: Logger;
  hub: Hub<Pick<CdpHubEvents, 'cdp.events-committed'>>;
}

/** The worker of a process. */
export interface CouponWorker {
  /** One pass over every workspace (tests call it). Returns the redemptions reversed. */
  runOnce(): Promise<number>;
  wake(): void;
  stop(): Promise<void>;
}

/** Events read per page. */
const PAGE = 500;
/** The durable pass re-reads this much storage time before its cursor (events committed a moment after they were stored). */
export const OVERLAP_MS = 10 * 60_000;
const CURSOR = 'loyalty.coupon-reversals';

/**
 * Per event name, the last event read: `receivedAt` in storage order; a cursor of before 0042 has
 * only `timestamp` (event time), where the storage cursor starts from.
 */
type Cursor = Record<string, { timestamp: number; messageId: string; receivedAt?: number }>;

/** An order change as read from an event: the order it names and whether it cancels it. */
interface Change {
  orderId: string;
  cancel: boolean;
}

function changeOf(event: string | null, properties: unknown): Change | undefined {
  const id = (properties as { order_id?: unknown } | undefined)?.order_id;
  if ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '') return undefined;
  if (event === ORDER_EVENTS.cancelled) return { orderId: String(id), cancel: true };
  if (event === ORDER_EVENTS.refunded) return { orderId: String(id), cancel: false };
  return undefined;
}

/** Reverses the coupons on the orders these changes leave cancelled or fully refunded (as the CDP now holds them). */
async function applyChanges(trx: Conn, database: Database, ws: string, changes: Change[], now: number): Promise<number> {
  if (changes.length === 0) return 0;
  const amounts = await orderAmounts(trx, ws, [...new Set(changes.map((c) => c.orderId))]);
  const ended = new Map<string, string>();
  for (const c of changes) {
    const status = amounts.get(c.orderId)?.status;
    if (status === 'cancelled' || (c.cancel && status === undefined)) ended.set(c.orderId, 'order cancelled');
    else if (status === 'refunded') ended.set(c.orderId, 'order refunded');
  }
  const orders = [...ended].map(([orderId, reason]) => ({ orderId, reason }));
  // Points deducted at checkout come back on the same signal (catalogue.checkout.ts).
  await reverseDeductionsForOrders(trx, database.dialect, ws, orders, now);
  return reverseForOrders(trx, database.dialect, ws, orders, now);
}

/** One workspace's durable pass: both events' pages after the cursor (less the overlap), then the cursor moves on. */
async function workspacePass(deps: CouponWorkerDeps, ws: string): Promise<number> {
  const db = deps.database;
  return db.db.transaction().execute(async (trx) => {
    const cursor = await lockJobState<Cursor>(trx, db.dialect, ws, CURSOR, {}, deps.now(), { skipLocked: true });
    if (cursor === undefined) return 0; // another process is on it
    const before = JSON.stringify(cursor);
    let n = 0;
    for (const event of [ORDER_EVENTS.refunded, ORDER_EVENTS.cancelled]) {
      const at = cursor[event];
      let after = at ? { receivedAt: (at.receivedAt ?? at.timestamp) - OVERLAP_MS, messageId: '' } : { receivedAt: -1, messageId: '' };
      for (;;) {
        const rows = await trackEventsReceivedAfter(trx, ws, event, after, PAGE);
        const changes = rows.map((r) => changeOf(r.event, r.payload.properties)).filter((c): c is Change => c !== undefined);
        n += await applyChanges(trx, db, ws, changes, deps.now());
        const last = rows[rows.length - 1];
        const prev = cursor[event];
        if (last && (!prev || last.receivedAt > (prev.receivedAt ?? prev.timestamp)))
          cursor[event] = { timestamp: last.timestamp, messageId: last.messageId, receivedAt: last.receivedAt };
        if (rows.length < PAGE) break;
        after = { receivedAt: last!.receivedAt, messageId: last!.messageId };
      }
      // Nothing of this name yet: later passes start from now (less the overlap), not from the beginning again.
      cursor[event] ??= { timestamp: deps.now(), messageId: '', receivedAt: deps.now() };
    }
    // Written only when it moved: an idle workspace's pass stays a read.
    if (JSON.stringify(cursor) !== before) await writeJobState(trx, ws, CURSOR, cursor, deps.now());
    return n;
  });
}

/** Creates the worker (idle until woken; tests drive runOnce). */
export function createCouponWorker(deps: CouponWorkerDeps, opts: { pollMs?: number } = {}): CouponWorker & { hear(ws: string, changes: Change[]): void } {
  const heard = new Map<string, Change[]>();

  async function runOnce(): Promise<number> {
    let n = 0;
    // The fast path first: changes this process committed, whatever their event time.
    for (const [ws, changes] of [...heard]) {
      heard.delete(ws);
      n += await deps.database.db.transaction().execute((trx) => applyChanges(trx, deps.database, ws, changes, deps.now()));
    }
    for (const ws of await listWorkspaceIds(deps.database.db)) n += await workspacePass(deps, ws);
    return n;
  }

  const loop = startLoop({
    pass: async () => {
      await runOnce();
    },
    idleMs: opts.pollMs ?? 5_000,
    log: deps.log,
    failed: 'coupon reversal pass failed',
  });
  return {
    runOnce: () => loop.exclusive(runOnce),
    wake: loop.wake,
    stop: loop.stop,
    hear(ws, changes) {
      heard.set(ws, [...(heard.get(ws) ?? []), ...changes]);
      loop.schedule(50);
    },
  };
}

/** Starts the worker: a pass now, then on its timer and soon after this process commits an order refund or cancellation. */
export function startCouponWorker(deps: CouponWorkerDeps, opts: { pollMs?: number } = {}): CouponWorker {
  const w = createCouponWorker(deps, opts);
  const unsubscribe = deps.hub.on('cdp.events-committed', ({ workspaceId, events }) => {
    const changes = events.map((e) => (e.orderChange ? { orderId: e.orderChange.orderId, cancel: e.orderChange.kind === 'cancel' } : undefined));
    const relevant = changes.filter((c, i): c is Change => c !== undefined && events[i]!.orderChange!.kind !== 'update');
    if (relevant.length > 0) w.hear(workspaceId, relevant);
  });
  w.wake();
  return {
    runOnce: w.runOnce,
    wake: w.wake,
    stop: async () => {
      unsubscribe();
      await w.stop();
    },
  };
}
