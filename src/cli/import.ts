import { createReadStream, createWriteStream, type ReadStream, statSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { createServices } from '../server/app.js';
import {
  cleanImportSpool,
  formatFromFileName,
  IMPORT_FORMATS,
  IMPORT_KINDS,
  IMPORT_MODES,
  importDeps,
  importSpoolDir,
  type ImportFormat,
  type ImportKind,
  type ImportMode,
  type ImportProgress,
  type ImportReport,
  runImport,
} from '../cdp/index.js';
import { loadConfig } from '../platform/config.js';
import { AppError } from '../platform/errors.js';
import { listWorkspaces } from '../platform/workspaces.js';
import { rewindFeed } from '../segments/index.js';

interface ImportCliOptions {
  kind: ImportKind;
  workspace?: string;
  format?: ImportFormat;
  mode: ImportMode;
  json?: boolean;
  errorsFile?: string;
}

/** Errors shown on the terminal after the summary (all of them go to --errors-file). */
const SHOWN_ERRORS = 20;

/** Registers `siyu import <file>`: exit 0 when every row was imported, 1 when rows were skipped or the file rejected, 2 on usage errors. */
export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('Import profiles or orders from a CSV or NDJSON file (streamed; re-importing a file stores nothing twice)')
    .argument('<file>', 'a .csv (header row, UTF-8), .ndjson or .jsonl file')
    .addOption(new Option('--kind <kind>', 'what each row is').choices(IMPORT_KINDS).makeOptionMandatory())
    .option('--workspace <id>', 'workspace id (ws_...); may be left out when there is only one')
    .addOption(new Option('--format <format>', 'file format (default: from the file extension)').choices(IMPORT_FORMATS))
    .addOption(
      new Option('--mode <mode>', 'skip-bad-rows stores the good rows; all-or-nothing stores everything or nothing')
        .choices(IMPORT_MODES)
        .default('skip-bad-rows'),
    )
    .option('--json', 'print the report as JSON')
    .option('--errors-file <path>', 'write every row error to this CSV file (line,reason)')
    // Commander's own usage errors (bad choice, missing --kind) exit 2 like ours.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (file: string, opts: ImportCliOptions) => {
      process.exitCode = await importCommand(file, opts);
    });
}

async function importCommand(file: string, opts: ImportCliOptions): Promise<number> {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw new InvalidArgumentError(`cannot read ${file}: no such file`);
  }
  const format = opts.format ?? formatFromFileName(file);
  if (!format) throw new InvalidArgumentError(`cannot tell the format of ${file} from its extension; give --format csv or --format ndjson`);

  // Logs go to stderr: stdout carries the report (--json).
  const config = loadConfig();
  const services = await createServices(config, { log: pino({ level: 'warn' }, pino.destination(2)) });
  // Spools left by imports that were killed (a server's own are removed at its start; live ones are kept).
  await cleanImportSpool(config.dataDir);
  const errorsOut = opts.errorsFile ? createWriteStream(opts.errorsFile) : undefined;
  errorsOut?.write('line,reason\n');
  let current: ReadStream | undefined;
  const progress = createProgress(size, () => current?.bytesRead ?? 0);
  try {
    const workspaceId = await pickWorkspace(services, opts.workspace);
    let report: ImportReport;
    const startedAt = services.clock.now();
    try {
      report = await runImport(
        { ...importDeps(services.cdp), spoolDir: importSpoolDir(config.dataDir) },
        {
          workspaceId,
          kind: opts.kind,
          format,
          mode: opts.mode,
          open: () => (current = createReadStream(file)),
          onProgress: progress.update,
          onError: (e) => errorsOut?.write(`${e.line},${csvField(e.reason)}\n`),
        },
      );
    } catch (err) {
      if (err instanceof AppError && err.code === 'IMPORT_INVALID') {
        progress.stop();
        process.stderr.write(`import rejected: ${err.message}\n`);
        return 1;
      }
      throw err;
    } finally {
      progress.stop();
    }
    await services.writer.drain();
    // The server's segment feed may have passed the times this import's rows carry: look again.
    await rewindFeed(services.database.db, services.database.dialect, workspaceId, startedAt);
    if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else process.stdout.write(summary(report, workspaceId, opts.errorsFile) + '\n');
    return report.rejected || report.skipped > 0 ? 1 : 0;
  } finally {
    if (errorsOut) {
      errorsOut.end();
      await finished(errorsOut);
    }
    await services.writer.drain();
    await services.database.close();
  }
}

