/**
 * The `siyu` command. Only what `siyu --help` needs is loaded up front (commander, the config
 * reader, the command names): each command loads its modules when it runs, so a command starts
 * in a fraction of a second instead of loading the whole product first (bench: `cli`).
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import type { IdentifierRule } from '../cdp/identifiers.js';
import { ConfigError, loadConfig } from '../platform/config.js';
import { AppError } from '../platform/errors.js';
import type { KeyKind } from '../platform/workspaces.js';
import { describeWorkers, parseWorkerNames, type WorkerName } from '../server/worker-names.js';
import { output } from './output.js';
import { withDatabase } from './with-database.js';

const program = new Command();
program
  .name('siyu')
  .description(
    'Siyu: self-hosted customer operations platform (CDP, One ID, segmentation, SCRM, journeys).\nConfiguration comes from the environment; see docs/getting-started.md.',
  )
  .version('0.1.0')
  .showHelpAfterError();

/** Parses `--only`/`--workers` lists of worker names. */
function workerList(list: string): WorkerName[] {
  try {
    return parseWorkerNames(list);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

program
  .command('serve')
  .description(
    'Run the HTTP API and the background workers (default port 3000, embedded SQLite under ./data unless DATABASE_URL is set).\n' +
      'On PostgreSQL, run API-only processes (--no-workers) and worker processes (`siyu worker`) side by side: see docs/scaling.md.',
  )
  .option('--no-workers', 'API only: run no background worker in this process (PostgreSQL only)')
  .option('--workers <names>', 'run only these workers beside the API (comma-separated; see `siyu worker --help`; PostgreSQL only)')
  .action(async (opts: { workers: boolean | string }) => {
    const { run } = await import('./serve.js');
    const workers = opts.workers === false ? 'none' : typeof opts.workers === 'string' ? workerList(opts.workers) : 'all';
    await run(loadConfig(), { http: true, workers });
  });

program
  .command('worker')
  .description('Run background workers without the HTTP API (PostgreSQL only; several processes share the work)')
  .option('--only <names>', 'run only these workers (comma-separated)')
  .addHelpText('after', () => `\nWorkers:\n${describeWorkers()}`)
  .action(async (opts: { only?: string }) => {
    const { run } = await import('./serve.js');
    await run(loadConfig(), { http: false, workers: opts.only ? workerList(opts.only) : 'all' });
  });

program
  .command('migrate')
  .description('Apply pending database migrations and exit')
  .option('--json', 'print the result as JSON')
  .action(async (opts: { json?: boolean }) => {
    const config = loadConfig();
    const { openDatabase } = await import('../platform/db/database.js');
    const { migrateSiyu } = await import('../server/migrations.js');
    const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
    try {
      const applied = await migrateSiyu(database.db, database.dialect.engine);
      output(
        !!opts.json,
        { database: database.description, applied },
        applied.length ? `applied ${applied.join(', ')} on ${database.description}` : `${database.description} is up to date`,
      );
    } finally {
      await database.close();
    }
  });

const workspace = program.command('workspace').description('Manage workspaces (tenants)');
workspace
  .command('create')
  .description('Create a workspace with a write key and a secret key (shown once)')
  .requiredOption('--name <name>', 'display name')
  .option('--currency <code>', 'ISO-4217 currency for purchase aggregates', 'CNY')
  .option('--identity-rules <file>', 'JSON file with One ID rules: [{ "type", "priority", "maxPerProfile", "pii" }]')
  .option('--json', 'print the workspace id and keys as JSON')
  .action(async (opts: { name: string; currency: string; identityRules?: string; json?: boolean }) => {
    if (!/^[A-Z]{3}$/.test(opts.currency)) throw new InvalidArgumentError(`--currency must be an ISO-4217 code such as CNY, got "${opts.currency}"`);
    let identityRules: IdentifierRule[] | undefined;
    if (opts.identityRules) {
      try {
        identityRules = JSON.parse(readFileSync(opts.identityRules, 'utf8'));
      } catch (err) {
        throw new InvalidArgumentError(`--identity-rules: cannot read ${opts.identityRules} as JSON: ${(err as Error).message}`);
      }
      if (!Array.isArray(identityRules)) throw new InvalidArgumentError('--identity-rules: the file must hold a JSON array of rules');
      (await import('../cdp/identifiers.js')).createRuleBook(identityRules); // validates, throwing a message that names the bad rule
    }
    const settings = { currency: opts.currency, ...(identityRules ? { identityRules } : {}) };
    const { createWorkspace } = await import('../platform/workspaces.js');
    const created = await withDatabase((d) => createWorkspace(d.db, { name: opts.name, settings }));
    output(
      !!opts.json,
      { id: created.workspace.id, name: created.workspace.name, writeKey: created.writeKey, secretKey: created.secretKey },
      `workspace ${created.workspace.id} "${created.workspace.name}"\n  write key:  ${created.writeKey}\n  secret key: ${created.secretKey}\nKeep the secret key safe: it is not shown again.`,
    );
  });
workspace
  .command('list')
  .description('List workspaces')
  .option('--json', 'print as JSON')
  .action(async (opts: { json?: boolean }) => {
    const { listWorkspaces } = await import('../platform/workspaces.js');
    const list = await withDatabase((d) => listWorkspaces(d.db));
    output(!!opts.json, list, list.map((w) => `${w.id}  ${w.name}  (created ${w.createdAt})`).join('\n') || 'no workspaces');
  });

const key = program.command('key').description('Manage API keys');
key
  .command('create')
  .description('Create a write key (tracking) or secret key (management API) for a workspace')
  .requiredOption('--workspace <id>', 'workspace id (ws_...)')
  .option('--kind <kind>', 'write or secret', 'secret')
  .option('--name <name>', 'a label for the key')
  .option('--json', 'print as JSON')
  .action(async (opts: { workspace: string; kind: string; name?: string; json?: boolean }) => {
    if (opts.kind !== 'write' && opts.kind !== 'secret') throw new InvalidArgumentError(`--kind must be "write" or "secret", got "${opts.kind}"`);
    const { createKey } = await import('../platform/workspaces.js');
    const created = await withDatabase((d) => createKey(d.db, opts.workspace, opts.kind as KeyKind, opts.name ?? `${opts.kind} key`));
    output(
      !!opts.json,
      { id: created.info.id, kind: created.info.kind, key: created.key },
      `${created.info.kind} key ${created.info.id}: ${created.key}\nIt is not shown again.`,
    );
  });

/**
 * Command groups whose modules load only when one of them is invoked; for any other command line
 * (`siyu --help`, `siyu serve`) they are registered as names with a description.
 */
const LAZY: Record<string, { description: string; load: () => Promise<(program: Command) => void> }> = {
  import: { description: 'Import profiles, events or orders from a CSV or NDJSON file', load: async () => (await import('./import.js')).registerImportCommand },
  demo: {
    description: 'Load the demo brand (a coffee chain and a designer-toy line) into an empty workspace',
    load: async () => (await import('./demo.js')).registerDemoCommand,
  },
  segment: {
    description: 'Segments: list, create from a rule file, evaluate, export members',
    load: async () => (await import('./segment.js')).registerSegmentCommands,
  },
  models: {
    description: 'Built-in models: RFM value tiers, lifecycle stages, community roles',
    load: async () => (await import('./segment.js')).registerSegmentCommands,
  },
  wecom: {
    description: 'WeCom (企业微信): full sync of a corp, conversation archive import',
    load: async () => {
      const m = await import('./wecom.js');
      return (p) => {
        m.registerWeComSyncCommand(p);
        m.registerArchiveImportCommand(p);
      };
    },
  },
  consent: {
    description: 'The PIPL consent ledger: import consent given elsewhere (store forms, checkouts) with its evidence',
    load: async () => (await import('./consent.js')).registerConsentCommands,
  },
  loyalty: {
    description: 'Loyalty: verify the points ledger (every balance recomputed from its entries), expire due points',
    load: async () => (await import('./loyalty.js')).registerLoyaltyCommands,
  },
  privacy: {
    description: 'Data-subject requests: export everything held about one person as a ZIP',
    load: async () => (await import('./privacy.js')).registerPrivacyCommands,
  },
  keys: {
    description: 'PII encryption keys: rotate a workspace’s data key (re-encrypting in the background), status, rewrap under a new server key',
    load: async () => (await import('./keys.js')).registerKeysCommands,
  },
  retention: {
    description: 'Retention policies: run the purge of data older than each kind’s period now, with progress',
    load: async () => (await import('./retention.js')).registerRetentionCommands,
  },
  user: {
    description: 'Console users: create a user with a role in a workspace',
    load: async () => (await import('./user.js')).registerUserCommands,
  },
  'wecom-sandbox': {
    description: 'A local WeCom sandbox (development tool): a fake corp with the WeCom API and callbacks',
    load: async () => (await import('../../wecom-sandbox/index.js')).registerWeComSandboxCommand,
  },
  bench: {
    description: 'Run a performance benchmark against its baseline (see bench/README.md)',
    load: async () => (await import('./bench.js')).registerBenchCommand,
  },
};
const invoked = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (invoked && LAZY[invoked]) (await LAZY[invoked].load())(program);
for (const [name, group] of Object.entries(LAZY)) {
  if (!program.commands.some((c) => c.name() === name)) program.command(name).description(group.description);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`configuration error: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof AppError || err instanceof InvalidArgumentError || (err instanceof Error && err.name === 'RoleError')) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
