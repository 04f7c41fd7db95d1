import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createRuleBook, type Identifier, type RuleBook, sortByPriority } from '../src/cdp/identifiers.js';
import { IdentityGraph } from '../src/cdp/identity-graph.js';
import { applyEvents } from '../src/cdp/ingest.service.js';
import type { TrackedEvent } from '../src/cdp/tracking.js';
import { createKeyring } from '../src/platform/keys.js';
import { openDatabase } from '../src/platform/db/database.js';
import { migrateSiyu } from '../src/server/migrations.js';
import { newId } from '../src/platform/ids.js';
import { createWorkspace } from '../src/platform/workspaces.js';
import type { BenchOptions, BenchResult } from './types.js';
import { onInterrupt } from './support/cleanup.js';
import { generateLinks, UnionFind } from './support/links.js';
import { autovacuumNote, createTempDatabase, describeServer, describeUrl } from './support/postgres.js';
import { statementTimer } from './support/sql-timer.js';
import { heading, num, percentile, progress, secs, table, targets } from './support/report.js';

/** The issue's target: Siyu's resolver within this factor of a plain union-find. */
const TARGET_FACTOR = 3;
/** Timed rounds per resolver; the median is reported. */
const ROUNDS = 3;
/** Events per transaction on the database-backed path (the ingest writer's group size). */
const DB_GROUP = 2000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function runUnionFind(links: Identifier[][]): { ms: number; uf: UnionFind } {
  const uf = new UnionFind();
  const t0 = performance.now();
  for (let i = 0; i < links.length; i++) uf.link(links[i]!);
  return { ms: performance.now() - t0, uf };
}

function runGraph(links: Identifier[][], rules: RuleBook, start: number): { ms: number; graph: IdentityGraph } {
  // Profile ids as production makes them (time-ordered ULIDs), so "merge into the oldest" behaves the same.
  const graph = new IdentityGraph(rules, (at) => newId('prf', at));
  const t0 = performance.now();
  for (let i = 0; i < links.length; i++) graph.resolve(links[i]!, null, start + i);
  return { ms: performance.now() - t0, graph };
}

/** Whether the two resolvers put the identifiers into the same groups (a bijection between sets). */
function comparePartitions(uf: UnionFind, graph: IdentityGraph): { agree: boolean; disagreements: number; ufSets: number; profiles: number } {
  const rootToOwner = new Map<number, string>();
  const ownerToRoot = new Map<string, number>();
  let disagreements = 0;
  for (const [key, element] of uf.index) {
    const root = uf.find(element);
    const owner = graph.owners.get(key);
    if (owner === undefined) {
      disagreements++;
      continue;
    }
    const o = rootToOwner.get(root);
    const r = ownerToRoot.get(owner);
    if (o === undefined && r === undefined) {
      rootToOwner.set(root, owner);
      ownerToRoot.set(owner, root);
    } else if (o !== owner || r !== root) disagreements++;
  }
  const ufSets = uf.sets();
  const profiles = graph.profiles.size;
  return { agree: disagreements === 0 && ufSets === profiles, disagreements, ufSets, profiles };
}

/** Turns a link into the event that would carry it (identify when it holds contact identifiers). */
function linkEvent(link: Identifier[], i: number, start: number, runId: string): TrackedEvent {
  const userId = link.find((id) => id.type === 'user_id')?.value ?? null;
  const anonymousId = link.find((id) => id.type === 'anonymous_id')?.value ?? null;
  const identify = link.some((id) => id.type === 'phone' || id.type === 'email');
  const messageId = `${runId}-${i}`;
  const timestamp = start + i;
  return {
    messageId,
    type: identify ? 'identify' : 'track',
    event: identify ? null : 'Product Viewed',
    userId,
    anonymousId,
    timestamp,
    receivedAt: timestamp,
    payload: JSON.stringify({
      type: identify ? 'identify' : 'track',
      messageId,
      userId,
      anonymousId,
      timestamp: new Date(timestamp).toISOString(),
      properties: { sku: `sku-${i % 5000}` },
    }),
    identifiers: link,
    traits: identify ? { plan: 'gold' } : undefined,
  };
}

