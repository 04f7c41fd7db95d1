/**
 * Loads the demo brand into an empty workspace: customers and a year of orders through cdp's
 * import (the same validation and identity resolution as any import), then models, segments,
 * templates, journeys and the morning broadcast through their owners. See docs/demo.md.
 */
import { Readable } from 'node:stream';
import { importDeps, type ImportKind, type ImportReport, liveProfilesQuery, runImport } from '../cdp/index.js';
import type { DemoDeps } from './deps.js';
import { DemoError } from './errors.js';
import { generateDemo } from './generate.js';
import { findSegment } from '../segments/index.js';
import { type DemoSend, setupSends } from './sends.js';
import { type SetupProgress, setupBroadcast, setupJourneys, setupSegments, setupSettings, setupTemplates } from './setup.js';
import { connectWeCom, type DemoWeComSummary, scanLiveCodes } from './wecom-setup.js';
import { type DemoLoyaltySummary, setupLoyalty } from './loyalty-setup.js';

/** The default scale and seed (docs/demo.md). */
export const DEMO_DEFAULTS = Object.freeze({ customers: 20_000, seed: 2026 });
/**
 * Rows per import chunk: 1,000 instead of an import's 250. An import keeps chunks small so a
 * tracking call never waits long behind it; the demo loads into an empty workspace once. Measured
 * at 20,000 customers on 2 shared cores (bench/README.md, "demo"): PostgreSQL 49.5 s and 58.1 s
 * against 62.1 s with 250-row chunks, SQLite 31.9 s against 38.9 s (noisy, but never slower).
 */
export const DEMO_IMPORT_CHUNK_ROWS = 1000;
/** The largest scale accepted (a demo, not a load test). */
export const DEMO_MAX_CUSTOMERS = 200_000;

/** How a load is asked for. */
export interface DemoOptions {
  customers?: number;
  seed?: number;
  /** Called as each phase advances (`done` of `total` units: rows, models, segments). */
  onProgress?: (phase: string, done: number, total: number) => void;
}

/** What a load made. */
export interface DemoSummary {
  workspaceId: string;
  seed: number;
  customers: number;
  profiles: number;
  orders: number;
  refundedOrders: number;
  segments: { id: string; name: string; memberCount: number }[];
  templates: string[];
  journeys: string[];
  /** Broadcasts scheduled (the next 8:00 push). */
  broadcasts: string[];
  /** The brand's WeCom in the sandbox: staff, contacts, groups, live codes, today's scans; null without a sandbox. */
  wecom: DemoWeComSummary | null;
  /** Broadcasts already sent, with their delivery results; empty without the stand-ins. */
  sends: DemoSend[];
  /** The membership: opening balances carried over, members their opening balance upgraded, the earning rule and a coupon template. */
  loyalty: DemoLoyaltySummary;
  /** What was left out and why (no sandbox in this process). */
  notes: string[];
  seconds: number;
}

const loading = new Set<string>();

