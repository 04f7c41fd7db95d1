import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../platform/db/database.js';
import { createWorkspace } from '../platform/workspaces.js';
import { describeEngines, openTestDatabase } from '../../test/support/engines.js';
import { activeGroupChatIds, followingStaff, groupOwner } from './reads.js';
import { scrmDb } from './schema.js';

describeEngines('reads of SCRM tables published for other modules', (engine) => {
  let database: Database;
  let ws: string;
  let other: string;
  const group = (workspace_id: string, chat_id: string, name: string, owner: string, status = 'active') => ({
    workspace_id,
    chat_id,
    name,
    owner,
    notice: null,
    status,
    member_count: 3,
    created_at: 1,
    dismissed_at: status === 'dismissed' ? 2 : null,
    updated_at: 2,
  });
  const follow = (workspace_id: string, external_userid: string, userid: string, added_at: number, deleted_at: number | null = null) => ({
    workspace_id,
    external_userid,
    userid,
    remark: null,
    description: null,
    add_way: 1,
    state: null,
    tag_ids: '[]',
    added_at,
    deleted_at,
    deleted_by: deleted_at === null ? null : 'customer',
    updated_at: added_at,
  });

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    ws = (await createWorkspace(database.db, { name: 'reads' })).workspace.id;
    other = (await createWorkspace(database.db, { name: 'other' })).workspace.id;
    const db = scrmDb(database.db);
    await db
      .insertInto('scrm_groups')
      .values([
        group(ws, 'wrc', '上海 VIP 群', 'zhang'),
        group(ws, 'wra', '北京 100% 会员群', 'li'),
        group(ws, 'wrb', '上海 新客群', 'wang', 'dismissed'),
        group(ws, 'wrd', 'Shanghai_A', 'zhao'),
        group(other, 'wre', '上海 VIP 群', 'qian'),
      ])
      .execute();
    await db
      .insertInto('scrm_follows')
      .values([
        follow(ws, 'wm1', 'zhang', 300),
        follow(ws, 'wm1', 'li', 100, 150),
        follow(ws, 'wm1', 'wang', 200),
        follow(ws, 'wm1', 'aaa', 300),
        follow(other, 'wm1', 'qian', 50),
      ])
      .execute();
  });
  afterAll(() => database?.close());

  it("activeGroupChatIds: the workspace's active groups by chat id, filtered by ids and by part of the name", async () => {
    expect(await activeGroupChatIds(database.db, ws, {})).toEqual(['wra', 'wrc', 'wrd']);
    expect(await activeGroupChatIds(database.db, ws, { chatIds: ['wrb', 'wrc', 'wre'] })).toEqual(['wrc']);
    expect(await activeGroupChatIds(database.db, ws, { nameContains: '上海' })).toEqual(['wrc']);
    expect(await activeGroupChatIds(database.db, ws, { chatIds: ['wra', 'wrc'], nameContains: 'VIP' })).toEqual(['wrc']);
    // %, _ and \ are dropped from the text, not used as patterns: "100%" looks for "100", "hai_A" for "haiA".
    expect(await activeGroupChatIds(database.db, ws, { nameContains: '100%' })).toEqual(['wra']);
    expect(await activeGroupChatIds(database.db, ws, { nameContains: 'hai_A' })).toEqual([]);
    expect(await activeGroupChatIds(database.db, ws, { nameContains: 'hai_' })).toEqual(['wrd']);
    expect(await activeGroupChatIds(database.db, ws, { nameContains: '%' })).toEqual(['wra', 'wrc', 'wrd']);
    // Inside a transaction too.
    expect(await database.db.transaction().execute((trx) => activeGroupChatIds(trx, other, {}))).toEqual(['wre']);
  });

  it("groupOwner: a group's owner and status, or undefined", async () => {
    expect(await groupOwner(database.db, ws, 'wrc')).toEqual({ owner: 'zhang', status: 'active' });
    expect(await groupOwner(database.db, ws, 'wrb')).toEqual({ owner: 'wang', status: 'dismissed' });
    expect(await groupOwner(database.db, ws, 'wre')).toBeUndefined();
  });

  it('followingStaff: the earliest live follower (then by userid), or the given sender if it follows', async () => {
    expect(await followingStaff(database.db, ws, 'wm1')).toBe('wang');
    expect(await followingStaff(database.db, ws, 'wm1', 'zhang')).toBe('zhang');
    expect(await followingStaff(database.db, ws, 'wm1', 'li')).toBeUndefined();
    expect(await followingStaff(database.db, ws, 'wm2')).toBeUndefined();
    await scrmDb(database.db).updateTable('scrm_follows').set({ deleted_at: 400 }).where('workspace_id', '=', ws).where('userid', '=', 'wang').execute();
    // zhang and aaa were added at the same time: the userid decides.
    expect(await followingStaff(database.db, ws, 'wm1')).toBe('aaa');
  });
});
