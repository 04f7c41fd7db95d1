import { fail } from './errors.js';
import { indexedIdCodec, SALT } from './ids.js';

/** A corp customer tag (企业客户标签). */
export interface CorpTag {
  readonly index: number;
  readonly id: string;
  name: string;
  createTime: number;
  order: number;
  groupIndex: number;
  deleted: boolean;
}

/** A tag group; deleting its last tag deletes it, as in WeCom. */
export interface CorpTagGroup {
  readonly index: number;
  readonly id: string;
  name: string;
  createTime: number;
  order: number;
  deleted: boolean;
  tags: number[];
}

// Group ids and tag ids share WeCom's `et` prefix; groups take indexes from this offset on.
const GROUP_INDEX_BASE = 0x40000000;
const MAX_NAME = 30;

/** The tag catalogue: groups of tags with WeCom ids, add/edit/delete with WeCom's rules. */
export class TagCatalogue {
  readonly tags: CorpTag[] = [];
  readonly groups: CorpTagGroup[] = [];
  private readonly codec;
  private readonly byId = new Map<string, { kind: 'tag' | 'group'; index: number }>();

  constructor(seed: number) {
    this.codec = indexedIdCodec(seed, 'et', SALT.tagId);
  }

  /** Tags of live groups that are not deleted. */
  liveTags(): CorpTag[] {
    return this.tags.filter((t) => !t.deleted);
  }

  liveGroups(): CorpTagGroup[] {
    return this.groups.filter((g) => !g.deleted);
  }

  findTag(id: string): CorpTag | undefined {
    const hit = this.byId.get(id);
    return hit?.kind === 'tag' && !this.tags[hit.index].deleted ? this.tags[hit.index] : undefined;
  }

  findGroup(id: string): CorpTagGroup | undefined {
    const hit = this.byId.get(id);
    return hit?.kind === 'group' && !this.groups[hit.index].deleted ? this.groups[hit.index] : undefined;
  }

  findGroupByName(name: string): CorpTagGroup | undefined {
    return this.groups.find((g) => !g.deleted && g.name === name);
  }

  /**
   * add_corp_tag: into the group `groupId`, or the group named `groupName` (created when absent).
   * Returns the group and the tags created.
   */
  addTags(
    input: { groupId?: string; groupName?: string; order?: number; tags: Array<{ name: string; order?: number }> },
    createTime: number,
  ): { group: CorpTagGroup; added: CorpTag[] } {
    if (!Array.isArray(input.tags) || input.tags.length === 0) fail('INVALID_PARAMETER', 'tag must be a non-empty list of { name, order }');
    let group: CorpTagGroup | undefined;
    if (input.groupId) {
      group = this.findGroup(input.groupId);
      if (!group) fail('INVALID_TAGID', `no tag group ${input.groupId}`);
    } else {
      if (typeof input.groupName !== 'string' || !input.groupName) fail('INVALID_PARAMETER', 'give group_id of an existing group or group_name');
      checkName(input.groupName);
      group = this.findGroupByName(input.groupName);
    }
    const names = new Set<string>();
    for (const t of input.tags) {
      if (typeof t?.name !== 'string') fail('INVALID_PARAMETER', 'each tag needs a name');
      checkName(t.name);
      if (names.has(t.name) || (group && group.tags.some((i) => !this.tags[i].deleted && this.tags[i].name === t.name)))
        fail('TAG_NAME_EXISTS', `tag "${t.name}" already exists in the group`);
      names.add(t.name);
    }
    group ??= this.createGroup(input.groupName!, input.order ?? 0, createTime);
    const added = input.tags.map((t) => this.createTag(group, t.name, t.order ?? 0, createTime));
    return { group, added };
  }

  createGroup(name: string, order: number, createTime: number): CorpTagGroup {
    const index = this.groups.length;
    const group: CorpTagGroup = { index, id: this.codec.encode(GROUP_INDEX_BASE + index), name, createTime, order, deleted: false, tags: [] };
    this.groups.push(group);
    this.byId.set(group.id, { kind: 'group', index });
    return group;
  }

  createTag(group: CorpTagGroup, name: string, order: number, createTime: number): CorpTag {
    const index = this.tags.length;
    const tag: CorpTag = { index, id: this.codec.encode(index), name, createTime, order, groupIndex: group.index, deleted: false };
    this.tags.push(tag);
    group.tags.push(index);
    this.byId.set(tag.id, { kind: 'tag', index });
    return tag;
  }

  /** edit_corp_tag: renames or reorders a tag or a group. */
  edit(id: string, name: string | undefined, order: number | undefined): CorpTag | CorpTagGroup {
    const target = this.findTag(id) ?? this.findGroup(id);
    if (!target) fail('INVALID_TAGID', `no tag or tag group ${id}`);
    if (name !== undefined) {
      checkName(name);
      if ('groupIndex' in target) {
        const siblings = this.groups[target.groupIndex].tags.map((i) => this.tags[i]);
        if (siblings.some((t) => t !== target && !t.deleted && t.name === name)) fail('TAG_NAME_EXISTS', `tag "${name}" already exists in the group`);
      } else if (this.groups.some((g) => g !== target && !g.deleted && g.name === name)) {
        fail('TAG_NAME_EXISTS', `tag group "${name}" already exists`);
      }
      target.name = name;
    }
    if (order !== undefined) target.order = order;
    return target;
  }

  /** del_corp_tag: deletes tags and groups; a group left without tags goes too. Group ids win, as in WeCom. */
  delete(tagIds: string[] | undefined, groupIds: string[] | undefined): { tags: CorpTag[]; groups: CorpTagGroup[] } {
    const groups = (groupIds ?? []).map((id) => this.findGroup(id) ?? fail('INVALID_TAGID', `no tag group ${id}`));
    const tags = groups.length ? [] : (tagIds ?? []).map((id) => this.findTag(id) ?? fail('INVALID_TAGID', `no tag ${id}`));
    if (!groups.length && !tags.length) fail('INVALID_PARAMETER', 'give tag_id or group_id');
    const deletedTags: CorpTag[] = [];
    const deletedGroups: CorpTagGroup[] = [];
    for (const g of groups) {
      g.deleted = true;
      deletedGroups.push(g);
      for (const i of g.tags) if (!this.tags[i].deleted) deletedTags.push(Object.assign(this.tags[i], { deleted: true }));
    }
    for (const t of tags) {
      t.deleted = true;
      deletedTags.push(t);
      const g = this.groups[t.groupIndex];
      if (!g.deleted && g.tags.every((i) => this.tags[i].deleted)) {
        g.deleted = true;
        deletedGroups.push(g);
      }
    }
    return { tags: deletedTags, groups: deletedGroups };
  }

  /** A group as get_corp_tag_list returns it, with the given tags (default: all live ones). */
  groupJson(group: CorpTagGroup, only?: Set<number>) {
    return {
      group_id: group.id,
      group_name: group.name,
      create_time: group.createTime,
      order: group.order,
      deleted: false,
      tag: group.tags
        .filter((i) => !this.tags[i].deleted && (!only || only.has(i)))
        .map((i) => {
          const t = this.tags[i];
          return { id: t.id, name: t.name, create_time: t.createTime, order: t.order, deleted: false };
        }),
    };
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || [...name].length > MAX_NAME)
    fail('INVALID_TAG_NAME_LENGTH', `a tag or group name has 1..${MAX_NAME} characters`);
}
