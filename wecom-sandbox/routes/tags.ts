import { optInt, optString, reqString, stringList, type ApiRoute } from '../api.js';
import { fail } from '../errors.js';

/** Corp tags: get_corp_tag_list, add_corp_tag, edit_corp_tag, del_corp_tag, mark_tag. */
export const tagRoutes: ApiRoute[] = [
  {
    method: 'POST',
    api: 'externalcontact/get_corp_tag_list',
    handler: (state, { body }) => {
      const tags = state.corp.tags;
      const groupIds = stringList(body.group_id, 'group_id', 1000);
      const tagIds = stringList(body.tag_id, 'tag_id', 1000);
      // WeCom: with both, tag_id is ignored and group_id filters.
      if (groupIds.length) {
        const groups = groupIds.map((id) => tags.findGroup(id)).filter((g) => g !== undefined);
        return { tag_group: groups.map((g) => tags.groupJson(g)) };
      }
      if (tagIds.length) {
        const wanted = tagIds.map((id) => tags.findTag(id)).filter((t) => t !== undefined);
        const only = new Set(wanted.map((t) => t.index));
        const groups = [...new Set(wanted.map((t) => t.groupIndex))].map((i) => tags.groups[i]);
        return { tag_group: groups.map((g) => tags.groupJson(g, only)) };
      }
      return { tag_group: tags.liveGroups().map((g) => tags.groupJson(g)) };
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/add_corp_tag',
    handler: (state, { body }) => {
      const tags = state.corp.tags;
      const list = Array.isArray(body.tag)
        ? (body.tag as Array<{ name: string; order?: number }>)
        : fail('INVALID_PARAMETER', 'tag must be a list of { name, order }');
      const { group, added } = tags.addTags(
        {
          groupId: optString(body.group_id, 'group_id'),
          groupName: optString(body.group_name, 'group_name'),
          order: optInt(body.order, 'order'),
          tags: list.map((t) => ({ name: t?.name, order: optInt(t?.order, 'tag.order') })),
        },
        state.corp.nowSeconds(),
      );
      return { tag_group: tags.groupJson(group, new Set(added.map((t) => t.index))) };
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/edit_corp_tag',
    handler: (state, { body }) => {
      state.corp.tags.edit(reqString(body.id, 'id', 'INVALID_TAGID'), optString(body.name, 'name'), optInt(body.order, 'order'));
      return {};
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/del_corp_tag',
    handler: (state, { body }) => {
      state.corp.tags.delete(stringList(body.tag_id, 'tag_id', 1000), stringList(body.group_id, 'group_id', 1000));
      return {};
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/mark_tag',
    handler: (state, { body }) => {
      const { corp } = state;
      const staff = state.activeStaff(body.userid);
      const customer = state.customer(body.external_userid);
      const relation = corp.relationBetween(staff, customer);
      if (relation < 0) fail('NOT_EXTERNAL_CONTACT', `${String(body.userid)} does not follow ${String(body.external_userid)}`);
      const add = stringList(body.add_tag, 'add_tag', 1000);
      const remove = stringList(body.remove_tag, 'remove_tag', 1000);
      if (!add.length && !remove.length) fail('INVALID_PARAMETER', 'give add_tag or remove_tag');
      const toIndex = (id: string) => corp.tags.findTag(id)?.index ?? fail('INVALID_TAGID', `no tag ${id}`);
      const adding = add.map(toIndex);
      const removing = new Set(remove.map(toIndex));
      corp.setRelationTags(
        relation,
        [...corp.relationTags(relation), ...adding].filter((t) => !removing.has(t)),
      );
      return {};
    },
  },
];
