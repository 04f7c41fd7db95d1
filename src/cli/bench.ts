import { tmpdir } from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { BenchOptions } from '../../bench/index.js';

function count(name: string, min: number) {
  return (raw: string): number => {
    const n = Number(raw.replace(/[_,]/g, ''));
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number of at least ${min}, got "${raw}"`);
    return n;
  };
}

/** The parsed flags: the benchmark options (bench/index.ts), some optional, and --json. */
type BenchFlags = Omit<BenchOptions, 'keep' | 'databaseUrl'> & { keep?: boolean; databaseUrl?: string; json?: boolean };

/** Registers `siyu bench [name]`: runs a benchmark from bench/ (none named: lists them). */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .argument('[name]', 'benchmark to run (omit to list them)')
    .description('Run a performance benchmark against its baseline and print PASS/MISS per target (see bench/README.md)')
    .option('--events <n>', 'ingest: events to send', count('--events', 1), 1_000_000)
    .option('--concurrency <n>', 'ingest, wecom callbacks: concurrent HTTP clients', count('--concurrency', 1), 8)
    .option('--batch <n>', 'ingest: events per /v1/batch request (rows per baseline transaction)', count('--batch', 1), 100)
    .option('--links <n>', 'identity: identifier links resolved in memory', count('--links', 1), 1_000_000)
    .option('--db-links <n>', 'identity: links pushed through applyEvents on the database (0 to skip)', count('--db-links', 0), 200_000)
    .option('--profiles <n>', 'segments: profiles generated', count('--profiles', 10), 1_000_000)
    .option('--events-per-profile <n>', 'segments: events generated per profile on average', count('--events-per-profile', 1), 10)
    .option('--incremental-events <n>', 'segments: new events applied before the change feed runs', count('--incremental-events', 1), 200_000)
    .option('--contacts <n>', 'wecom: external contacts of the sandbox corp for the full sync (200 staff; 0 skips the sync)', count('--contacts', 0), 200_000)
    .option('--callbacks <n>', 'wecom: encrypted callbacks posted to the server (0 skips them)', count('--callbacks', 0), 20_000)
    .option('--postings <n>', 'loyalty: ledger postings through the service (and as many raw rows for the baseline)', count('--postings', 100), 20_000)
    .option('--answers <n>', 'surveys: answers the report runs over (a fifth, at least 1,000, through the answer path)', count('--answers', 1000), 100_000)
    .option('--exposed <n>', 'experiments: exposed profiles per experiment', count('--exposed', 100), 100_000)
    .option('--insight-profiles <n>', 'insight: profiles generated (with --events-per-profile events each on average)', count('--insight-profiles', 10), 20_000)
    .option('--customers <n>', 'clv: customers simulated for the BG/NBD + Gamma-Gamma fits', count('--customers', 100), 100_000)
    .option('--codes <n>', 'coupons: codes generated in one bulk request (and as many bare rows for the baseline)', count('--codes', 1), 100_000)
    .option(
      '--redemptions <n>',
      'coupons: coupons issued then redeemed through the service (and as many bare rows for the baseline)',
      count('--redemptions', 10),
      10_000,
    )
    .option(
      '--expiry-lots <n>',
      'loyalty: due lots the expiry job expires, against a bare UPDATE of as many rows (0 skips it)',
      count('--expiry-lots', 0),
      1_000_000,
    )
    .option('--rule-events <n>', 'loyalty: events the earning rules award, against as many bare ledger postings (0 skips it)', count('--rule-events', 0), 5_000)
    .option('--old-events <n>', 'retention: old raw events the retention job purges (a bare DELETE purges as many)', count('--old-events', 1), 200_000)
    .option('--demo-customers <n>', 'demo: customers of the demo brand', count('--demo-customers', 1), 20_000)
    .option('--seed <n>', 'seed for the generated data', count('--seed', 0), 42)
    // Read by commander from the environment, like the server's own DATABASE_URL.
    .addOption(
      new Option('--database-url <url>', 'run on this PostgreSQL server (a fresh database is created and dropped); default SQLite').env('DATABASE_URL'),
    )
    .option('--tmp-dir <dir>', 'where temporary data directories go', tmpdir())
    .option('--keep', 'keep the temporary data directory')
    .option('--cpu-prof <dir>', 'ingest: run the server under node --cpu-prof, write the profile to <dir> and summarise it')
    .option('--json', 'also print the figures as JSON')
    .action(async (name: string | undefined, flags: BenchFlags) => {
      const { BENCHMARKS, interrupted } = await import('../../bench/index.js');
      if (!name) {
        const width = Math.max(...BENCHMARKS.map((b) => b.name.length));
        process.stdout.write(
          'Benchmarks (npm run bench -- NAME [options]; --help for options):\n' +
            BENCHMARKS.map((b) => `  ${b.name.padEnd(width)}  ${b.summary}`).join('\n') +
            '\n',
        );
        return;
      }
      const bench = BENCHMARKS.find((b) => b.name === name);
      if (!bench) throw new InvalidArgumentError(`no benchmark "${name}"; choose one of ${BENCHMARKS.map((b) => b.name).join(', ')}`);
      if (flags.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(flags.databaseUrl)) {
        throw new InvalidArgumentError('DATABASE_URL / --database-url must be a postgres:// URL (unset it to benchmark SQLite)');
      }
      let result;
      try {
        const { json: _json, ...options } = flags;
        result = await bench.run({ ...options, databaseUrl: flags.databaseUrl || undefined, keep: !!flags.keep });
      } catch (err) {
        // Interrupted: the clean-up stopped the server under the load generator; its errors are noise.
        if (interrupted()) return new Promise<never>(() => {});
        throw err;
      }
      if (flags.json) process.stdout.write('\n' + JSON.stringify(result, null, 2) + '\n');
    });
}
