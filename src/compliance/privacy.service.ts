/**
 * Data-subject requests (issue #19): an export, erasure or correction of everything held about one
 * person, received with its deadline (privacy.deadline.ts), worked on, and closed with a completion
 * record (what was done) or a rejection (why). The work itself is privacy.export.ts's and
 * privacy.erase.ts's; this file keeps the request's record.
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database } from '../platform/db/database.js';
import { parseJson } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import { ComplianceError } from './errors.js';
import { privacyDeadline } from './privacy.deadline.js';
import type { ComplianceDB, PrivacyRequestsTable } from './schema.js';

/** What data-subject requests need: the database, the clock, the workspace's zone and holidays, and cdp's profile references. */
export interface PrivacyDeps {
  database: Database;
  now: () => number;
  timeZoneOf: (workspaceId: string) => Promise<string>;
  /** Dates (YYYY-MM-DD) not counted as working days besides weekends (none unless the workspace lists them). */
  holidaysOf: (workspaceId: string) => Promise<string[]>;
  /** The live profile id a reference names (`prf_…` or `type:value`); throws PROFILE_NOT_FOUND when nobody holds it. */
  resolveProfile: (workspaceId: string, ref: string) => Promise<string>;
}

export type PrivacyKind = PrivacyRequestsTable['kind'];
export type PrivacyStatus = PrivacyRequestsTable['status'];

/** A request as the API answers it. */
export interface PrivacyRequest {
  id: string;
  kind: PrivacyKind;
  subject: string;
  profileId: string | null;
  status: PrivacyStatus;
  note: string | null;
  changes: unknown;
  receivedAt: string;
  dueDate: string;
  deadlineAt: string;
  /** Not closed and past its deadline. */
  overdue: boolean;
  requestedBy: string | null;
  completedAt: string | null;
  completion: unknown;
}

const db = (d: Database) => d.db as unknown as Kysely<ComplianceDB>;
const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

function view(r: Selectable<PrivacyRequestsTable>, now: number): PrivacyRequest {
  const open = r.status === 'received' || r.status === 'in_progress';
  return {
    id: r.id,
    kind: r.kind,
    subject: r.subject,
    profileId: r.profile_id,
    status: r.status,
    note: r.note,
    changes: r.changes === null ? null : parseJson<unknown>(r.changes),
    receivedAt: iso(r.received_at)!,
    dueDate: r.due_date,
    deadlineAt: iso(r.deadline_at)!,
    overdue: open && now >= Number(r.deadline_at),
    requestedBy: r.requested_by,
    completedAt: iso(r.completed_at),
    completion: r.completion === null ? null : parseJson<unknown>(r.completion),
  };
}

/** What a new request says. */
export interface NewPrivacyRequest {
  kind: PrivacyKind;
  subject: string;
  note?: string;
  changes?: unknown;
  requestedBy?: string | null;
}

/** The live profile a subject names, or null when nobody holds it (other failures, e.g. an invalid identifier, throw). */
export async function subjectProfile(deps: PrivacyDeps, ws: string, subject: string): Promise<string | null> {
  try {
    return await deps.resolveProfile(ws, subject);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'PROFILE_NOT_FOUND') return null;
    throw err;
  }
}

/** Records a request as received, with its deadline; the subject is resolved to the profile that holds it now. */
export async function createPrivacyRequest(deps: PrivacyDeps, ws: string, input: NewPrivacyRequest): Promise<PrivacyRequest> {
  const now = deps.now();
  const subject = input.subject.trim();
  const profileId = await subjectProfile(deps, ws, subject);
  const { dueDate, deadlineAt } = privacyDeadline(now, await deps.timeZoneOf(ws), await deps.holidaysOf(ws));
  const row: Insertable<PrivacyRequestsTable> & Selectable<PrivacyRequestsTable> = {
    workspace_id: ws,
    id: newId('dsr', now),
    kind: input.kind,
    subject,
    profile_id: profileId,
    status: 'received',
    note: input.note ?? null,
    changes: input.changes === undefined ? null : JSON.stringify(input.changes),
    received_at: now,
    due_date: dueDate,
    deadline_at: deadlineAt,
    requested_by: input.requestedBy ?? null,
    completed_at: null,
    completion: null,
    updated_at: now,
  };
  await db(deps.database).insertInto('privacy_requests').values(row).execute();
  return view(row, now);
}

/** One request; PRIVACY_REQUEST_NOT_FOUND when the workspace has none with this id. */
export async function getPrivacyRequest(deps: Pick<PrivacyDeps, 'database' | 'now'>, ws: string, id: string): Promise<PrivacyRequest> {
  const r = await db(deps.database).selectFrom('privacy_requests').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!r) throw new ComplianceError('PRIVACY_REQUEST_NOT_FOUND', `no data-subject request ${id} in this workspace`);
  return view(r, deps.now());
}

/** Filters of the request list. */
export interface PrivacyQuery {
  status?: PrivacyStatus;
  kind?: PrivacyKind;
  limit: number;
  cursor?: string;
}

/** A page of the workspace's requests, newest first. */
export async function listPrivacyRequests(deps: Pick<PrivacyDeps, 'database' | 'now'>, ws: string, q: PrivacyQuery): Promise<Page<PrivacyRequest>> {
  let s = db(deps.database).selectFrom('privacy_requests').selectAll().where('workspace_id', '=', ws);
  if (q.status) s = s.where('status', '=', q.status);
  if (q.kind) s = s.where('kind', '=', q.kind);
  if (q.cursor) s = s.where(keysetAfter(['received_at', 'id'], 'desc', decodeCursor(q.cursor, ['n', 's'])));
  const rows = await s
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const now = deps.now();
  return pageOf(
    rows,
    q.limit,
    (r) => view(r, now),
    (r) => [Number(r.received_at), r.id],
  );
}

/**
 * Moves an open request on: to `in_progress`, or closed as `completed` (with what was done) or
 * `rejected` (with why). A closed request stays closed: PRIVACY_REQUEST_STATE. `subject` replaces
 * the stored subject (an erasure leaves only a hash of it).
 */
export async function closePrivacyRequest(
  deps: Pick<PrivacyDeps, 'database' | 'now'>,
  ws: string,
  id: string,
  to: { status: 'in_progress' | 'completed' | 'rejected'; completion?: unknown; subject?: string },
): Promise<PrivacyRequest> {
  const now = deps.now();
  const closing = to.status !== 'in_progress';
  const res = await db(deps.database)
    .updateTable('privacy_requests')
    .set({
      status: to.status,
      updated_at: now,
      ...(closing ? { completed_at: now, completion: JSON.stringify(to.completion ?? null) } : {}),
      ...(to.subject !== undefined ? { subject: to.subject } : {}),
    })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('status', 'in', ['received', 'in_progress'])
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) {
    const current = await getPrivacyRequest(deps, ws, id);
    throw new ComplianceError('PRIVACY_REQUEST_STATE', `request ${id} is ${current.status}: it cannot become ${to.status}`, { status: current.status });
  }
  return getPrivacyRequest(deps, ws, id);
}
