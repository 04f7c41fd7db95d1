/**
 * The audit log: one row per management-API or console action (who, what, when, from where, on
 * what, with what outcome; before and after for settings and rules), searchable and exportable
 * per workspace. Rows are only ever inserted (the table refuses UPDATE and DELETE).
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database } from '../platform/db/database.js';
import { parseJson } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import type { AuditLogTable, ComplianceDB } from './schema.js';

/** What the compliance module needs. */
export interface ComplianceDeps {
  database: Database;
  now: () => number;
}

const db = (d: Database) => d.db as unknown as Kysely<ComplianceDB>;

/** An action to record. */
export type AuditRecord = Omit<Insertable<AuditLogTable>, 'workspace_id' | 'id' | 'at'>;

/** Appends one action to the workspace's log. */
export async function recordAudit(deps: ComplianceDeps, workspaceId: string, r: AuditRecord): Promise<string> {
  const at = deps.now();
  const id = newId('aud', at);
  await db(deps.database)
    .insertInto('audit_log')
    .values({ workspace_id: workspaceId, id, at, ...r })
    .execute();
  return id;
}

/** An entry as the API answers it. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: { kind: 'key' | 'user' | 'cli'; id: string | null; role: string };
  ip: string | null;
  userAgent: string | null;
  method: string;
  route: string;
  path: string;
  target: string | null;
  status: number;
  body: unknown;
  before: unknown;
  after: unknown;
}

/** Filters of the log's search (all optional; `from`/`to` epoch ms, `to` exclusive). */
export interface AuditQuery {
  actor?: string;
  method?: string;
  /** A route pattern, or the start of one (`/v1/segments` matches `/v1/segments/:id`). */
  route?: string;
  target?: string;
  from?: number;
  to?: number;
  /** `ok` (2xx/3xx) or `failed` (4xx/5xx). */
  outcome?: 'ok' | 'failed';
  limit: number;
  cursor?: string;
}

const json = (v: unknown) => (v === null || v === undefined ? null : parseJson<unknown>(v));

function view(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: r.id,
    at: new Date(Number(r.at)).toISOString(),
    actor: { kind: r.actor_kind, id: r.actor_id, role: r.actor_role },
    ip: r.ip,
    userAgent: r.user_agent,
    method: r.method,
    route: r.route,
    path: r.path,
    target: r.target,
    status: Number(r.status),
    body: json(r.body),
    before: json(r.before),
    after: json(r.after),
  };
}

function filtered(deps: ComplianceDeps, ws: string, q: Omit<AuditQuery, 'limit' | 'cursor'>) {
  let s = db(deps.database).selectFrom('audit_log').selectAll().where('workspace_id', '=', ws);
  if (q.actor) s = s.where('actor_id', '=', q.actor);
  if (q.method) s = s.where('method', '=', q.method.toUpperCase());
  if (q.route) s = s.where('route', 'like', `${q.route.replace(/[%_\\]/g, '\\$&')}%`);
  if (q.target) s = s.where('target', '=', q.target);
  if (q.from !== undefined) s = s.where('at', '>=', q.from);
  if (q.to !== undefined) s = s.where('at', '<', q.to);
  if (q.outcome === 'ok') s = s.where('status', '<', 400);
  if (q.outcome === 'failed') s = s.where('status', '>=', 400);
  return s;
}

/** A page of the workspace's log, newest first. */
export async function listAudit(deps: ComplianceDeps, ws: string, q: AuditQuery): Promise<Page<AuditEntry>> {
  let s = filtered(deps, ws, q);
  if (q.cursor) s = s.where(keysetAfter(['at', 'id'], 'desc', decodeCursor(q.cursor, ['n', 's'])));
  const rows = await s
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, view, (r) => [Number(r.at), r.id]);
}

const CSV_COLUMNS = [
  'id',
  'at',
  'actor_kind',
  'actor_id',
  'actor_role',
  'ip',
  'method',
  'route',
  'path',
  'target',
  'status',
  'body',
  'before',
  'after',
] as const;

/** A CSV field: quoted when it holds a comma, quote or line break; a leading =+-@ is prefixed with ' (spreadsheet formulas). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The log as CSV lines (header first), newest first, read 1,000 rows at a time. */
export async function* auditCsv(deps: ComplianceDeps, ws: string, q: Omit<AuditQuery, 'limit' | 'cursor'>): AsyncGenerator<string> {
  yield CSV_COLUMNS.join(',') + '\n';
  let cursor: string | undefined;
  do {
    const page = await listAudit(deps, ws, { ...q, limit: 1000, cursor });
    let chunk = '';
    for (const e of page.data) {
      const row = [e.id, e.at, e.actor.kind, e.actor.id, e.actor.role, e.ip, e.method, e.route, e.path, e.target, e.status];
      const docs = [e.body, e.before, e.after].map((d) => (d === null ? null : JSON.stringify(d)));
      chunk += [...row, ...docs].map(csvField).join(',') + '\n';
    }
    if (chunk) yield chunk;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}
