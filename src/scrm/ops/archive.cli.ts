import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { createServices } from '../../server/app.js';
import { pickWorkspace } from '../../cli/import.js';
import { output } from '../../cli/output.js';
import { loadConfig } from '../../platform/config.js';
import { importArchive } from './archive.service.js';
import { opsContext } from './context.js';

/** Registers `siyu wecom archive-import FILE --workspace W` (under the `wecom` command, created if absent). */
export function registerArchiveImportCommand(program: Command): void {
  const wecom = program.commands.find((c) => c.name() === 'wecom') ?? program.command('wecom').description('WeCom (企业微信) SCRM commands');
  wecom
    .command('archive-import')
    .description('Import conversation-archive records (JSON lines from the Finance SDK) into customer timelines, with sensitive-word alerts')
    .argument('<file>', 'JSON lines file, one decrypted record per line')
    .option('--workspace <id>', 'workspace id (may be left out when there is only one)')
    .option('--batch <n>', 'records per transaction', '500')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { workspace?: string; batch: string; json?: boolean }) => {
      if (!existsSync(file)) throw new InvalidArgumentError(`${file}: no such file`);
      const batchSize = Number(opts.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) throw new InvalidArgumentError('--batch must be a whole number from 1 to 5000');
      const s = await createServices(loadConfig(), { log: pino({ level: 'warn' }, pino.destination(2)) });
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: 'archive {bar} {value} lines | {imported} events | {errors} bad lines', stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      try {
        const ws = await pickWorkspace(s, opts.workspace);
        bar?.start(0, 0, { imported: 0, errors: 0 });
        const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
        const report = await importArchive({ ctx: opsContext(s), writer: s.writer, cipher: s.cipher }, ws, lines, {
          batchSize,
          onProgress: (p) => {
            if (bar) {
              bar.setTotal(p.lines);
              bar.update(p.lines, { imported: p.imported, errors: p.errors });
            } else process.stderr.write(`${p.lines} lines, ${p.imported} events, ${p.errors} bad lines\n`);
          },
        });
        bar?.stop();
        const text = [
          `${report.lines} lines: ${report.imported} events imported, ${report.duplicates} already there, ${report.skipped} skipped, ${report.keywordAlerts} keyword alerts`,
          ...report.errors.slice(0, 20).map((e) => `  line ${e.line}: ${e.reason}`),
          report.errorCount > 20 ? `  ... ${report.errorCount - 20} more bad lines (see --json)` : '',
          report.unknownCustomers.length
            ? `${report.unknownCustomers.length} customers unknown to Siyu (sync WeCom first): ${report.unknownCustomers
                .slice(0, 10)
                .map((u) => u.externalUserid)
                .join(', ')}`
            : '',
        ].filter(Boolean);
        output(!!opts.json, report, text.join('\n'));
        if (report.errorCount) process.exitCode = 1;
      } finally {
        bar?.stop();
        await s.writer.drain();
        await s.database.close();
      }
    });
}
