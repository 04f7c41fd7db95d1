import { createWriteStream } from 'node:fs';
import { userInfo } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import pino from 'pino';
import { carryOutErasure, ComplianceError, createPrivacyRequest, exportArchive, getPrivacyRequest, recordAudit } from '../compliance/index.js';
import { loadConfig } from '../platform/config.js';
import { createServices, privacyDeps } from '../server/app.js';
import { pickWorkspace } from './import.js';
import { output } from './output.js';

type Services = Awaited<ReturnType<typeof createServices>>;

/** The operator at the server's shell, as the request and the audit log name them. */
function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * `siyu privacy export <identifier> --out file.zip`: records an export request for the person (as
 * the API does) and writes its archive to the file, streamed; the export is recorded in the audit
 * log with the operator's login name. Whoever can run the CLI against the database has the owner's
 * powers already (they hold DATABASE_URL and the encryption key).
 */
export async function privacyExportCommand(
  services: Services,
  subject: string,
  opts: { workspace?: string; out: string; note?: string; json?: boolean },
): Promise<{ requestId: string; rows: Record<string, number> }> {
  const ws = await pickWorkspace(services, opts.workspace);
  const deps = privacyDeps(services);
  const who = operator();
  const request = await createPrivacyRequest(deps, ws, { kind: 'export', subject, note: opts.note ?? 'siyu privacy export', requestedBy: `cli:${who}` });
  const { bytes } = await exportArchive(deps, ws, request.id);
  await pipeline(Readable.from(bytes), createWriteStream(opts.out));
  await recordAudit({ database: services.database, now: () => services.clock.now() }, ws, {
    actor_kind: 'cli',
    actor_id: who,
    actor_role: 'owner',
    ip: null,
    user_agent: 'siyu privacy export',
    method: 'GET',
    route: '/v1/privacy/requests/:id/archive',
    path: `/v1/privacy/requests/${request.id}/archive`,
    target: request.id,
    status: 200,
    body: null,
    before: null,
    after: null,
    request_id: request.id,
  });
  const completion = (await getPrivacyRequest(deps, ws, request.id)).completion as { exported: { rows: Record<string, number> } };
  const rows = completion.exported.rows;
  const total = Object.values(rows).reduce((a, b) => a + b, 0);
  output(
    !!opts.json,
    { requestId: request.id, profileId: request.profileId, out: opts.out, rows },
    request.profileId
      ? `request ${request.id}: ${total} rows about ${request.profileId} written to ${opts.out}`
      : `request ${request.id}: nobody in ${ws} is known by ${subject}; ${opts.out} says so (no rows)`,
  );
  return { requestId: request.id, rows };
}

/**
 * `siyu privacy erase <identifier> --yes`: records an erasure request for the person and carries it
 * out (every module forgets them, identifiers tombstoned: docs/compliance.md "Erasure"), recorded
 * in the audit log with the operator's login name. `--request <id>` carries out (or resumes, after a
 * failure) an erasure request already recorded instead. Without `--yes` nothing is done.
 */
export async function privacyEraseCommand(
  services: Services,
  subject: string | undefined,
  opts: { workspace?: string; request?: string; note?: string; yes?: boolean; json?: boolean },
): Promise<{ requestId: string; rows: Record<string, Record<string, number>> }> {
  if (!opts.yes) throw new ComplianceError('VALIDATION_FAILED', 'erasure cannot be undone: run again with --yes to carry it out');
  const ws = await pickWorkspace(services, opts.workspace);
  const deps = privacyDeps(services);
  const who = operator();
  let id = opts.request;
  if (!id) {
    if (!subject) throw new ComplianceError('VALIDATION_FAILED', 'name the person (prf_… or type:value) or an erasure request (--request dsr_…)');
    id = (await createPrivacyRequest(deps, ws, { kind: 'erasure', subject, note: opts.note ?? 'siyu privacy erase', requestedBy: `cli:${who}` })).id;
  }
  let status = 200;
  try {
    const done = await carryOutErasure(deps, ws, id);
    const rows = (done.completion as { erased: { rows: Record<string, Record<string, number>> } }).erased.rows;
    const total = Object.values(rows).reduce((a, kinds) => a + Object.values(kinds).reduce((b, n) => b + n, 0), 0);
    output(!!opts.json, { requestId: id, rows }, `request ${id}: erased (${total} rows removed, emptied or detached in ${Object.keys(rows).length} modules)`);
    return { requestId: id, rows };
  } catch (err) {
    status = (err as { statusCode?: number }).statusCode ?? 500;
    throw err;
  } finally {
    await recordAudit({ database: services.database, now: () => services.clock.now() }, ws, {
      actor_kind: 'cli',
      actor_id: who,
      actor_role: 'owner',
      ip: null,
      user_agent: 'siyu privacy erase',
      method: 'POST',
      route: '/v1/privacy/requests/:id/carry-out',
      path: `/v1/privacy/requests/${id}/carry-out`,
      target: id,
      status,
      body: null,
      before: null,
      after: null,
      request_id: id,
    });
  }
}

/** Registers `siyu privacy export` and `siyu privacy erase`. */
export function registerPrivacyCommands(program: Command): void {
  const privacy = program.command('privacy').description('Data-subject requests: export everything held about one person, or erase them');
  privacy
    .command('export')
    .description('Export everything held about one person (a profile id or type:value, e.g. phone:+8613800138000) as a ZIP: person.json and a CSV per kind')
    .argument('<identifier>', 'prf_… or type:value')
    .requiredOption('--out <file>', 'the ZIP to write')
    .option('--workspace <id>', 'the workspace (needed when there are several)')
    .option('--note <text>', 'how the request came in (kept with the request)')
    .option('--json', 'print the result as JSON')
    .action(async (identifier: string, opts: { workspace?: string; out: string; note?: string; json?: boolean }) => {
      const services = await createServices(loadConfig(), { log: pino({ level: 'warn' }, pino.destination(2)) });
      try {
        await privacyExportCommand(services, identifier, opts);
      } finally {
        await services.writer.drain();
        await services.close();
      }
    });
  privacy
    .command('erase')
    .description('Erase one person from every module (a profile id or type:value); identifiers are tombstoned. Cannot be undone: needs --yes')
    .argument('[identifier]', 'prf_… or type:value')
    .option('--request <id>', 'carry out (or resume) an erasure request already recorded instead')
    .option('--workspace <id>', 'the workspace (needed when there are several)')
    .option('--note <text>', 'how the request came in (kept with the request)')
    .option('--yes', 'confirm: the erasure cannot be undone')
    .option('--json', 'print the result as JSON')
    .action(async (identifier: string | undefined, opts: { workspace?: string; request?: string; note?: string; yes?: boolean; json?: boolean }) => {
      const services = await createServices(loadConfig(), { log: pino({ level: 'warn' }, pino.destination(2)) });
      try {
        await privacyEraseCommand(services, identifier, opts);
      } finally {
        await services.writer.drain();
        await services.close();
      }
    });
}
