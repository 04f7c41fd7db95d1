import type { WeComRequester } from '../request.js';
import type * as W from '../types.js';

/** Staff (成员): userids with departments, department members, members allowed to have customers. */
export function staffApi(r: WeComRequester) {
  return {
    /** `user/list_id`: one page of userids with their departments. */
    listUserIds: (req: W.ListUserIdsRequest = {}) => r.read<W.ListUserIdsResponse>('user/list_id', req),
    /** Every member's userid and department, walking `user/list_id` (a member in two departments comes twice). */
    async *iterateUserIds(pageSize = 10_000) {
      for await (const page of r.pages((cursor) => r.read<W.ListUserIdsResponse>('user/list_id', { cursor, limit: pageSize }))) yield* page.dept_user;
    },
    /** `user/simplelist`: the members of one department. */
    listDepartmentUsers: (departmentId: number) => r.get<W.SimpleListResponse>('user/simplelist', { department_id: departmentId }),
    /** `user/list`: the members of one department, with their details. */
    listDepartmentUserDetails: (departmentId: number) => r.get<W.UserListResponse>('user/list', { department_id: departmentId }),
    /** `externalcontact/get_follow_user_list`: the members allowed to have customers. */
    getFollowUserList: () => r.get<W.FollowUserListResponse>('externalcontact/get_follow_user_list'),
  };
}
