import { type Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { type RetentionRun, retentionRunningSince, runRetention } from '../compliance/index.js';
import { loadConfig } from '../platform/config.js';
import { listWorkspaceIds } from '../platform/workspaces.js';
import { createServices, retentionDeps } from '../server/app.js';
import { pickWorkspace } from './import.js';
import { output } from './output.js';

type Services = Awaited<ReturnType<typeof createServices>>;

/** One line of a run's report. */
function reportLine(ws: string, run: RetentionRun): string {
  const kinds = run.kinds.map(
    (k) =>
      `  ${k.kind.padEnd(20)} ${k.days === null ? 'kept forever' : `${k.rows.toLocaleString('en-US')} rows before ${k.cutoff}`}${k.error ? `  FAILED: ${k.error}` : ''}`,
  );
  return [`${ws}: run ${run.id} ${run.status} in ${run.durationMs} ms`, ...kinds].join('\n');
}

/**
 * `siyu retention run [--workspace <id>]`: runs the retention job now (every workspace, or the one
 * given), printing progress to stderr as batches commit and each workspace's report at the end.
 * A workspace whose run is in progress elsewhere (the worker, another shell) is skipped and said so.
 */
export async function retentionRunCommand(
  services: Services,
  opts: { workspace?: string; batch?: number; json?: boolean },
  progress: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Promise<Record<string, RetentionRun | { running: string | null }>> {
  const workspaces = opts.workspace !== undefined ? [await pickWorkspace(services, opts.workspace)] : await listWorkspaceIds(services.database.db);
  const deps = retentionDeps(services, services.database);
  const out: Record<string, RetentionRun | { running: string | null }> = {};
  const lines: string[] = [];
  for (const ws of workspaces) {
    progress(`${ws}: purging…`);
    const run = await runRetention(deps, ws, {
      trigger: 'cli',
      ...(opts.batch ? { batchSize: opts.batch } : {}),
      onProgress: (kind, rows) => progress(`${ws}: ${kind} ${rows.toLocaleString('en-US')} rows`),
    });
    if (!run) {
      const since = (await retentionRunningSince(services.database, ws)) ?? null;
      out[ws] = { running: since };
      lines.push(`${ws}: skipped, a run is in progress${since ? ` since ${since}` : ''}`);
      continue;
    }
    out[ws] = run;
    lines.push(reportLine(ws, run));
  }
  output(!!opts.json, out, lines.join('\n') || 'no workspace');
  return out;
}

/** Registers `siyu retention run`. */
export function registerRetentionCommands(program: Command): void {
  const retention = program.command('retention').description('Retention policies: purge data older than each kind’s period');
  retention
    .command('run')
    .description('Run the retention job now (every workspace, or --workspace), with progress; the report is stored as the scheduled runs’ are')
    .option('--workspace <id>', 'only this workspace')
    .option('--batch <rows>', 'rows per transaction (default 2000)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError(`--batch must be an integer from 1 to 100000, not ${v}`);
      return n;
    })
    .option('--json', 'print the reports as JSON')
    .action(async (opts: { workspace?: string; batch?: number; json?: boolean }) => {
      const services = await createServices(loadConfig(), { log: pino({ level: 'warn' }, pino.destination(2)) });
      try {
        await retentionRunCommand(services, opts);
      } finally {
        await services.writer.drain();
        await services.close();
      }
    });
}
