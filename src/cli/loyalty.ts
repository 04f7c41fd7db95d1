import type { Command } from 'commander';
import type { Database } from '../platform/db/database.js';
import { runExpiry, verifyBalances } from '../loyalty/index.js';
import { withDatabase } from './with-database.js';
import { output } from './output.js';

/**
 * `siyu loyalty verify`: recomputes every points balance from the ledger; prints the accounts
 * whose cached balance differs from the sum of their entries or of their lots. Returns the exit
 * code: 0 when every balance agrees, 1 when any does not.
 */
export async function loyaltyVerifyCommand(database: Database, opts: { workspace?: string; json?: boolean }): Promise<number> {
  const report = await verifyBalances(database.db, opts.workspace ? { workspaceId: opts.workspace } : {});
  const lines = report.mismatches.map(
    (m) =>
      `MISMATCH ${m.workspaceId} ${m.profileId}: cached ${m.cached ?? 'none (no account row)'}, entries sum ${m.entries}, lots hold ${m.lots}, last seq ${m.lastSeq ?? '-'} for ${m.entryCount} entries${m.pending !== undefined ? `, pending ${m.pending} but holds keep ${m.held}` : ''}`,
  );
  const summary = `${report.accounts} accounts checked on ${database.description}: ${report.mismatches.length === 0 ? 'every balance equals the sum of its entries' : `${report.mismatches.length} mismatch(es)`}`;
  output(!!opts.json, { ok: report.mismatches.length === 0, ...report }, [...lines, summary].join('\n'));
  return report.mismatches.length === 0 ? 0 : 1;
}

/**
 * `siyu loyalty expire`: expires every lot due now (one `expire` entry per lot) and records the
 * `Points Expiring` notices due, as the loyalty worker does; safe next to running workers.
 */
export async function loyaltyExpireCommand(database: Database, opts: { workspace?: string; json?: boolean }, now = Date.now()): Promise<number> {
  const r = await runExpiry(database, now, opts.workspace ? { workspaceId: opts.workspace } : {});
  output(
    !!opts.json,
    { ok: true, ...r },
    `expired ${r.lots} lot(s), ${r.points} points, in ${r.accounts} account(s); ${r.notices} "Points Expiring" notice(s) recorded (${database.description})`,
  );
  return 0;
}

/** Registers `siyu loyalty verify` and `siyu loyalty expire`. */
export function registerLoyaltyCommands(program: Command): void {
  const loyalty = program.command('loyalty').description('Loyalty: verify the points ledger, expire due points');
  loyalty
    .command('verify')
    .description('Recompute every points balance from the ledger entries; report mismatches and exit 1 if there are any')
    .option('--workspace <id>', 'only this workspace')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { workspace?: string; json?: boolean }) => {
      const code = await withDatabase((d) => loyaltyVerifyCommand(d, opts));
      process.exitCode = code;
    });
  loyalty
    .command('expire')
    .description('Expire the points due now and record the "Points Expiring" notices due (what the loyalty worker does on its own)')
    .option('--workspace <id>', 'only this workspace')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { workspace?: string; json?: boolean }) => {
      process.exitCode = await withDatabase((d) => loyaltyExpireCommand(d, opts));
    });
}