/** The workspace given, or the only one there is; otherwise a usage error listing the ids. */
export async function pickWorkspace(services: Awaited<ReturnType<typeof createServices>>, given: string | undefined): Promise<string> {
  const all = await listWorkspaces(services.database.db);
  const ids = all.map((w) => `${w.id} (${w.name})`).join(', ') || 'none; create one with `siyu workspace create --name ...`';
  if (given !== undefined) {
    if (!all.some((w) => w.id === given)) throw new InvalidArgumentError(`--workspace ${given} does not exist; workspaces: ${ids}`);
    return given;
  }
  if (all.length !== 1)
    throw new InvalidArgumentError(`give --workspace: there ${all.length === 0 ? 'is no workspace' : `are ${all.length} workspaces`}: ${ids}`);
  return all[0]!.id;
}

const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function summary(r: ImportReport, ws: string, errorsFile: string | undefined): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    r.rejected
      ? `rejected: ${n(r.errorCount)} of ${n(r.rows)} rows are invalid, so nothing was imported (all-or-nothing)`
      : `${r.kind} into ${ws}: ${n(r.rows)} rows, ${n(r.imported)} imported, ${n(r.duplicates)} already present, ${n(r.skipped)} skipped` +
        (r.tagged ? `, ${n(r.tagged)} profile${r.tagged === 1 ? '' : 's'} tagged` : ''),
  ];
  for (const e of r.errors.slice(0, SHOWN_ERRORS)) lines.push(`  line ${e.line}: ${e.reason}`);
  if (r.errorCount > SHOWN_ERRORS)
    lines.push(`  ... and ${n(r.errorCount - SHOWN_ERRORS)} more${errorsFile ? ` (all in ${errorsFile})` : '; --errors-file saves them all'}`);
  if (r.warningCount > 0) {
    lines.push(`${n(r.warningCount)} warning${r.warningCount === 1 ? '' : 's'}: rows imported without one of their values`);
    for (const w of r.warnings.slice(0, SHOWN_ERRORS)) lines.push(`  line ${w.line}, ${w.field}: ${w.reason}`);
    if (r.warningCount > SHOWN_ERRORS) lines.push(`  ... and ${n(r.warningCount - SHOWN_ERRORS)} more (--json lists up to 1,000)`);
  }
  return lines.join('\n');
}

/** A progress bar on a terminal; elsewhere (logs, CI) a line on stderr every ~2 s. */
function createProgress(totalBytes: number, bytesRead: () => number): { update: (p: ImportProgress) => void; stop: () => void } {
  let phase: ImportProgress['phase'] | undefined;
  let started = Date.now();
  let lastLine = 0;
  let bar: cliProgress.SingleBar | undefined;
  const rate = (rows: number) => Math.round(rows / Math.max(0.001, (Date.now() - started) / 1000));
  return {
    update(p) {
      if (p.phase !== phase) {
        phase = p.phase;
        started = lastLine = Date.now();
        bar?.stop();
        if (process.stderr.isTTY) {
          bar = new cliProgress.SingleBar(
            { stream: process.stderr, format: '{phase} [{bar}] {percentage}% | {rows} rows | {rate} rows/s | {errors} errors', hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Math.max(1, totalBytes), 0, { phase, rows: 0, rate: 0, errors: 0 });
        }
      }
      // Applying staged rows (all-or-nothing) reads no file: count rows instead.
      const bytes = p.total ? Math.round((p.rows / Math.max(1, p.total)) * totalBytes) : Math.min(bytesRead(), totalBytes);
      if (bar) bar.update(bytes, { phase, rows: p.rows, rate: rate(p.rows), errors: p.errors });
      else if (Date.now() - lastLine >= 2000) {
        lastLine = Date.now();
        const pct = totalBytes ? Math.round((bytes / totalBytes) * 100) : 100;
        process.stderr.write(`${p.phase}: ${pct}% ${p.rows} rows, ${rate(p.rows)} rows/s, ${p.errors} errors\n`);
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
