import { encodeCursor, externalContactJson, followBaseJson, optInt, pageSize, readCursor, stringList, type ApiRoute } from '../api.js';
import { fail } from '../errors.js';
import type { SandboxState } from '../state.js';

/** Active members of a department, with its sub-departments when `fetchChild`. */
function membersOf(state: SandboxState, departmentId: number | undefined, fetchChild: boolean) {
  if (departmentId === undefined) fail('INVALID_PARAMETER', 'department_id is required');
  const departments = state.corp.departments();
  if (!departments.some((d) => d.id === departmentId)) fail('DEPARTMENT_NOT_FOUND', `no department ${departmentId}`);
  const wanted = new Set([departmentId]);
  if (fetchChild) {
    for (let grew = true; grew;) {
      grew = false;
      for (const d of departments) if (wanted.has(d.parentid) && !wanted.has(d.id)) (wanted.add(d.id), (grew = true));
    }
  }
  return state.corp.activeStaff().filter((s) => s.department.some((d) => wanted.has(d)));
}

/** Staff and customer reads: user/*, externalcontact/list, get, batch/get_by_user, get_follow_user_list. */
export const contactRoutes: ApiRoute[] = [
  {
    method: 'GET',
    api: 'user/simplelist',
    handler: (state, { query }) => ({
      userlist: membersOf(state, optInt(query.department_id, 'department_id'), query.fetch_child === '1').map((s) => ({
        userid: s.userid,
        name: s.name,
        department: s.department,
      })),
    }),
  },
  {
    method: 'GET',
    api: 'user/list',
    handler: (state, { query }) => ({
      userlist: membersOf(state, optInt(query.department_id, 'department_id'), query.fetch_child === '1').map((s) => ({
        userid: s.userid,
        name: s.name,
        department: s.department,
        order: [0],
        position: s.position,
        gender: s.gender,
        status: 1,
        main_department: s.department[0],
        is_leader_in_dept: [s.index === 0 ? 1 : 0],
      })),
    }),
  },
  {
    method: 'POST',
    api: 'user/list_id',
    handler: (state, { body }) => {
      const limit = pageSize(body.limit, 'limit', { fallback: 10_000, max: 10_000, over: 'error' });
      const active = state.corp.activeStaff();
      const [start] = readCursor(body.cursor, 'user', 1) ?? [0];
      const page = active.slice(start, start + limit);
      const next = start + limit < active.length ? encodeCursor('user', [start + limit]) : '';
      return { next_cursor: next, dept_user: page.flatMap((s) => s.department.map((d) => ({ userid: s.userid, department: d }))) };
    },
  },
  {
    method: 'GET',
    api: 'externalcontact/get_follow_user_list',
    handler: (state) => ({ follow_user: state.corp.activeStaff().map((s) => s.userid) }),
  },
  {
    method: 'GET',
    api: 'externalcontact/list',
    handler: (state, { query }) => {
      const staff = state.activeStaff(query.userid);
      const rels = state.corp.relationsOfStaff(staff);
      if (!rels.length) fail('NOT_EXTERNAL_CONTACT', `member ${query.userid} has no customers`);
      return { external_userid: rels.map((r) => state.corp.externalUserid(state.corp.customerOf(r))) };
    },
  },
  {
    method: 'GET',
    api: 'externalcontact/get',
    handler: (state, { query }, options) => {
      const customer = state.customer(query.external_userid);
      const rels = state.corp.relationsOfCustomer(customer);
      if (!rels.length) fail('NOT_EXTERNAL_CONTACT', `no member of the corp follows ${query.external_userid}`);
      const [start] = readCursor(query.cursor, 'follow', 1) ?? [0];
      const end = start + options.followUserPageSize;
      const tags = state.corp.tags;
      const out: Record<string, unknown> = {
        external_contact: externalContactJson(state, customer),
        follow_user: rels.slice(start, end).map((r) => ({
          ...followBaseJson(state, r),
          tags: state.corp.relationTags(r).map((t) => {
            const tag = tags.tags[t];
            return { group_name: tags.groups[tag.groupIndex].name, tag_name: tag.name, tag_id: tag.id, type: 1 };
          }),
        })),
      };
      if (end < rels.length) out.next_cursor = encodeCursor('follow', [end]);
      return out;
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/batch/get_by_user',
    handler: (state, { body }) => {
      const userids = stringList(body.userid_list, 'userid_list', 100);
      if (!userids.length) fail('USERID_MISSING', 'userid_list is required');
      const staff = userids.map((u) => state.corp.findStaff(u)?.index ?? fail('INVALID_USERID', `no member ${u}`));
      // WeCom: at most 100, default 50, and a larger limit is taken as 100.
      const limit = pageSize(body.limit, 'limit', { fallback: 50, max: 100, over: 'max' });
      const { corp } = state;
      let [pos, rel] = readCursor(body.cursor, 'byuser', 2) ?? [0, corp.firstOfStaff(staff[0])];
      if (pos >= staff.length || (rel >= 0 && (rel >= corp.relationCount || corp.staffOf(rel) !== staff[pos])))
        fail('INVALID_CURSOR', 'the cursor belongs to another userid_list');
      const page: number[] = [];
      while (pos < staff.length) {
        if (rel < 0) {
          pos++;
          if (pos < staff.length) rel = corp.firstOfStaff(staff[pos]);
          continue;
        }
        if (corp.isAlive(rel)) {
          if (page.length === limit) break;
          page.push(rel);
        }
        rel = corp.nextOfStaff(rel);
      }
      return {
        external_contact_list: page.map((r) => ({
          external_contact: externalContactJson(state, corp.customerOf(r)),
          follow_info: { ...followBaseJson(state, r), tag_id: corp.relationTags(r).map((t) => corp.tags.tags[t].id) },
        })),
        next_cursor: pos < staff.length ? encodeCursor('byuser', [pos, rel]) : '',
      };
    },
  },
];
