/** WeCom API shapes: Staff (成员): userids, department members, members allowed to have customers. Field names are WeCom's own (see ../types.ts). */
import type { WeComOk, Cursored } from './common.js';

// ── Staff (成员) ─────────────────────────────────────────────────────────────────────────

/** `POST /cgi-bin/user/list_id`: userids and departments of every member, paged. */
export interface ListUserIdsRequest {
  cursor?: string;
  /** 1–10,000; WeCom's default is 10,000. */
  limit?: number;
}
export interface ListUserIdsResponse extends WeComOk, Cursored {
  dept_user: Array<{ userid: string; open_userid?: string; department: number }>;
}

/** `GET /cgi-bin/user/simplelist?department_id=`: members of one department. */
export interface SimpleUser {
  userid: string;
  name: string;
  department: number[];
  open_userid?: string;
}
export interface SimpleListResponse extends WeComOk {
  userlist: SimpleUser[];
}

/** `GET /cgi-bin/user/list?department_id=`: members of one department with their details. */
export interface UserDetail extends SimpleUser {
  order?: number[];
  position?: string;
  mobile?: string;
  /** '0' unknown, '1' male, '2' female (a string in WeCom's answers). */
  gender?: string;
  email?: string;
  biz_mail?: string;
  /** 1 active, 2 disabled, 4 not activated, 5 left the company. */
  status?: number;
  main_department?: number;
  is_leader_in_dept?: number[];
  telephone?: string;
  alias?: string;
  avatar?: string;
}
export interface UserListResponse extends WeComOk {
  userlist: UserDetail[];
}

/** `GET /cgi-bin/externalcontact/get_follow_user_list`: members with 客户联系 enabled. */
export interface FollowUserListResponse extends WeComOk {
  follow_user: string[];
}
