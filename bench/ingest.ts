import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { BenchOptions, BenchResult } from './types.js';
import { onInterrupt } from './support/cleanup.js';
import { type BaselineResult, postgresBaseline, sqliteBaseline } from './support/baseline.js';
import { mainThreadProfile, summariseProfile } from './support/cpu-profile.js';
import { postBatches } from './support/load.js';
import { autovacuumNote, createTempDatabase, describeServer, describeUrl, type TempDatabase } from './support/postgres.js';
import { heading, mb, num, percentile, progress, secs, table, targets } from './support/report.js';
import { createSegmentStream } from './support/segment-stream.js';
import { readUsage, startServer } from './support/server.js';

/** The targets for HTTP ingestion. */
const TARGET = { ratio: 0.3, eventsPerSec: 20_000, peakRssMb: 400 };

/** What the stored data looks like after the run (for the identity mix and the count check). */
interface StoredCounts {
  events: number;
  liveProfiles: number;
  identities: number;
  merges: number;
  refused: number;
  orders: number;
}

const COUNT_SQL = {
  events: 'select count(*) as n from events where workspace_id = $ws',
  liveProfiles: 'select count(*) as n from profiles where workspace_id = $ws and merged_into is null',
  identities: 'select count(*) as n from identities where workspace_id = $ws',
  merges: "select count(*) as n from profile_merges where workspace_id = $ws and kind = 'merge'",
  refused: "select count(*) as n from profile_merges where workspace_id = $ws and kind = 'refused'",
  orders: 'select count(*) as n from orders where workspace_id = $ws',
} as const;

async function countStored(workspaceId: string, where: { sqliteFile: string } | { url: string }): Promise<StoredCounts> {
  const out = {} as StoredCounts;
  if ('sqliteFile' in where) {
    const db = new BetterSqlite3(where.sqliteFile, { readonly: true });
    for (const [k, q] of Object.entries(COUNT_SQL))
      out[k as keyof StoredCounts] = Number((db.prepare(q.replace('$ws', '?')).get(workspaceId) as { n: number }).n);
    db.close();
    return out;
  }
  const c = new pg.Client({ connectionString: where.url });
  await c.connect();
  try {
    for (const [k, q] of Object.entries(COUNT_SQL)) out[k as keyof StoredCounts] = Number((await c.query(q.replace('$ws', '$1'), [workspaceId])).rows[0].n);
  } finally {
    await c.end();
  }
  return out;
}

/** Starts the server, posts the events, samples its memory and CPU, and stops it. */
async function runHttp(o: BenchOptions, serverDir: string, databaseUrl: string | undefined, runId: string) {
  if (o.cpuProf) mkdirSync(o.cpuProf, { recursive: true });
  const server = await startServer({ dataDir: serverDir, databaseUrl, encryptionKeyHex: randomBytes(32).toString('hex'), cpuProfDir: o.cpuProf });
  try {
    let peakSampledKb = 0;
    const sample = () => {
      try {
        peakSampledKb = Math.max(peakSampledKb, readUsage(server.pid).rssKb);
      } catch {
        // the server has exited; the load generator reports why
      }
    };
    const sampler = setInterval(sample, 250);
    const start = server.usage();
    const benchCpu0 = process.cpuUsage();
    const bar = progress('http');
    const t0 = performance.now();
    let load;
    try {
      load = await postBatches({
        baseUrl: server.baseUrl,
        writeKey: server.writeKey,
        stream: createSegmentStream({ events: o.events, seed: o.seed, runId }),
        batch: o.batch,
        concurrency: o.concurrency,
        onProgress: (n) => bar.update(`${num(n)} events, ${num(n / ((performance.now() - t0) / 1000))}/s`),
      });
    } finally {
      clearInterval(sampler);
      bar.done();
    }
    sample();
    const end = server.usage();
    const benchCpu = process.cpuUsage(benchCpu0);
    const exitCode = await server.stop();
    if (exitCode !== 0) process.stderr.write(`warning: siyu serve exited with code ${exitCode}\n${server.output()}\n`);
    return {
      load,
      workspaceId: server.workspaceId,
      pid: server.pid,
      usage: { rssAtStartKb: start.rssKb, peakSampledKb, peakRssKb: end.peakRssKb },
      serverCpuMs: end.cpuMs - start.cpuMs,
      benchCpuMs: (benchCpu.user + benchCpu.system) / 1000,
    };
  } catch (err) {
    await server.stop();
    throw new Error(`${(err as Error).message}\nserver output:\n${server.output()}`);
  }
}

