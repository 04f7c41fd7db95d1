/** `change_external_tag` events: corp tags or tag groups created, updated, deleted or reordered. */
import type { CorpTagGroup } from '../../wecom/index.js';
import { field } from '../callback-message.js';
import * as repo from '../contacts.repo.js';
import { type Handler, UnusableEventError, fromWeCom } from './context.js';

const tagFacts = (groups: CorpTagGroup[]): repo.TagFacts[] =>
  groups.flatMap((g) =>
    g.deleted ? [] : g.tag.filter((t) => !t.deleted).map((t) => ({ tagId: t.id, groupId: g.group_id, groupName: g.group_name, name: t.name, order: t.order })),
  );

/** Deletions mark the tag (or the group's tags) deleted; other changes read the tags from WeCom and store them. */
export const tagEvent: Handler = async (ctx) => {
  const change = field(ctx.msg, 'ChangeType');
  if (change !== 'create' && change !== 'update' && change !== 'delete' && change !== 'shuffle') return undefined;
  const tagType = field(ctx.msg, 'TagType') === 'tag_group' ? 'tag_group' : 'tag';
  const id = field(ctx.msg, 'Id') ?? '';
  if (!id && change !== 'shuffle') throw new UnusableEventError(`change_external_tag.${change} has no Id`);
  const ws = ctx.ws;
  let tags: repo.TagFacts[] | undefined;
  if (change !== 'delete') {
    const filter = change === 'shuffle' || !id ? {} : tagType === 'tag_group' ? { group_id: [id] } : { tag_id: [id] };
    const list = await fromWeCom(ctx, 'get_corp_tag_list', (c) => c.getCorpTagList(filter));
    tags = list ? tagFacts(list.tag_group) : undefined;
  }
  return async (tx) => {
    if (change === 'delete') await repo.deleteCorpTags(tx.trx, ws, tagType === 'tag_group' ? { groupId: id } : { tagId: id }, ctx.at, tx.now);
    else if (tags) await repo.upsertCorpTags(tx.trx, ws, tags, tx.now);
    return [{ type: 'tag.changed', workspaceId: ws, changeType: change, tagType, id, at: ctx.at }];
  };
};
