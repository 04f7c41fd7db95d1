import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { addTagsToProfile } from './tags.service.js';

describeEngines('tags API', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  type Ws = { workspaceId: string; writeKey: string; secretKey: string };
  const api = (ws: Ws, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: 'Bearer ' + ws.secretKey }, ...(payload ? { payload } : {}) });
  const ok = async (ws: Ws, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, status = 200) => {
    const res = await api(ws, method, url, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return status === 204 ? undefined : res.json();
  };
  const fails = async (ws: Ws, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload: object | undefined, status: number, code: string) => {
    const res = await api(ws, method, url, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    expect(res.json().error.code).toBe(code);
    return res.json().error.message as string;
  };
  /** Creates a profile through the tracking API and returns its id. */
  const person = async (ws: Ws, userId: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/identify', headers: { authorization: basic(ws.writeKey) }, payload: { userId } });
    expect(res.statusCode).toBe(200);
    return (await ok(ws, 'GET', `/v1/profiles/user_id:${userId}`)).id as string;
  };
  const tagsOf = async (ws: Ws, profileId: string) =>
    ((await ok(ws, 'GET', `/v1/profiles/${profileId}`)).tags as { id: string; group: string; name: string; source: string }[]).map(
      (x) => `${x.group}/${x.name}:${x.source}`,
    );

  it('manages tag groups: create, list, rename, conflicts, delete (forced when not empty)', async () => {
    const ws = await t.newWorkspace();
    const vip = await ok(ws, 'POST', '/v1/tag-groups', { name: '  会员等级  ' }, 201);
    expect(vip).toMatchObject({ id: expect.stringMatching(/^tgr_/), name: '会员等级', tagCount: 0 });
    expect(await fails(ws, 'POST', '/v1/tag-groups', { name: '会员等级 ' }, 409, 'CONFLICT')).toMatch(/already exists/);
    expect(await fails(ws, 'POST', '/v1/tag-groups', { name: '   ' }, 400, 'VALIDATION_FAILED')).toMatch(/1 to 64 characters/);
    await fails(ws, 'POST', '/v1/tag-groups', { name: 'x'.repeat(65) }, 400, 'VALIDATION_FAILED');
    await ok(ws, 'POST', '/v1/tag-groups', { name: 'x'.repeat(64) }, 201);
    const source = await ok(ws, 'POST', '/v1/tag-groups', { name: 'Source' }, 201);

    expect(await fails(ws, 'PATCH', `/v1/tag-groups/${source.id}`, { name: '会员等级' }, 409, 'CONFLICT')).toMatch(/already named/);
    expect(await ok(ws, 'PATCH', `/v1/tag-groups/${source.id}`, { name: 'Channel' })).toMatchObject({ id: source.id, name: 'Channel' });
    // Renaming to its own name is not a conflict.
    await ok(ws, 'PATCH', `/v1/tag-groups/${source.id}`, { name: 'Channel' });
    await fails(ws, 'PATCH', '/v1/tag-groups/tgr_nope', { name: 'y' }, 404, 'TAG_GROUP_NOT_FOUND');

    await ok(ws, 'POST', '/v1/tags', { groupId: vip.id, name: 'Gold' }, 201);
    await ok(ws, 'POST', '/v1/tags', { groupId: vip.id, name: 'Silver' }, 201);
    const groups = (await ok(ws, 'GET', '/v1/tag-groups')).data as { name: string; tagCount: number }[];
    expect(groups.map((g) => [g.name, g.tagCount])).toEqual([
      ['Channel', 0],
      ['x'.repeat(64), 0],
      ['会员等级', 2],
    ]);

    expect(await fails(ws, 'DELETE', `/v1/tag-groups/${vip.id}`, undefined, 409, 'CONFLICT')).toMatch(/still has 2 tag\(s\).*force=true/);
    await ok(ws, 'DELETE', `/v1/tag-groups/${source.id}`, undefined, 204);
    const p = await person(ws, 'grp-user');
    await ok(ws, 'POST', `/v1/profiles/${p}/tags`, {
      tags: [
        { group: '会员等级', name: 'Gold' },
        { group: 'keep', name: 'me' },
      ],
    });
    await ok(ws, 'DELETE', `/v1/tag-groups/${vip.id}?force=true`, undefined, 204);
    expect((await ok(ws, 'GET', '/v1/tag-groups')).data.map((g: { name: string }) => g.name)).toEqual(['keep', 'x'.repeat(64)]);
    expect((await ok(ws, 'GET', '/v1/tags')).data.map((x: { name: string }) => x.name)).toEqual(['me']);
    expect(await tagsOf(ws, p)).toEqual(['keep/me:manual']);
    await fails(ws, 'DELETE', `/v1/tag-groups/${vip.id}`, undefined, 404, 'TAG_GROUP_NOT_FOUND');
  });

  it('manages tags: create by group name or id, unique per group, rename, list with profile counts, delete', async () => {
    const ws = await t.newWorkspace();
    const gold = await ok(ws, 'POST', '/v1/tags', { group: 'level', name: ' Gold ' }, 201);
    expect(gold).toMatchObject({ id: expect.stringMatching(/^tag_/), group: 'level', name: 'Gold', profileCount: 0 });
    const plain = await ok(ws, 'POST', '/v1/tags', { name: 'newsletter' }, 201);
    expect(plain.group).toBe('default');
    expect(await fails(ws, 'POST', '/v1/tags', { groupId: gold.groupId, name: 'Gold' }, 409, 'CONFLICT')).toMatch(/already has a tag named "Gold"/);
    // The same name in another group is a different tag.
    const otherGold = await ok(ws, 'POST', '/v1/tags', { group: 'medal', name: 'Gold' }, 201);
    expect(otherGold.id).not.toBe(gold.id);
    await fails(ws, 'POST', '/v1/tags', { groupId: 'tgr_nope', name: 'x' }, 404, 'TAG_GROUP_NOT_FOUND');
    await fails(ws, 'POST', '/v1/tags', { group: 'level', groupId: gold.groupId, name: 'x' }, 400, 'VALIDATION_FAILED');
    await fails(ws, 'POST', '/v1/tags', { group: 'level', name: 'é'.repeat(65) }, 400, 'VALIDATION_FAILED');

    const silver = await ok(ws, 'POST', '/v1/tags', { groupId: gold.groupId, name: 'Silver' }, 201);
    expect(await fails(ws, 'PATCH', `/v1/tags/${silver.id}`, { name: 'Gold' }, 409, 'CONFLICT')).toMatch(/another tag named "Gold"/);
    expect(await ok(ws, 'PATCH', `/v1/tags/${silver.id}`, { name: 'Platinum' })).toMatchObject({ id: silver.id, name: 'Platinum', group: 'level' });
    await fails(ws, 'PATCH', '/v1/tags/tag_nope', { name: 'x' }, 404, 'TAG_NOT_FOUND');

    const p1 = await person(ws, 'tag-1');
    const p2 = await person(ws, 'tag-2');
    await ok(ws, 'POST', `/v1/profiles/${p1}/tags`, { tags: [{ id: gold.id }, { id: silver.id }] });
    await ok(ws, 'POST', `/v1/profiles/${p2}/tags`, { tags: [{ id: gold.id }] });
    const level = (await ok(ws, 'GET', '/v1/tags?group=level')).data as { id: string; name: string; profileCount: number }[];
    expect(level.map((x) => [x.name, x.profileCount])).toEqual([
      ['Gold', 2],
      ['Platinum', 1],
    ]);
    expect((await ok(ws, 'GET', `/v1/tags?group=${gold.groupId}`)).data).toEqual(level);
    expect((await ok(ws, 'GET', '/v1/tags')).data).toHaveLength(4);
    await fails(ws, 'GET', '/v1/tags?group=nope', undefined, 404, 'TAG_GROUP_NOT_FOUND');

    await ok(ws, 'DELETE', `/v1/tags/${gold.id}`, undefined, 204);
    expect(await tagsOf(ws, p1)).toEqual(['level/Platinum:manual']);
    expect(await tagsOf(ws, p2)).toEqual([]);
    await fails(ws, 'DELETE', `/v1/tags/${gold.id}`, undefined, 404, 'TAG_NOT_FOUND');
    expect((await ok(ws, 'GET', '/v1/profiles?tag=level%2FPlatinum')).data.map((x: { id: string }) => x.id)).toEqual([p1]);
  });

  it('adds and removes tags on a profile: by id or name, idempotent, all-or-nothing', async () => {
    const ws = await t.newWorkspace();
    const p = await person(ws, 'tagged');
    const added = await ok(ws, 'POST', '/v1/profiles/user_id:tagged/tags', { tags: [{ group: 'interest', name: 'coffee' }, { name: 'vip' }] });
    expect(added.profileId).toBe(p);
    expect(added.tags.map((x: { group: string; name: string }) => `${x.group}/${x.name}`)).toEqual(['default/vip', 'interest/coffee']);
    const coffee = added.tags.find((x: { name: string }) => x.name === 'coffee').id;

    // Adding again (by id, and by name) changes nothing.
    await ok(ws, 'POST', `/v1/profiles/${p}/tags`, { tags: [{ id: coffee }, { group: 'interest', name: 'coffee' }] });
    expect(await tagsOf(ws, p)).toEqual(['default/vip:manual', 'interest/coffee:manual']);
    const rows = await t.database.db.selectFrom('profile_tags').selectAll().where('workspace_id', '=', ws.workspaceId).execute();
    expect(rows).toHaveLength(2);

    // One unknown tag id fails the whole request: the new name is not created either.
    expect(await fails(ws, 'POST', `/v1/profiles/${p}/tags`, { tags: [{ group: 'interest', name: 'tea' }, { id: 'tag_nope' }] }, 404, 'TAG_NOT_FOUND')).toMatch(
      /tag_nope/,
    );
    expect((await ok(ws, 'GET', '/v1/tags')).data.map((x: { name: string }) => x.name)).toEqual(['vip', 'coffee']);
    expect(await fails(ws, 'POST', `/v1/profiles/${p}/tags`, { tags: [{ id: coffee, name: 'x' }] }, 400, 'VALIDATION_FAILED')).toMatch(
      /tags\[0\]: give either id, or name/,
    );
    expect(await fails(ws, 'POST', `/v1/profiles/${p}/tags`, { tags: [{ group: 'g' }] }, 400, 'VALIDATION_FAILED')).toMatch(/tags\[0\]: needs id, or name/);
    await fails(ws, 'POST', `/v1/profiles/${p}/tags`, { tags: [] }, 400, 'VALIDATION_FAILED');
    await fails(ws, 'POST', '/v1/profiles/user_id:nobody/tags', { tags: [{ name: 'x' }] }, 404, 'PROFILE_NOT_FOUND');

    await ok(ws, 'DELETE', `/v1/profiles/${p}/tags/${coffee}`, undefined, 204);
    expect(await tagsOf(ws, p)).toEqual(['default/vip:manual']);
    // Removing a tag the profile does not hold is a no-op; an unknown tag is an error.
    await ok(ws, 'DELETE', `/v1/profiles/${p}/tags/${coffee}`, undefined, 204);
    await fails(ws, 'DELETE', `/v1/profiles/${p}/tags/tag_nope`, undefined, 404, 'TAG_NOT_FOUND');
    // The catalogue keeps the tag.
    expect((await ok(ws, 'GET', '/v1/tags?group=interest')).data).toEqual([expect.objectContaining({ id: coffee, profileCount: 0 })]);
  });

  it('tags a merged profile id on the survivor', async () => {
    const ws = await t.newWorkspace();
    const track = (body: object) =>
      t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(ws.writeKey) }, payload: { batch: [body] } });
    await track({ type: 'page', anonymousId: 'anon-tag', messageId: 'mt1' });
    await track({ type: 'track', userId: 'user-tag', event: 'E', messageId: 'mt2' });
    const anon = (await ok(ws, 'GET', '/v1/profiles/anonymous_id:anon-tag')).id;
    const user = (await ok(ws, 'GET', '/v1/profiles/user_id:user-tag')).id;
    await track({ type: 'identify', userId: 'user-tag', anonymousId: 'anon-tag', messageId: 'mt3' });
    const [survivor, loser] = [anon, user].sort();
    const res = await ok(ws, 'POST', `/v1/profiles/${loser}/tags`, { tags: [{ name: 'merged' }] });
    expect(res.profileId).toBe(survivor);
    expect(await tagsOf(ws, survivor!)).toEqual(['default/merged:manual']);
    const onLoser = await t.database.db
      .selectFrom('profile_tags')
      .select('tag_id')
      .where('workspace_id', '=', ws.workspaceId)
      .where('profile_id', '=', loser!)
      .execute();
    expect(onLoser).toEqual([]);
    // The service follows the redirect too (importers may hold an old id).
    const direct = await addTagsToProfile(t.database.db, ws.workspaceId, loser!, [{ name: 'direct' }], 'import', t.clock.now());
    expect(direct.profileId).toBe(survivor);
    expect(await tagsOf(ws, survivor!)).toEqual(['default/direct:import', 'default/merged:manual']);
  });

  it('moves tags, events and orders to the survivor when profiles merge (shared tags kept once, several merges in one batch)', async () => {
    const ws = await t.newWorkspace();
    const batch = (items: object[]) =>
      t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(ws.writeKey) }, payload: { batch: items } });
    expect(
      (
        await batch([
          { type: 'track', anonymousId: 'a1', event: 'Order Completed', properties: { order_id: 'o-1', total: 10 }, messageId: 'm1' },
          { type: 'page', anonymousId: 'a2', messageId: 'm2' },
          { type: 'page', anonymousId: 'a3', messageId: 'm3' },
        ])
      ).statusCode,
    ).toBe(200);
    const ids = await Promise.all(['a1', 'a2', 'a3'].map(async (a) => (await ok(ws, 'GET', `/v1/profiles/anonymous_id:${a}`)).id as string));
    await ok(ws, 'POST', `/v1/profiles/${ids[0]}/tags`, { tags: [{ name: 'shared' }, { name: 'only-1' }] });
    await ok(ws, 'POST', `/v1/profiles/${ids[1]}/tags`, { tags: [{ name: 'shared' }] });
    await ok(ws, 'POST', `/v1/profiles/${ids[2]}/tags`, { tags: [{ name: 'shared' }, { name: 'only-3' }] });
    // One batch links all three through one user id: two merges written together.
    expect(
      (
        await batch([
          { type: 'identify', userId: 'u-all', anonymousId: 'a1', messageId: 'm4' },
          { type: 'identify', userId: 'u-all', anonymousId: 'a2', messageId: 'm5' },
          { type: 'identify', userId: 'u-all', anonymousId: 'a3', messageId: 'm6' },
        ])
      ).statusCode,
    ).toBe(200);
    const survivor = [...ids].sort()[0]!;
    const profile = await ok(ws, 'GET', '/v1/profiles/user_id:u-all');
    expect(profile.id).toBe(survivor);
    expect(await tagsOf(ws, survivor)).toEqual(['default/only-1:manual', 'default/only-3:manual', 'default/shared:manual']);
    expect(profile.aggregates).toMatchObject({ orderCount: 1, totalSpentFen: 1000 });
    const rows = (table: 'profile_tags' | 'events' | 'orders' | 'identities') =>
      t.database.db.selectFrom(table).select('profile_id').distinct().where('workspace_id', '=', ws.workspaceId).execute();
    for (const table of ['profile_tags', 'events', 'orders', 'identities'] as const) expect(await rows(table), table).toEqual([{ profile_id: survivor }]);
    for (const id of ids) expect((await ok(ws, 'GET', `/v1/profiles/${id}`)).id).toBe(survivor);
  });
  it('addTagsToProfile serves importers: source "import", inside or outside the caller\'s transaction', async () => {
    const ws = await t.newWorkspace();
    const p = await person(ws, 'imported');
    const now = t.clock.now();
    const out = await addTagsToProfile(t.database.db, ws.workspaceId, p, [{ group: 'crm', name: 'imported' }], 'import', now);
    expect(out.tags).toEqual([{ id: expect.stringMatching(/^tag_/), group: 'crm', name: 'imported', source: 'import' }]);
    // Inside a transaction that rolls back, nothing remains.
    await expect(
      t.database.db.transaction().execute(async (trx) => {
        await addTagsToProfile(trx, ws.workspaceId, p, [{ group: 'crm', name: 'rolled-back' }], 'import', now);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await t.database.db.transaction().execute((trx) => addTagsToProfile(trx, ws.workspaceId, p, [{ name: 'committed' }], 'import', now));
    expect(await tagsOf(ws, p)).toEqual(['crm/imported:import', 'default/committed:import']);
    // A manual add of a tag already held keeps its original source.
    await ok(ws, 'POST', `/v1/profiles/${p}/tags`, { tags: [{ group: 'crm', name: 'imported' }] });
    expect(await tagsOf(ws, p)).toEqual(['crm/imported:import', 'default/committed:import']);
    await expect(addTagsToProfile(t.database.db, ws.workspaceId, 'prf_nope', [{ name: 'x' }], 'import', now)).rejects.toMatchObject({
      code: 'PROFILE_NOT_FOUND',
    });
  });

  it("isolates the catalogue: another workspace's groups and tags cannot be seen or changed", async () => {
    const a = await t.newWorkspace('A');
    const b = await t.newWorkspace('B');
    const bTag = await ok(b, 'POST', '/v1/tags', { group: 'b-group', name: 'b-tag' }, 201);
    const bPerson = await person(b, 'b-person');
    await ok(b, 'POST', `/v1/profiles/${bPerson}/tags`, { tags: [{ id: bTag.id }] });
    // A may use the same names: they are its own.
    const aTag = await ok(a, 'POST', '/v1/tags', { group: 'b-group', name: 'b-tag' }, 201);
    expect(aTag.id).not.toBe(bTag.id);

    await fails(a, 'PATCH', `/v1/tags/${bTag.id}`, { name: 'renamed' }, 404, 'TAG_NOT_FOUND');
    await fails(a, 'DELETE', `/v1/tags/${bTag.id}`, undefined, 404, 'TAG_NOT_FOUND');
    await fails(a, 'PATCH', `/v1/tag-groups/${bTag.groupId}`, { name: 'renamed' }, 404, 'TAG_GROUP_NOT_FOUND');
    await fails(a, 'DELETE', `/v1/tag-groups/${bTag.groupId}?force=true`, undefined, 404, 'TAG_GROUP_NOT_FOUND');
    await fails(a, 'GET', `/v1/tags?group=${bTag.groupId}`, undefined, 404, 'TAG_GROUP_NOT_FOUND');
    await fails(a, 'POST', '/v1/tags', { groupId: bTag.groupId, name: 'sneaky' }, 404, 'TAG_GROUP_NOT_FOUND');

    expect((await ok(a, 'GET', '/v1/tags')).data).toEqual([expect.objectContaining({ id: aTag.id, profileCount: 0 })]);
    expect((await ok(a, 'GET', '/v1/tag-groups')).data).toEqual([expect.objectContaining({ id: aTag.groupId, tagCount: 1 })]);
    // B's catalogue and tagging are untouched.
    expect((await ok(b, 'GET', '/v1/tags')).data).toEqual([expect.objectContaining({ id: bTag.id, name: 'b-tag', group: 'b-group', profileCount: 1 })]);
  });
});
