/**
 * The WeCom staff (corp members) as SCRM mirrors them (`scrm_staff`, written by the full sync):
 * paged and filtered by department, status and name, each with their number of customers (live
 * relations) and of active groups they own, counted for the page only.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import { ScrmError } from './errors.js';
import { decodeCursor, type Page, pageOf } from '../platform/paging.js';
import { type ScrmKysely, scrmDb, type ScrmStaffTable } from './schema.js';
import { iso } from './shared.js';

/** A staff member as the API shows them. */
export interface StaffMember {
  userid: string;
  name: string;
  /** WeCom department ids. */
  departments: number[];
  /** `active`, or `resigned` (left the corp; their customers await a handover). */
  status: string;
  /** Allowed to have customers (WeCom's 客户联系 permission). */
  canFollow: boolean;
  /** Customers they follow now (live relations). */
  customers: number;
  /** Active customer groups they own. */
  groups: number;
  /** When the sync last wrote the row. */
  updatedAt: string;
}

/** Filters and paging of {@link listStaff}. */
export interface StaffFilter {
  department?: number;
  status?: 'active' | 'resigned';
  /** Part of the name or userid. */
  name?: string;
  limit: number;
  cursor?: string;
}

type Row = Pick<Selectable<ScrmStaffTable>, 'userid' | 'name' | 'departments' | 'status' | 'can_follow' | 'updated_at'>;

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A page of the workspace's staff by userid. */
export async function listStaff<D>(handle: Kysely<D>, ws: string, f: StaffFilter): Promise<Page<StaffMember>> {
  const db = scrmDb(handle);
  let q = db.selectFrom('scrm_staff').select(['userid', 'name', 'departments', 'status', 'can_follow', 'updated_at']).where('workspace_id', '=', ws);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.name) {
    const pattern = likePattern(f.name);
    q = q.where(sql<boolean>`(name like ${pattern} escape '\\' or userid like ${pattern} escape '\\')`);
  }
  // Departments are a JSON array of integers (jsonb on PostgreSQL, whose text form has spaces):
  // its text with spaces dropped and brackets as commas reads `,1,5,`, matched on `,<id>,`.
  if (f.department !== undefined)
    q = q.where(sql<boolean>`replace(replace(replace(cast(departments as text), ' ', ''), '[', ','), ']', ',') like ${`%,${f.department},%`}`);
  if (f.cursor !== undefined) q = q.where('userid', '>', String(decodeCursor(f.cursor, ['s'])[0]));
  const rows = await q
    .orderBy('userid')
    .limit(f.limit + 1)
    .execute();
  const counts = await countsOf(
    db,
    ws,
    rows.slice(0, f.limit).map((r) => r.userid),
  );
  return pageOf(
    rows,
    f.limit,
    (r) => view(r, counts),
    (r) => [r.userid],
  );
}

/** One staff member; SCRM_STAFF_NOT_FOUND when the workspace has none by that userid. */
export async function getStaff<D>(handle: Kysely<D>, ws: string, userid: string): Promise<StaffMember> {
  const db = scrmDb(handle);
  const row = await db
    .selectFrom('scrm_staff')
    .select(['userid', 'name', 'departments', 'status', 'can_follow', 'updated_at'])
    .where('workspace_id', '=', ws)
    .where('userid', '=', userid)
    .executeTakeFirst();
  if (!row) throw new ScrmError('SCRM_STAFF_NOT_FOUND', `no staff member ${userid} in this workspace (sync staff from WeCom first: siyu wecom sync)`);
  return view(row, await countsOf(db, ws, [userid]));
}

type Counts = { customers: Map<string, number>; groups: Map<string, number> };

/** Live relations and active owned groups of each userid (both counted through the (workspace, userid/owner) indexes). */
async function countsOf(db: ScrmKysely, ws: string, userids: string[]): Promise<Counts> {
  if (!userids.length) return { customers: new Map(), groups: new Map() };
  const [follows, groups] = await Promise.all([
    db
      .selectFrom('scrm_follows')
      .select(['userid', (eb) => eb.fn.countAll<number>().as('n')])
      .where('workspace_id', '=', ws)
      .where('userid', 'in', userids)
      .where('deleted_at', 'is', null)
      .groupBy('userid')
      .execute(),
    db
      .selectFrom('scrm_groups')
      .select(['owner', (eb) => eb.fn.countAll<number>().as('n')])
      .where('workspace_id', '=', ws)
      .where('owner', 'in', userids)
      .where('status', '=', 'active')
      .groupBy('owner')
      .execute(),
  ]);
  return {
    customers: new Map(follows.map((r) => [r.userid, Number(r.n)])),
    groups: new Map(groups.map((r) => [r.owner, Number(r.n)])),
  };
}

function view(r: Row, counts: Counts): StaffMember {
  return {
    userid: r.userid,
    name: r.name,
    departments: parseJson<number[]>(r.departments) ?? [],
    status: r.status,
    canFollow: Number(r.can_follow) === 1,
    customers: counts.customers.get(r.userid) ?? 0,
    groups: counts.groups.get(r.userid) ?? 0,
    updatedAt: iso(Number(r.updated_at))!,
  };
}
