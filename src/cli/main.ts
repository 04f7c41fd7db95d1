import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { createRuleBook, type IdentifierRule } from '../cdp/identifiers.js';
import { ConfigError, loadConfig } from '../platform/config.js';
import { openDatabase } from '../platform/db/database.js';
import { migrateSiyu } from '../server/migrations.js';
import { AppError } from '../platform/errors.js';
import { createKey, createWorkspace, listWorkspaces, type KeyKind } from '../platform/workspaces.js';
import { serve } from './serve.js';
import { registerImportCommand } from './import.js';
import { registerBenchCommand } from './bench.js';
import { output } from './output.js';
import { registerSegmentCommands } from './segment.js';
import { registerWeComSandboxCommand } from '../../wecom-sandbox/index.js';
import { registerArchiveImportCommand, registerWeComSyncCommand } from './wecom.js';

/** Opens the configured database with migrations applied, for one-shot commands. */
export async function withDatabase<T>(fn: (db: ReturnType<typeof openDatabase>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    await migrateSiyu(database.db, database.dialect.engine);
    return await fn(database);
  } finally {
    await database.close();
  }
}

const program = new Command();
program
  .name('siyu')
  .description(
    'Siyu: self-hosted customer operations platform (CDP, One ID, segmentation, SCRM, journeys).\nConfiguration comes from the environment; see docs/getting-started.md.',
  )
  .version('0.1.0')
  .showHelpAfterError();

program
  .command('serve')
  .description('Run the HTTP API (default port 3000, embedded SQLite under ./data unless DATABASE_URL is set)')
  .action(async () => {
    await serve(loadConfig());
  });

program
  .command('migrate')
  .description('Apply pending database migrations and exit')
  .option('--json', 'print the result as JSON')
  .action(async (opts: { json?: boolean }) => {
    const config = loadConfig();
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
      createRuleBook(identityRules); // validates, throwing a message that names the bad rule
    }
    const settings = { currency: opts.currency, ...(identityRules ? { identityRules } : {}) };
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
    const created = await withDatabase((d) => createKey(d.db, opts.workspace, opts.kind as KeyKind, opts.name ?? `${opts.kind} key`));
    output(
      !!opts.json,
      { id: created.info.id, kind: created.info.kind, key: created.key },
      `${created.info.kind} key ${created.info.id}: ${created.key}\nIt is not shown again.`,
    );
  });

registerImportCommand(program);
registerSegmentCommands(program);
registerBenchCommand(program);
registerWeComSandboxCommand(program);
registerArchiveImportCommand(program);
registerWeComSyncCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`configuration error: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof AppError || err instanceof InvalidArgumentError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
