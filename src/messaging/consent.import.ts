/**
 * Consent given elsewhere (a store's paper form, a shop's checkout, an earlier CRM), imported in
 * bulk into the consent ledger with its evidence: who (a profile or an identifier), which purpose
 * and channel, given or withdrawn, when, how (source) and which version of the consent text. A
 * consent file is evidence, so the default is all or nothing: every row is read and checked
 * (profiles looked up) before the first one is recorded, and all are recorded in one transaction.
 * Re-importing a file records nothing twice: a row whose decision, time and source are already the
 * newest ledger entry for its profile, purpose and channel counts as unchanged.
 */
import type { Readable } from 'node:stream';
import { CdpError, type ImportFormat, mergedIdsOf, readRows } from '../cdp/index.js';
import { AppError } from '../platform/errors.js';
import { CONSENT_IMPORT_MODES } from './channel.types.js';
import { CHANNELS, CONSENT_PURPOSES, type ConsentPurpose, isChannel } from './content.js';
import { type ConsentInput, recordConsentIn } from './consent.service.js';
import { mdb, type MessagingDeps } from './deps.js';
import { MessagingError } from './errors.js';

export { CONSENT_IMPORT_MODES };
export type ConsentImportMode = (typeof CONSENT_IMPORT_MODES)[number];

/** Rows one file may hold: they are checked in memory before anything is written. Split larger files. */
export const CONSENT_IMPORT_MAX_ROWS = 200_000;

/** Errors the report lists (all are counted). */
const LISTED_ERRORS = 1000;

/** Columns that name the person, besides `profile` (a profile id or `type:value`). */
const IDENTIFIER_COLUMNS = ['user_id', 'member_id', 'phone', 'email', 'unionid', 'anonymous_id'] as const;
const COLUMNS = new Set<string>(['profile', ...IDENTIFIER_COLUMNS, 'purpose', 'channel', 'granted', 'at', 'source', 'text_version', 'evidence']);

export interface ConsentImportError {
  line: number;
  field?: string;
  reason: string;
}

export interface ConsentImportReport {
  format: ImportFormat;
  mode: ConsentImportMode;
  /** Data rows read. */
  rows: number;
  /** Ledger entries written by this import. */
  recorded: number;
  /** Good rows already the newest entry of the ledger (a re-import). */
  unchanged: number;
  /** Rows not recorded (bad rows; with all-or-nothing and any bad row, every row). */
  skipped: number;
  /** all-or-nothing found bad rows and recorded nothing. */
  rejected: boolean;
  errorCount: number;
  errors: ConsentImportError[];
}

interface GoodRow {
  line: number;
  profileId: string;
  input: ConsentInput & { at: number };
}

const TRUE = new Set(['true', '1', 'yes', 'y', 'granted', 'opt-in', 'optin', '是', '同意']);
const FALSE = new Set(['false', '0', 'no', 'n', 'withdrawn', 'opt-out', 'optout', '否', '撤回', '不同意']);