/** The database-backed path: the links as events through applyEvents, DB_GROUP to a transaction. */
async function runDatabasePath(links: Identifier[][], rules: RuleBook, where: { dataDir: string; databaseUrl?: string }) {
  const database = openDatabase({ dataDir: where.dataDir, databaseUrl: where.databaseUrl, poolSize: 2 });
  try {
    await migrateSiyu(database.db, database.dialect.engine);
    const ws = (await createWorkspace(database.db, { name: 'bench identity' })).workspace.id;
    const timer = statementTimer();
    const db = database.db.withPlugin(timer.plugin);
    const deps = {
      dialect: timer.wrap(database.dialect),
      cipher: createKeyring(database, { masterKey: randomBytes(32), now: () => Date.now() }),
      now: () => Date.now(),
    };
    await deps.cipher.warm([ws]); // the workspace's keys, as the ingest writer loads them before its transactions
    const settings = { rules, currency: 'CNY', timeZone: 'Asia/Shanghai' };
    const runId = `lnk-${randomBytes(3).toString('hex')}`;
    const start = Date.now();
    const txMs: number[] = [];
    let commitMs = 0;
    const bar = progress(`applyEvents (${database.dialect.engine})`);
    for (let from = 0; from < links.length; from += DB_GROUP) {
      const events = links.slice(from, from + DB_GROUP).map((l, k) => linkEvent(l, from + k, start, runId));
      const t = performance.now();
      let applied = 0;
      await db.transaction().execute(async (trx) => {
        await applyEvents(trx, deps, ws, settings, events);
        applied = performance.now();
      });
      const done = performance.now();
      commitMs += done - applied;
      txMs.push(done - t);
      bar.update(`${num(from + events.length)} of ${num(links.length)} events`);
    }
    // Time inside the transactions only: building the events above is the benchmark's own work.
    const ms = txMs.reduce((a, b) => a + b, 0);
    bar.done();
    const live = await database.db
      .selectFrom('profiles')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .where('merged_into', 'is', null)
      .executeTakeFirstOrThrow();
    return { engine: database.dialect.engine, events: links.length, ms, txMs, commitMs, statements: timer.times, liveProfiles: Number(live.n) };
  } finally {
    await database.close();
  }
}

/**
 * `siyu bench identity`: (i) a plain union-find and (ii) Siyu's IdentityGraph over the same
 * identifier links, in memory; (iii) for information, the same links as events through
 * applyEvents on a fresh database.
 */