/** Refuses a scale or seed outside what the demo accepts (the route's schema says the same). */
function checkOptions(opts: DemoOptions): { customers: number; seed: number } {
  const customers = opts.customers ?? DEMO_DEFAULTS.customers;
  const seed = opts.seed ?? DEMO_DEFAULTS.seed;
  if (!Number.isInteger(customers) || customers < 1 || customers > DEMO_MAX_CUSTOMERS)
    throw new DemoError('VALIDATION_FAILED', `customers must be a whole number from 1 to ${DEMO_MAX_CUSTOMERS} (got ${customers})`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new DemoError('VALIDATION_FAILED', `seed must be a whole number from 0 to 4294967295 (got ${seed})`);
  return { customers, seed };
}

/** Whether the workspace has any live profile. */
export async function workspaceHasProfiles(deps: Pick<DemoDeps, 'cdp'>, ws: string): Promise<boolean> {
  return (await liveProfilesQuery(deps.cdp.database.db, ws).limit(1).executeTakeFirst()) !== undefined;
}

/** Feeds generated rows to cdp's import as NDJSON. */
async function importRows(deps: DemoDeps, ws: string, kind: ImportKind, rows: unknown[], onProgress: DemoOptions['onProgress']): Promise<ImportReport> {
  const total = rows.length;
  return runImport(importDeps(deps.cdp), {
    workspaceId: ws,
    kind,
    format: 'ndjson',
    mode: 'skip-bad-rows',
    chunkRows: DEMO_IMPORT_CHUNK_ROWS,
    open: () =>
      Readable.from(
        (function* () {
          for (const r of rows) yield JSON.stringify(r) + '\n';
        })(),
      ),
    onProgress: (p) => onProgress?.(kind, p.imported, total),
  });
}

/**
 * The customers, then their orders with the WeCom sync beside them: WeCom needs the profiles, not
 * the orders (on PostgreSQL the database works on both at once). Its progress is told once the
 * orders are in.
 */
async function importAndSync(deps: DemoDeps, ws: string, data: ReturnType<typeof generateDemo>, seed: number, progress: SetupProgress) {
  const profiles = await importRows(deps, ws, 'profiles', data.profiles, progress);
  await deps.cdp.writer.drain();
  const wecomSynced = connectWeCom(deps, ws, data, seed, () => {});
  wecomSynced.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  let orders: ImportReport;
  try {
    orders = await importRows(deps, ws, 'orders', data.orders, progress);
  } catch (err) {
    await wecomSynced.catch(() => {}); // never leave it running behind an error
    throw err;
  }
  // The 'wecom' phase is the wait for the sync after the orders are in.
  if (deps.sandboxes) progress('wecom', 0, 1);
  const synced = await wecomSynced;
  if (synced) progress('wecom', 1, 1);
  await deps.cdp.writer.drain();
  return { profiles, orders, synced };
}

/** Loads the demo brand into workspace `ws`, which must have no profiles (DEMO_WORKSPACE_NOT_EMPTY). */
export async function loadDemo(deps: DemoDeps, ws: string, opts: DemoOptions = {}): Promise<DemoSummary> {
  const { customers, seed } = checkOptions(opts);
  if (loading.has(ws)) throw new DemoError('DEMO_ALREADY_LOADING', `the demo brand is already being loaded into workspace ${ws}; wait for it to finish`);
  loading.add(ws);
  try {
    if (await workspaceHasProfiles(deps, ws))
      throw new DemoError(
        'DEMO_WORKSPACE_NOT_EMPTY',
        `workspace ${ws} already has customers; the demo brand loads only into an empty workspace (create a new one for it)`,
      );
    const started = Date.now();
    const progress = opts.onProgress ?? (() => {});
    const data = generateDemo({ seed, customers, now: deps.now() });
    const { profiles, orders, synced } = await importAndSync(deps, ws, data, seed, progress);
    const segments = await setupSegments(deps, ws, progress);
    const templates = await setupTemplates(deps, ws);
    await setupSettings(deps, ws);
    const morning = segments.find((s) => s.name === '早咖啡常客')!;
    // WeCom and the sends before the journeys: once published, journeys send too, and their
    // messages would count against the customers' frequency caps before the broadcasts'.
    const wecom = synced ? await scanLiveCodes(deps, ws, synced, progress) : null;
    await deps.cdp.writer.drain();
    const sent = await setupSends(
      deps,
      ws,
      {
        morningSegmentId: morning.id,
        storeCouponTemplateId: templates.storeCoupon,
        storeNoticeTemplateId: templates.storeNotice,
        dropTemplateId: templates.drop,
        wecom: wecom !== null,
      },
      progress,
    );
    for (const id of sent.segmentIds) segments.push(await findSegment(deps.segments.database.db, ws, id));
    // Membership before the journeys: its postings are on the timelines before any journey listens.
    const loyalty = await setupLoyalty(deps.loyalty, ws, data, progress);
    const silent = segments.find((s) => s.name === '沉默客户')!;
    const journeys = await setupJourneys(deps, ws, silent.id, progress);
    const broadcast = await setupBroadcast(deps, ws, morning.id, templates.coupon);
    const notes = deps.sandboxes
      ? []
      : [
          'this process has no WeCom sandbox or SMS gateway stand-in: the WeCom staff, contacts, groups and live codes and the sent broadcasts were left out (load the demo with `siyu demo` or from a server started with `siyu serve`; docs/demo.md)',
        ];
    return {
      workspaceId: ws,
      seed,
      customers,
      profiles: profiles.imported,
      orders: orders.imported,
      refundedOrders: data.orders.filter((o) => o.status !== undefined).length,
      segments: segments.map((s) => ({ id: s.id, name: s.name, memberCount: s.memberCount })),
      templates: templates.ids,
      journeys,
      broadcasts: [broadcast],
      wecom,
      sends: sent.sends,
      loyalty,
      notes,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    loading.delete(ws);
  }
}
