/**
 * `siyu wecom sync` (full sync of a WeCom corp into a workspace) and `siyu wecom archive-import`
 * (conversation-archive records into customer timelines): the commands over scrm's published
 * functions.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import cliProgress from 'cli-progress';
import { type Command, type CommanderError, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { loadConfig } from '../platform/config.js';
import {
  archiveDeps,
  DEFAULT_WECOM_API,
  importArchive,
  type OpenConnection,
  openConnection,
  runFullSync,
  type SyncProgress,
  type SyncResult,
} from '../scrm/index.js';
import { createServices } from '../server/app.js';
import { createWeComClient, isWeComFailure } from '../wecom/index.js';
import { pickWorkspace } from './import.js';
import { output } from './output.js';

/** The options of `siyu wecom sync`; each one naming the corp overrides the stored connection's. */
export interface SyncCliOptions {
  workspace?: string;
  corpId?: string;
  secret?: string;
  secretFile?: string;
  apiBaseUrl?: string;
  json?: boolean;
}

/** What a sync connects to WeCom with. */
export interface SyncTarget {
  corpId: string;
  secret: string;
  baseUrl: string;
}

const n = (x: number) => x.toLocaleString('en-US');

const UNITS: Record<SyncProgress['phase'], string> = { staff: 'members', tags: 'tags', contacts: 'relations', groups: 'groups' };

/**
 * Checks the options that name the corp, before anything is opened (the messages say what would be
 * accepted); the secret file is read here. Returns the secret the options give, if any.
 */
