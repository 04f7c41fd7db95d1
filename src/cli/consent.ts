import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { formatFromFileName, type ImportFormat } from '../cdp/index.js';
import { CONSENT_IMPORT_MODES, type ConsentImportMode, type ConsentImportReport, importConsent } from '../messaging/consent.import.js';
import { loadConfig } from '../platform/config.js';
import { AppError } from '../platform/errors.js';
import { createServices, messagingDeps } from '../server/app.js';
import { pickWorkspace } from './import.js';

interface ConsentImportOptions {
  workspace?: string;
  format?: ImportFormat;
  mode: ConsentImportMode;
  json?: boolean;
}

/** Registers `siyu consent import <file>`: exit 0 when every row was recorded or unchanged, 1 when rows were bad or the file rejected, 2 on usage errors. */
export function registerConsentCommands(program: Command): void {
  const consent = program.command('consent').description('The PIPL consent ledger: import consent given elsewhere, with its evidence');
  consent
    .command('import')
    .description('Record consent given or withdrawn elsewhere (store forms, checkouts) from a CSV or NDJSON file; re-importing records nothing twice')
    .argument(
      '<file>',
      'a .csv (header row, UTF-8), .ndjson or .jsonl file: profile or user_id/phone/email…, purpose, channel, granted, at, source, text_version, evidence.<name>',
    )
    .option('--workspace <id>', 'workspace id (ws_...); may be left out when there is only one')
    .addOption(new Option('--format <format>', 'file format (default: from the file extension)').choices(['csv', 'ndjson']))
    .addOption(
      new Option('--mode <mode>', 'all-or-nothing records every row or none; skip-bad-rows records the good rows')
        .choices(CONSENT_IMPORT_MODES)
        .default('all-or-nothing'),
    )
    .option('--json', 'print the report as JSON')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (file: string, opts: ConsentImportOptions) => {
      process.exitCode = await consentImport(file, opts);
    });
}

async function consentImport(file: string, opts: ConsentImportOptions): Promise<number> {
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
  } catch {
    throw new InvalidArgumentError(`cannot read ${file}: no such file`);
  }
  const format = opts.format ?? formatFromFileName(file);
  if (!format) throw new InvalidArgumentError(`cannot tell the format of ${file} from its extension; give --format csv or --format ndjson`);
  const services = await createServices(loadConfig(), { log: pino({ level: 'warn' }, pino.destination(2)) });
  try {
    const ws = await pickWorkspace(services, opts.workspace);
    let report: ConsentImportReport;
    try {
      report = await importConsent(messagingDeps(services), ws, createReadStream(file), { format, mode: opts.mode, fileName: basename(file) });
    } catch (err) {
      if (err instanceof AppError && (err.code === 'IMPORT_INVALID' || err.code === 'CONSENT_IMPORT_INVALID')) {
        process.stderr.write(`consent import rejected: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else process.stdout.write(summary(report) + '\n');
    return report.rejected || report.errorCount > 0 ? 1 : 0;
  } finally {
    await services.writer.drain();
    await services.database.close();
  }
}

function summary(r: ConsentImportReport): string {
  const head = r.rejected
    ? `rejected: ${r.errorCount} of ${r.rows} rows are invalid, so nothing was recorded (mode all-or-nothing)`
    : `${r.rows} rows: ${r.recorded} recorded, ${r.unchanged} unchanged (already in the ledger), ${r.skipped} skipped`;
  const errs = r.errors.slice(0, 20).map((e) => `  line ${e.line}${e.field ? ` (${e.field})` : ''}: ${e.reason}`);
  const more = r.errorCount > errs.length ? [`  … and ${r.errorCount - errs.length} more`] : [];
  return [head, ...errs, ...more].join('\n');
}