class RowProblem extends Error {
  constructor(
    readonly field: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const text = (v: unknown): string | undefined => {
  if (v === undefined || v === null) return undefined;
  const s = typeof v === 'string' ? v.trim() : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  return s === '' ? undefined : s;
};

/** The CSV header must name the person and the decision, and nothing unknown (a typo would silently lose evidence). */
export function checkConsentHeader(names: string[]): string | undefined {
  const unknown = names.filter((n) => !COLUMNS.has(n) && !n.startsWith('evidence.'));
  if (unknown.length)
    return `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}: the columns are profile (or ${IDENTIFIER_COLUMNS.join(', ')}), purpose, channel, granted, at, source, text_version and evidence.<name>`;
  if (!names.includes('profile') && !IDENTIFIER_COLUMNS.some((c) => names.includes(c)))
    return `no column names the person: give profile (prf_… or type:value) or one of ${IDENTIFIER_COLUMNS.join(', ')}`;
  const missing = ['purpose', 'granted', 'at', 'source'].filter((c) => !names.includes(c));
  if (missing.length) return `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  return undefined;
}

/** The person a row names: `profile` first, else the first identifier column with a value. */
function referenceOf(r: Record<string, unknown>): string {
  const profile = text(r.profile);
  if (profile) return profile;
  for (const c of IDENTIFIER_COLUMNS) {
    const v = text(r[c]);
    if (v) return `${c}:${v}`;
  }
  throw new RowProblem('profile', `the row names no person: give profile or one of ${IDENTIFIER_COLUMNS.join(', ')}`);
}

/** Checks a row's decision (not the person); `now` bounds `at`. */
function decisionOf(r: Record<string, unknown>, now: number): ConsentInput & { at: number } {
  for (const k of Object.keys(r)) if (!COLUMNS.has(k) && !k.startsWith('evidence.')) throw new RowProblem(k, `unknown field "${k}"`);
  const purpose = text(r.purpose);
  if (!purpose || !(CONSENT_PURPOSES as readonly string[]).includes(purpose))
    throw new RowProblem('purpose', `purpose must be one of ${CONSENT_PURPOSES.join(', ')}${purpose ? `, not "${purpose}"` : ''}`);
  const channel = text(r.channel) ?? '*';
  if (channel !== '*' && !isChannel(channel))
    throw new RowProblem('channel', `channel must be * (every channel) or one of ${CHANNELS.join(', ')}, not "${channel}"`);
  const g = text(r.granted)?.toLowerCase();
  const granted = g === undefined ? undefined : TRUE.has(g) ? true : FALSE.has(g) ? false : undefined;
  if (granted === undefined)
    throw new RowProblem('granted', `granted must be true or false (also yes/no, 1/0, granted/withdrawn, 是/否)${g ? `, not "${g}"` : ''}`);
  const atText = text(r.at);
  if (!atText) throw new RowProblem('at', 'at (when the person gave or withdrew consent, ISO 8601) is required: imported consent needs its own time');
  const at = Date.parse(atText);
  if (!Number.isFinite(at)) throw new RowProblem('at', `at "${atText}" is not an ISO-8601 time`);
  if (at > now + 60_000) throw new RowProblem('at', `at "${atText}" is in the future`);
  const source = text(r.source);
  if (!source || source.length > 100)
    throw new RowProblem('source', 'source must say how consent was captured (e.g. "store_paper_form"), at most 100 characters');
  const textVersion = text(r.text_version);
  if (granted && !textVersion)
    throw new RowProblem('text_version', 'text_version (the version of the consent text the person agreed to) is required when consent is granted');
  if (textVersion && textVersion.length > 100) throw new RowProblem('text_version', 'text_version is longer than 100 characters');
  const evidence: Record<string, unknown> = {};
  if (r.evidence !== undefined && r.evidence !== '') {
    if (typeof r.evidence !== 'object' || r.evidence === null || Array.isArray(r.evidence)) throw new RowProblem('evidence', 'evidence must be an object');
    Object.assign(evidence, r.evidence);
  }
  for (const [k, v] of Object.entries(r)) {
    if (!k.startsWith('evidence.')) continue;
    const name = k.slice('evidence.'.length);
    if (!name) throw new RowProblem(k, 'an evidence column needs a name after "evidence."');
    const value = text(v);
    if (value !== undefined) evidence[name] = value;
  }
  if (JSON.stringify(evidence).length > 16_000) throw new RowProblem('evidence', 'evidence is larger than 16 KB');
  return { purpose: purpose as ConsentPurpose, channel, granted, at, source, ...(textVersion && { textVersion }), evidence };
}

/** Whether the ledger's newest entry for the row's profile (and those merged into it), purpose and channel is this very decision. */
async function alreadyRecorded(deps: Pick<MessagingDeps, 'database'>, ws: string, row: GoodRow): Promise<boolean> {
  const db = deps.database.db;
  const ids = [row.profileId, ...(await mergedIdsOf(db, ws, row.profileId))];
  const newest = await mdb(db)
    .selectFrom('consent_records')
    .select(['granted', 'at', 'source'])
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', ids)
    .where('purpose', '=', row.input.purpose)
    .where('channel', '=', row.input.channel)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return !!newest && newest.granted === (row.input.granted ? 1 : 0) && newest.at === row.input.at && newest.source === row.input.source;
}

/**
 * Reads a consent file, checks every row (and looks up its profile), then records the good rows in
 * one transaction (all-or-nothing: none if any row is bad). Profiles are not created here: import
 * them first (`POST /v1/imports?kind=profiles`), or a row naming an unknown person is an error.
 */
export async function importConsent(
  deps: Pick<MessagingDeps, 'database' | 'now' | 'resolveProfile'>,
  ws: string,
  input: Readable,
  opts: { format: ImportFormat; mode: ConsentImportMode; fileName?: string },
): Promise<ConsentImportReport> {
  const now = deps.now();
  const good: GoodRow[] = [];
  const errors: ConsentImportError[] = [];
  let rows = 0;
  let errorCount = 0;
  const fail = (e: ConsentImportError) => {
    errorCount++;
    if (errors.length < LISTED_ERRORS) errors.push(e);
  };
  for await (const row of readRows(input, opts.format, { checkHeader: checkConsentHeader })) {
    rows++;
    if (rows > CONSENT_IMPORT_MAX_ROWS)
      throw new MessagingError(
        'CONSENT_IMPORT_INVALID',
        `the file has more than ${CONSENT_IMPORT_MAX_ROWS.toLocaleString('en')} rows: split it into smaller files`,
      );
    if ('error' in row) {
      fail({ line: row.line, reason: row.error });
      continue;
    }
    try {
      const decision = decisionOf(row.record, now);
      const ref = referenceOf(row.record);
      let profileId: string;
      try {
        profileId = await deps.resolveProfile(ws, ref);
      } catch (err) {
        if (err instanceof AppError && (err.code === 'PROFILE_NOT_FOUND' || err.code === 'VALIDATION_FAILED')) throw new RowProblem('profile', err.message);
        throw err;
      }
      good.push({
        line: row.line,
        profileId,
        input: { ...decision, evidence: { ...decision.evidence, importedFrom: opts.fileName ?? 'consent import', line: row.line } },
      });
    } catch (err) {
      if (err instanceof RowProblem) fail({ line: row.line, ...(err.field && { field: err.field }), reason: err.message });
      else throw err;
    }
  }
  const report: ConsentImportReport = {
    format: opts.format,
    mode: opts.mode,
    rows,
    recorded: 0,
    unchanged: 0,
    skipped: rows - good.length,
    rejected: false,
    errorCount,
    errors,
  };
  if (errorCount > 0 && opts.mode === 'all-or-nothing') return { ...report, skipped: rows, rejected: true };
  const fresh: GoodRow[] = [];
  for (const row of good) {
    if (await alreadyRecorded(deps, ws, row)) report.unchanged++;
    else fresh.push(row);
  }
  // Oldest decision first, so that `profiles.consent` (newest wins) ends as the ledger says.
  fresh.sort((a, b) => a.input.at - b.input.at || a.line - b.line);
  await deps.database.db.transaction().execute(async (trx) => {
    for (const row of fresh) await recordConsentIn(trx, deps, ws, row.profileId, row.input);
  });
  report.recorded = fresh.length;
  return report;
}

/** A CDP error about the file as a whole (an unreadable header) becomes the import's own code. */
export function asConsentImportError(err: unknown): unknown {
  return err instanceof CdpError && err.code === 'IMPORT_INVALID' ? new MessagingError('CONSENT_IMPORT_INVALID', err.message) : err;
}