/**
 * `siyu bench ingest`: (a) events over HTTP into a real `siyu serve` child process, identity
 * resolution included; (b) the same rows inserted straight into the same engine in this process.
 */
export async function runIngestBench(o: BenchOptions): Promise<BenchResult> {
  const engine = o.databaseUrl ? 'postgres' : 'sqlite';
  const runId = `bench-${randomBytes(3).toString('hex')}`;
  const pgServer = o.databaseUrl ? await describeServer(o.databaseUrl) : undefined;
  const dataDir = mkdtempSync(join(o.tmpDir, 'siyu-bench-ingest-'));
  const removeDir = onInterrupt(() => {
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  });
  // On PostgreSQL the baseline and the server each get a fresh database of their own.
  let temp: TempDatabase | undefined;
  let baseTemp: TempDatabase | undefined;

  heading(`siyu bench ingest (${engine})`);
  table(
    [
      ['setting', 'value'],
      ['machine', `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${num(totalmem() / 2 ** 30, 1)} GB, Node ${process.version}`],
      [
        'engine',
        o.databaseUrl
          ? `PostgreSQL ${pgServer!.version} at ${describeUrl(o.databaseUrl)} (fresh databases, dropped afterwards), autovacuum ${pgServer!.autovacuum ? 'on' : 'off'}`
          : `SQLite in ${dataDir}`,
      ],
      ['events', num(o.events)],
      ['batch', `${num(o.batch)} events a request / rows a baseline transaction`],
      ['concurrency', `${o.concurrency} HTTP clients`],
    ],
    ['l', 'l'],
  );
  const note = pgServer && autovacuumNote(pgServer);
  if (note) process.stdout.write(`\n${note}\n`);

  try {
    if (o.databaseUrl) {
      baseTemp = await createTempDatabase(o.databaseUrl, 'siyu_bench_base');
      temp = await createTempDatabase(o.databaseUrl);
    }

    // (b) Baseline first: the same events, straight into the engine from this process.
    const bar = progress('baseline');
    const baseStream = createSegmentStream({ events: o.events, seed: o.seed, runId });
    const onBase = (n: number) => bar.update(`${num(n)} rows`);
    const base: BaselineResult = baseTemp
      ? await postgresBaseline(baseTemp.url, baseStream, o.batch, onBase)
      : await sqliteBaseline(dataDir, baseStream, o.batch, onBase);
    bar.done();
    const baseRate = base.rows / (base.insertMs / 1000);

    // (a) HTTP into a real server process.
    const serverDir = join(dataDir, 'server');
    mkdirSync(serverDir);
    const http = await runHttp(o, serverDir, temp?.url, runId);
    const { load, usage } = http;

    const stored = await countStored(http.workspaceId, temp ? { url: temp.url } : { sqliteFile: join(serverDir, 'siyu.db') });
    const httpRate = load.events / (load.elapsedMs / 1000);
    const ratio = httpRate / baseRate;
    const peakMb = usage.peakRssKb / 1024;

    heading('results');
    table([
      ['measure', 'value'],
      ['(a) HTTP ingestion', `${num(httpRate)} events/s`],
      ['    elapsed', secs(load.elapsedMs)],
      ['    requests', `${num(load.requests)} (${num(load.bytes / load.events)} bytes an event, ${num(load.bytes / 2 ** 20)} MB)`],
      [
        '    latency p50 / p99 / max',
        `${num(percentile(load.latencies, 0.5), 1)} / ${num(percentile(load.latencies, 0.99), 1)} / ${num(percentile(load.latencies, 1), 1)} ms`,
      ],
      ['    server CPU', `${num(http.serverCpuMs / 1000, 1)} s (${num((100 * http.serverCpuMs) / load.elapsedMs)}% of one core)`],
      ['    load generator CPU', `${num(http.benchCpuMs / 1000, 1)} s (${num((100 * http.benchCpuMs) / load.elapsedMs)}% of one core)`],
      ['    server RSS at start / peak sampled', `${mb(usage.rssAtStartKb)} / ${mb(usage.peakSampledKb)}`],
      ['    server peak RSS (VmHWM)', mb(usage.peakRssKb)],
      ['(b) baseline inserts', `${num(baseRate)} rows/s`],
      ['    time in transactions / wall', `${secs(base.insertMs)} / ${secs(base.wallMs)}`],
      ['ratio (a) / (b)', `${num(ratio, 3)}`],
    ]);

    heading('stored (checked after the server stopped)');
    table([
      ['table', 'rows'],
      ['events', `${num(stored.events)} of ${num(load.events)} sent${stored.events === load.events ? ' (all stored)' : ' (MISMATCH)'}`],
      ['live profiles', num(stored.liveProfiles)],
      ['identities', num(stored.identities)],
      ['merges / refused', `${num(stored.merges)} / ${num(stored.refused)}`],
      ['orders', num(stored.orders)],
    ]);

    heading('targets');
    const results = [
      { target: `HTTP ≥ ${TARGET.ratio} × baseline`, measured: `${num(ratio, 3)} ×`, pass: ratio >= TARGET.ratio },
      { target: `HTTP ≥ ${num(TARGET.eventsPerSec)} events/s`, measured: `${num(httpRate)} /s`, pass: httpRate >= TARGET.eventsPerSec },
      { target: `server peak RSS < ${TARGET.peakRssMb} MB`, measured: `${num(peakMb)} MB`, pass: peakMb < TARGET.peakRssMb },
      { target: 'every event stored once', measured: `${num(stored.events)} / ${num(load.events)}`, pass: stored.events === load.events },
    ];
    targets(results);
    if (cpus().length !== 2) process.stdout.write(`\nnote: the targets are set for a 2-core machine; this one has ${cpus().length}.\n`);
    if (note) process.stdout.write(`\n${note}\n`);

    let profile;
    if (o.cpuProf) {
      const file = mainThreadProfile(o.cpuProf, http.pid);
      if (file) profile = summariseProfile(file);
      else process.stdout.write(`\nno .cpuprofile was written to ${o.cpuProf}\n`);
    }

    return {
      benchmark: 'ingest',
      engine,
      ...(pgServer ? { postgres: pgServer } : {}),
      events: load.events,
      concurrency: o.concurrency,
      batch: o.batch,
      httpEventsPerSec: Math.round(httpRate),
      baselineRowsPerSec: Math.round(baseRate),
      ratio: Number(ratio.toFixed(3)),
      elapsedMs: Math.round(load.elapsedMs),
      peakRssMb: Math.round(peakMb),
      serverCpuMs: Math.round(http.serverCpuMs),
      loadGeneratorCpuMs: Math.round(http.benchCpuMs),
      latencyMs: { p50: percentile(load.latencies, 0.5), p99: percentile(load.latencies, 0.99) },
      stored,
      pass: Object.fromEntries(results.map((r) => [r.target, r.pass])),
      ...(profile ? { profile: { totalMs: profile.totalMs, areas: profile.areas } } : {}),
    };
  } finally {
    if (baseTemp) await baseTemp.drop();
    if (temp) await temp.drop();
    await removeDir();
    if (o.keep) process.stdout.write(`\nkept ${dataDir}\n`);
  }
}