export function checkSyncOptions(opts: SyncCliOptions): { secret?: string } {
  if (opts.corpId !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(opts.corpId))
    throw new InvalidArgumentError(
      `--corp-id must be the corp id from WeCom's admin console (letters and digits, e.g. ww1234567890abcdef), got "${opts.corpId}"`,
    );
  if (opts.secret !== undefined && opts.secretFile !== undefined)
    throw new InvalidArgumentError('give the 客户联系 secret with either --secret <secret> or --secret-file <path>, not both');
  let secret = opts.secret;
  if (opts.secretFile !== undefined) {
    try {
      secret = readFileSync(opts.secretFile, 'utf8').trim();
    } catch (err) {
      throw new InvalidArgumentError(`--secret-file: cannot read ${opts.secretFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  if (secret !== undefined && !secret) throw new InvalidArgumentError(`the secret ${opts.secretFile !== undefined ? `in ${opts.secretFile} ` : ''}is empty`);
  if (opts.apiBaseUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(opts.apiBaseUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      throw new InvalidArgumentError(`--api-base-url must be an http(s) URL such as ${DEFAULT_WECOM_API}, got "${opts.apiBaseUrl}"`);
  }
  return { secret };
}

/**
 * The corp, secret and API address a sync uses: the workspace's stored connection (`PUT
 * /v1/wecom/connection`), each part overridden by its option. Without a stored connection the
 * options must name the corp and its secret; a stored secret is never used for another corp.
 */
export function syncTarget(opts: SyncCliOptions, stored: OpenConnection | undefined, workspaceId: string): SyncTarget {
  const given = checkSyncOptions(opts);
  const corpId = opts.corpId ?? stored?.corpId;
  if (corpId === undefined)
    throw new InvalidArgumentError(
      `workspace ${workspaceId} has no WeCom connection: store one with PUT /v1/wecom/connection, or give --corp-id and --secret (or --secret-file)`,
    );
  const secret = given.secret ?? (stored?.corpId === corpId ? stored.secret : undefined);
  if (secret === undefined)
    throw new InvalidArgumentError(
      stored
        ? `--corp-id ${corpId} is not the corp of workspace ${workspaceId}'s WeCom connection (${stored.corpId}): give its secret with --secret or --secret-file`
        : `workspace ${workspaceId} has no WeCom connection: give the 客户联系 secret of ${corpId} with --secret or --secret-file`,
    );
  return { corpId, secret, baseUrl: opts.apiBaseUrl ?? stored?.apiBaseUrl ?? DEFAULT_WECOM_API };
}

/** Progress on stderr: a bar per phase on a terminal, a line every 5 s otherwise. */
function progressDisplay() {
  const tty = process.stderr.isTTY;
  let bar: cliProgress.SingleBar | undefined;
  let phase: string | undefined;
  let last = 0;
  return {
    update(p: SyncProgress) {
      const unit = UNITS[p.phase];
      if (!tty) {
        if (Date.now() - last < 5000 && p.total === undefined) return;
        last = Date.now();
        process.stderr.write(
          `${p.phase}: ${n(p.done)}${p.total !== undefined ? ` of ${n(p.total)}` : ''} ${unit}${p.rate ? `, ${n(Math.round(p.rate))}/s` : ''}\n`,
        );
        return;
      }
      if (phase !== p.phase) {
        bar?.stop();
        phase = p.phase;
        // WeCom gives no count of relations or groups up front: those phases show a counter.
        const format =
          p.total !== undefined
            ? `${p.phase.padEnd(8)} [{bar}] {value}/{total} ${unit}`
            : `${p.phase.padEnd(8)} {value} ${unit} | {rate}/s | {duration_formatted}`;
        bar = new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
        bar.start(Math.max(p.total ?? 0, p.done, 1), p.done, { rate: '-' });
      }
      bar!.setTotal(Math.max(p.total ?? 0, p.done, 1));
      bar!.update(p.done, { rate: n(Math.round(p.rate)) });
    },
    stop() {
      bar?.stop();
    },
  };
}

function summary(r: SyncResult, ws: string, secs: string): string {
  const lines = [
    `${r.completed ? 'synced' : 'stopped'} WeCom corp into ${ws} in ${secs} s${r.resumed ? ` (resumed sync ${r.runId})` : ''}`,
    `  staff      ${n(r.staff)} members${r.resignedStaff ? `, ${n(r.resignedStaff)} no longer listed (marked resigned)` : ''}`,
    `  tags       ${n(r.tags)}${r.deletedTags ? `, ${n(r.deletedTags)} deleted since the last sync` : ''}`,
    `  customers  ${n(r.contacts)} contacts, ${n(r.relations)} relations, ${n(r.events)} profile updates${r.vanishedFollows ? `, ${n(r.vanishedFollows)} relations ended since the last sync` : ''}`,
    `  groups     ${n(r.groups)} groups, ${n(r.groupMembers)} members${r.dismissedGroups ? `, ${n(r.dismissedGroups)} dismissed since the last sync` : ''}`,
  ];
  if (r.unresolved) lines.push(`  ${n(r.unresolved)} contacts had no usable identifier and were skipped (see the log)`);
  if (r.unlicensedStaff) lines.push(`  ${n(r.unlicensedStaff)} members have no interconnection licence: WeCom did not list their customers`);
  if (!r.completed) lines.push('Run the same command again to continue from where it stopped.');
  return lines.join('\n');
}

/** Services of a one-shot command (what `createServices` builds). */
type Services = Awaited<ReturnType<typeof createServices>>;

/**
 * Runs `siyu wecom sync` over the given services: picks the workspace, resolves the corp (the stored
 * connection, options overriding), syncs with progress on stderr and the result on stdout. Returns
 * the exit status (0 synced, 130 stopped, 1 WeCom error); usage errors throw InvalidArgumentError (2).
 */
export async function wecomSyncCommand(services: Services, opts: SyncCliOptions, signal?: AbortSignal): Promise<number> {
  checkSyncOptions(opts);
  const workspaceId = await pickWorkspace(services, opts.workspace);
  const target = syncTarget(opts, await openConnection(services.scrm, workspaceId), workspaceId);
  const display = progressDisplay();
  try {
    const client = createWeComClient({ baseUrl: target.baseUrl, corpId: target.corpId, secret: target.secret, log: services.log });
    const started = Date.now();
    const result = await runFullSync({
      db: services.database.db,
      dialect: services.database.dialect,
      writer: services.writer,
      client,
      workspaceId,
      corpId: target.corpId,
      now: () => services.clock.now(),
      log: services.log,
      signal,
      defaultRegion: services.config.defaultPhoneRegion,
      onProgress: (p) => display.update(p),
    });
    display.stop();
    output(!!opts.json, { workspaceId, corpId: target.corpId, ...result }, summary(result, workspaceId, ((Date.now() - started) / 1000).toFixed(1)));
    return result.completed ? 0 : 130;
  } catch (err) {
    if (!isWeComFailure(err)) throw err;
    display.stop();
    // WeCom's errors explain themselves (errcode, meaning); what was committed stays, and the next run resumes.
    process.stderr.write(
      `\nerror: ${err.message}\nThe sync stopped; what it had stored is kept, and running the command again continues from its last checkpoint.\n`,
    );
    return 1;
  } finally {
    display.stop();
  }
}

/** Commander's own usage errors (unknown option, missing argument) exit 2, as Siyu's do; help and version exit 0. */
const usageExit = (err: CommanderError) => process.exit(err.exitCode === 0 ? 0 : 2);

/** Registers `siyu wecom sync` (under a `wecom` command shared with other WeCom commands). */
export function registerWeComSyncCommand(program: Command): void {
  const wecom = program.commands.find((c) => c.name() === 'wecom') ?? program.command('wecom').description('WeCom (企业微信): sync a corp into a workspace');
  wecom
    .command('sync')
    .description(
      "Full sync of a WeCom corp into a workspace: staff, corp tags, customers (each on a One ID profile) and groups. Uses the workspace's stored WeCom connection; the options override it. An interrupted sync resumes where it stopped; see docs/scrm-sync.md",
    )
    .option('--workspace <id>', 'workspace id (may be left out when there is only one)')
    .option('--corp-id <id>', "the corp id (企业ID); default: the workspace's WeCom connection's")
    .option('--secret <secret>', "the 客户联系 secret (or that of an app allowed to call the 客户联系 APIs); default: the connection's")
    .option('--secret-file <path>', 'read the secret from this file instead (keeps it out of the process list)')
    .option('--api-base-url <url>', `WeCom API base URL (the sandbox: http://127.0.0.1:3100); default: the connection's, else ${DEFAULT_WECOM_API}`)
    .option('--json', 'print the result as JSON')
    .exitOverride(usageExit)
    .action(async (opts: SyncCliOptions) => {
      checkSyncOptions(opts);
      // Logs go to stderr: stdout carries the result (--json).
      const services = await createServices(loadConfig(), { log: pino({ level: 'warn' }, pino.destination(2)) });
      const stop = new AbortController();
      const onSigint = () => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
        process.stderr.write('\nstopping after the current chunk (Ctrl-C again to quit at once; the sync resumes either way)\n');
      };
      process.on('SIGINT', onSigint);
      try {
        process.exitCode = await wecomSyncCommand(services, opts, stop.signal);
      } finally {
        process.off('SIGINT', onSigint);
        await services.writer.drain();
        await services.database.close();
      }
    });
}

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
    .exitOverride(usageExit)
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
        const report = await importArchive(archiveDeps(s.scrm), ws, lines, {
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
