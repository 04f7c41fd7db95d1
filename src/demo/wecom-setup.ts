/**
 * The demo brand's WeCom, set up as an operator and WeCom would: a sandbox corp holding the
 * brand's staff, contacts and groups (wecom.ts plans it), the workspace's WeCom connection to it,
 * a live code per store and the toy line's poster (scrm creates their contact ways in the corp),
 * the year's contacts that came through those codes, a full sync (staff, tags, contacts linked to
 * their profiles by unionid, groups), then the customers who scan a code today: each scan is the
 * callback WeCom POSTs, accepted and applied as the callback URL and the inbox worker do, so the
 * live codes attribute them, send their welcome and tag them.
 */
import {
  type Scrm,
  type SyncResult,
  acceptCallback,
  callbackDeps,
  createLiveCode,
  inboxDeps,
  liveDepsOf,
  pendingInboxRows,
  processInboxBatch,
  runFullSync,
  saveConnection,
} from '../scrm/index.js';
import type { DemoDeps } from './deps.js';
import type { DemoData } from './generate.js';
import type { DemoWeComSandbox } from './sandboxes.js';
import type { SetupProgress } from './setup.js';
import { inTurns, sideBySide } from './turns.js';
import { planWeCom, type WeComPlan } from './wecom.js';

/** What the WeCom part of the demo made. */
export interface DemoWeComSummary {
  corpId: string;
  /** The sandbox's address (the workspace's connection points at it). */
  apiBaseUrl: string;
  staff: number;
  contacts: number;
  relations: number;
  groups: number;
  groupMembers: number;
  liveCodes: number;
  /** Customers who scanned a live code while the demo loaded (callbacks accepted). */
  scans: number;
}

/** How long the demo waits for its callbacks to be applied (by itself or a running inbox worker). */
const INBOX_WAIT_MS = 60_000;

/** Applies the workspace's queued callbacks (any workspace's the batches claim) until none is pending. */
async function drainInbox(scrm: Scrm, ws: string): Promise<void> {
  const deps = inboxDeps(scrm, { batchSize: 5 });
  // Inbox processors claim different rows (SKIP LOCKED on PostgreSQL), so callbacks are applied side by side.
  await Promise.all(Array.from({ length: sideBySide(scrm.database) }, () => drainOne(scrm, deps, ws)));
}

async function drainOne(scrm: Scrm, deps: ReturnType<typeof inboxDeps>, ws: string): Promise<void> {
  const deadline = Date.now() + INBOX_WAIT_MS;
  for (;;) {
    const pass = await processInboxBatch(deps);
    if (pass.claimed > 0) continue;
    // Nothing due: done, or rows another process's worker holds (or backed off after a failure).
    if ((await pendingInboxRows(scrm.database.db, ws)) === 0) return;
    if (Date.now() > deadline) {
      scrm.log.warn({ workspaceId: ws }, 'demo: some WeCom callbacks are still pending; the inbox worker applies them later');
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What connecting and syncing made, for the scans that follow. */
export interface WeComSynced {
  plan: WeComPlan;
  sb: DemoWeComSandbox;
  codes: Map<string, { state: string; configId: string | null }>;
  sync: SyncResult;
}

/**
 * The brand's corp in a sandbox, the workspace connected to it, the live codes, the year's
 * contacts through them, and a full sync; null when this process has no sandbox to hold the corp.
 * It needs the customers' profiles (the sync links contacts to them by unionid), not their orders:
 * the demo runs it beside the orders import.
 */
export async function connectWeCom(deps: DemoDeps, ws: string, data: DemoData, seed: number, progress: SetupProgress): Promise<WeComSynced | null> {
  if (!deps.sandboxes) return null;
  const plan = planWeCom(data, seed, deps.now());
  const total = plan.history.length + plan.corp.relations.length;
  progress('wecom', 0, total);
  const sb = await deps.sandboxes.openWeCom(plan.corp);
  await saveConnection(deps.scrm, ws, sb.connection);
  deps.scrm.connections.invalidate(ws);

  const live = liveDepsOf(deps.scrm);
  const codes = new Map<string, { state: string; configId: string | null }>();
  await inTurns(plan.codes, sideBySide(deps.scrm.database), async (c) => {
    const code = await createLiveCode(live, ws, {
      name: c.name,
      channel: c.channel,
      staff: c.staff,
      strategy: 'round_robin',
      tags: [c.tag],
      welcome: { text: c.welcome, nameFallback: '朋友' },
      skipVerify: true,
    });
    codes.set(c.key, code);
  });
  sb.addRelations(plan.history.map(({ code, ...r }) => ({ ...r, state: codes.get(code)!.state })));

  const sync = await runFullSync({
    db: deps.scrm.database.db,
    dialect: deps.scrm.database.dialect,
    writer: deps.cdp.writer,
    client: await deps.scrm.connections.clientFor(ws),
    workspaceId: ws,
    corpId: sb.connection.corpId,
    now: deps.now,
    log: deps.scrm.log,
    onProgress: (p) => progress('wecom', p.phase === 'contacts' ? p.done : p.phase === 'groups' ? total : 0, total),
  });
  progress('wecom', total, total);
  return { plan, sb, codes, sync };
}

/**
 * Today's scans: each customer's scan is WeCom's callback, accepted and applied as the callback
 * URL and the inbox worker do. In rounds of one scan per code, each round applied before the next:
 * a code's next scan goes to the staff member its round robin moved on to, and welcomes go within
 * WeCom's 20 s.
 */
export async function scanLiveCodes(deps: DemoDeps, ws: string, w: WeComSynced, progress: SetupProgress): Promise<DemoWeComSummary> {
  const { plan, sb, codes, sync } = w;
  const accept = callbackDeps(deps.scrm);
  const rounds = new Map<string, number>();
  const byRound: (typeof plan.scans)[] = [];
  for (const s of plan.scans) {
    const r = rounds.get(s.code) ?? 0;
    rounds.set(s.code, r + 1);
    (byRound[r] ??= []).push(s);
  }
  let done = 0;
  for (const round of byRound) {
    progress('scans', done, plan.scans.length);
    for (const s of round) {
      const sealed = sb.scan(codes.get(s.code)!.configId!, s.customer);
      await acceptCallback(accept, ws, sealed.query, sealed.body);
    }
    await drainInbox(deps.scrm, ws);
    done += round.length;
  }
  progress('scans', done, plan.scans.length);
  return {
    corpId: sb.connection.corpId,
    apiBaseUrl: sb.connection.apiBaseUrl,
    staff: sync.staff,
    contacts: sync.contacts,
    relations: sync.relations,
    groups: sync.groups,
    groupMembers: sync.groupMembers,
    liveCodes: codes.size,
    scans: plan.scans.length,
  };
}