export async function runIdentityBench(o: BenchOptions): Promise<BenchResult> {
  const rules = createRuleBook();
  const pgServer = o.databaseUrl && o.dbLinks > 0 ? await describeServer(o.databaseUrl) : undefined;
  heading('siyu bench identity');
  table(
    [
      ['setting', 'value'],
      ['machine', `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${num(totalmem() / 2 ** 30, 1)} GB, Node ${process.version}`],
      ['links (in memory)', num(o.links)],
      [
        'links (database path)',
        o.dbLinks
          ? `${num(Math.min(o.dbLinks, o.links))} on SQLite${o.databaseUrl ? ` and PostgreSQL ${pgServer?.version ?? ''} at ${describeUrl(o.databaseUrl)} (autovacuum ${pgServer?.autovacuum ? 'on' : 'off'})` : ''}`
          : 'skipped',
      ],
      ['rounds', `${ROUNDS} per resolver, median reported`],
    ],
    ['l', 'l'],
  );

  let t = performance.now();
  const set = generateLinks({ count: o.links, seed: o.seed });
  const genMs = performance.now() - t;
  // The ingest path gets identifiers already in priority order (normaliseIdentifiers sorts them),
  // so sorting is done here, outside the timed part, and timed on its own.
  t = performance.now();
  for (const link of set.links) sortByPriority(link, rules);
  const sortMs = performance.now() - t;
  const idsPerLink = set.links.reduce((s, l) => s + l.length, 0) / set.links.length;

  const ufMs: number[] = [];
  const graphMs: number[] = [];
  let last: { uf: UnionFind; graph: IdentityGraph } | undefined;
  const start = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    last = undefined; // let the previous round's structures go before timing the next
    const u = runUnionFind(set.links);
    ufMs.push(u.ms);
    const g = runGraph(set.links, rules, start);
    graphMs.push(g.ms);
    last = { uf: u.uf, graph: g.graph };
  }
  const cmp = comparePartitions(last!.uf, last!.graph);
  const refused = last!.graph.merges.filter((m) => m.kind === 'refused').length;
  const merges = last!.graph.merges.length - refused;
  last = undefined;
  const uf = median(ufMs);
  const graph = median(graphMs);
  const factor = graph / uf;

  heading('in memory');
  table([
    ['measure', 'value'],
    ['population', `${num(set.people)} people, ${num(set.identifiers)} distinct identifiers, ${num(idsPerLink, 2)} identifiers a link`],
    ['generate links / sortByPriority (untimed)', `${secs(genMs)} / ${secs(sortMs)}`],
    ['(i) union-find', `${secs(uf)}  (${num(o.links / (uf / 1000))} links/s; rounds ${ufMs.map((m) => num(m)).join(', ')} ms)`],
    ['(ii) IdentityGraph.resolve', `${secs(graph)}  (${num(o.links / (graph / 1000))} links/s; rounds ${graphMs.map((m) => num(m)).join(', ')} ms)`],
    ['ratio (ii) / (i)', `${num(factor, 2)} ×`],
    [
      'partitions',
      cmp.agree
        ? `agree: ${num(cmp.profiles)} profiles = ${num(cmp.ufSets)} sets`
        : `DISAGREE: ${num(cmp.disagreements)} identifiers; ${num(cmp.profiles)} profiles vs ${num(cmp.ufSets)} sets`,
    ],
    ['merges / refused (IdentityGraph)', `${num(merges)} / ${num(refused)}`],
  ]);

  const db: Awaited<ReturnType<typeof runDatabasePath>>[] = [];
  if (o.dbLinks > 0) {
    const links = set.links.slice(0, o.dbLinks);
    const dataDir = mkdtempSync(join(o.tmpDir, 'siyu-bench-identity-'));
    const removeDir = onInterrupt(() => {
      if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
    });
    try {
      db.push(await runDatabasePath(links, rules, { dataDir }));
      if (o.databaseUrl) {
        const temp = await createTempDatabase(o.databaseUrl);
        try {
          db.push(await runDatabasePath(links, rules, { dataDir, databaseUrl: temp.url }));
        } finally {
          await temp.drop();
        }
      }
    } finally {
      await removeDir();
      if (o.keep) process.stdout.write(`\nkept ${dataDir}\n`);
    }
    const note = pgServer && autovacuumNote(pgServer);
    if (note) process.stdout.write(`\n${note}\n`);
    heading(`(iii) database path: applyEvents, ${num(DB_GROUP)} events a transaction (for information)`);
    table([
      ['engine', 'events', 'time', 'events/s', 'tx p50 / max', 'live profiles'],
      ...db.map((d) => [
        d.engine,
        num(d.events),
        secs(d.ms),
        num(d.events / (d.ms / 1000)),
        `${num(percentile(d.txMs, 0.5))} / ${num(percentile(d.txMs, 1))} ms`,
        num(d.liveProfiles),
      ]),
    ]);
  }

  for (const d of db) {
    heading(`where the time goes (${d.engine}, ${num(d.events)} events, ${num(d.txMs.length)} transactions)`);
    const stmtMs = [...d.statements.values()].reduce((s, v) => s + v.ms, 0);
    const rows = [...d.statements].sort((a, b) => b[1].ms - a[1].ms);
    const share = (ms: number) => `${num((100 * ms) / d.ms, 1)}%`;
    table([
      ['part', 'count', 'total ms', 'ms a transaction', 'share'],
      ...rows.map(([label, v]) => [label, num(v.count), num(v.ms), num(v.ms / d.txMs.length, 1), share(v.ms)]),
      ['COMMIT', num(d.txMs.length), num(d.commitMs), num(d.commitMs / d.txMs.length, 1), share(d.commitMs)],
      ['JS outside statements', '', num(d.ms - stmtMs - d.commitMs), num((d.ms - stmtMs - d.commitMs) / d.txMs.length, 1), share(d.ms - stmtMs - d.commitMs)],
    ]);
  }

  heading('targets');
  const results = [
    { target: `IdentityGraph within ${TARGET_FACTOR}× of union-find`, measured: `${num(factor, 2)} ×`, pass: factor <= TARGET_FACTOR },
    { target: 'same partition on conflict-free input', measured: cmp.agree ? 'agree' : `${num(cmp.disagreements)} differ`, pass: cmp.agree },
  ];
  targets(results);

  return {
    benchmark: 'identity',
    links: o.links,
    people: set.people,
    identifiers: set.identifiers,
    unionFindMs: Math.round(uf),
    identityGraphMs: Math.round(graph),
    factor: Number(factor.toFixed(2)),
    partitionsAgree: cmp.agree,
    profiles: cmp.profiles,
    database: db.map((d) => ({ engine: d.engine, events: d.events, ms: Math.round(d.ms), eventsPerSec: Math.round(d.events / (d.ms / 1000)) })),
    pass: Object.fromEntries(results.map((r) => [r.target, r.pass])),
  };
}
