import type { WeComRequester } from '../request.js';
import type * as W from '../types.js';

/** Customers (客户): one customer with its followers, (customer, member) pairs for many members. */
export function customerApi(r: WeComRequester) {
  return {
    /** `externalcontact/list`: the external userids of one member's customers. */
    listExternalContacts: (userid: string) => r.get<W.ListExternalContactsResponse>('externalcontact/list', { userid }),
    /** `externalcontact/get`: one customer and one page (≤ 500) of the members following them. */
    getExternalContact: (externalUserid: string, cursor?: string) =>
      r.get<W.GetExternalContactResponse>('externalcontact/get', { external_userid: externalUserid, cursor }),
    /** `externalcontact/get` with every page of `follow_user` joined. */
    async getExternalContactWithAllFollowers(externalUserid: string): Promise<W.GetExternalContactResponse> {
      let first: W.GetExternalContactResponse | undefined;
      for await (const page of r.pages((cursor) => r.get<W.GetExternalContactResponse>('externalcontact/get', { external_userid: externalUserid, cursor }))) {
        if (!first) first = { ...page, follow_user: [...page.follow_user] };
        else first.follow_user.push(...page.follow_user);
      }
      delete first!.next_cursor;
      return first!;
    },
    /** `externalcontact/batch/get_by_user`: one page of (customer, member) pairs for ≤ 100 members. */
    batchGetByUser: (req: W.BatchGetByUserRequest) => r.read<W.BatchGetByUserResponse>('externalcontact/batch/get_by_user', req),
    /**
     * Every (customer, member) pair for any number of members: asks for 100 members at a time
     * (WeCom's cap on `userid_list`) and walks each batch's cursor, `limit` pairs a page (≤ 100).
     */
    async *iterateExternalContactsByUser(userids: readonly string[], opts: { limit?: number } = {}): AsyncGenerator<W.BatchExternalContact> {
      const pageLimit = Math.min(100, Math.max(1, opts.limit ?? 100));
      for (let i = 0; i < userids.length; i += 100) {
        const userid_list = userids.slice(i, i + 100);
        const walk = r.pages((cursor) => r.read<W.BatchGetByUserResponse>('externalcontact/batch/get_by_user', { userid_list, cursor, limit: pageLimit }));
        for await (const page of walk) yield* page.external_contact_list;
      }
    },
  };
}

/** Corp tags (企业客户标签): list, add, edit, delete, and marking them on a customer. */
export function corpTagApi(r: WeComRequester) {
  return {
    /** `externalcontact/get_corp_tag_list`: all tag groups, or those of the given tag or group ids. */
    getCorpTagList: (req: W.GetCorpTagListRequest = {}) => r.read<W.GetCorpTagListResponse>('externalcontact/get_corp_tag_list', req),
    /** `externalcontact/add_corp_tag`: adds tags to a group, creating the group when named by `group_name`. */
    addCorpTag: (req: W.AddCorpTagRequest) => r.write<W.AddCorpTagResponse>('externalcontact/add_corp_tag', req),
    /** `externalcontact/edit_corp_tag`: renames or reorders a tag or a tag group. */
    editCorpTag: (req: W.EditCorpTagRequest) => r.write<W.WeComOk>('externalcontact/edit_corp_tag', req, true),
    /** `externalcontact/del_corp_tag`: deletes tags, or whole groups. */
    delCorpTag: (req: W.DelCorpTagRequest) => r.write<W.WeComOk>('externalcontact/del_corp_tag', req),
    /** `externalcontact/mark_tag`: adds and removes corp tags on a customer, as seen by one member. */
    markTag: (req: W.MarkTagRequest) => r.write<W.WeComOk>('externalcontact/mark_tag', req, true),
  };
}
