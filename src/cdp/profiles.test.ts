import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';

describeEngines('profile management API', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  type Ws = { workspaceId: string; writeKey: string; secretKey: string };
  const batch = async (ws: Ws, events: object[]) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(ws.writeKey) }, payload: { batch: events } });
    expect(res.statusCode).toBe(200);
  };
  const api = (ws: Ws, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: 'Bearer ' + ws.secretKey }, ...(payload ? { payload } : {}) });
  const profile = (ref: string) => `/v1/profiles/${encodeURIComponent(ref)}`;
  const get = async (ws: Ws, url: string) => {
    const res = await api(ws, 'GET', url);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('finds a profile by its id and by every kind of identifier, in any accepted format', async () => {
    const ws = await t.newWorkspace();
    await batch(ws, [
      {
        type: 'identify',
        userId: 'u-look',
        anonymousId: 'anon-look',
        messageId: 'look-1',
        traits: { phone: '13800138000', email: 'Li.Lei@Example.COM', member_id: 'M-1', plan: 'pro' },
        context: { externalIds: [{ type: 'openid:wxapp123', id: 'o_abc', collection: 'users', encoding: 'none' }] },
      },
    ]);
    const p = await get(ws, profile('user_id:u-look'));
    expect(p.id).toMatch(/^prf_/);
    expect(p.traits).toEqual({ phone: '13800138000', email: 'Li.Lei@Example.COM', member_id: 'M-1', plan: 'pro' });
    // PII identifiers come back decrypted, normalised.
    expect(p.identifiers).toEqual(
      expect.arrayContaining([
        { type: 'user_id', value: 'u-look', firstSeenAt: expect.any(String) },
        { type: 'phone', value: '+8613800138000', firstSeenAt: expect.any(String) },
        { type: 'email', value: 'li.lei@example.com', firstSeenAt: expect.any(String) },
        { type: 'openid:wxapp123', value: 'o_abc', firstSeenAt: expect.any(String) },
      ]),
    );
    expect(p.identifiers).toHaveLength(6);
    expect(p.timeline.data.map((e: { messageId: string }) => e.messageId)).toEqual(['look-1']);
    expect(p.aggregates).toEqual({ orderCount: 0, totalSpentFen: 0, grossSpentFen: 0, refundedFen: 0, firstPurchaseAt: null, lastPurchaseAt: null });

    const refs = [
      p.id,
      'anonymous_id:anon-look',
      'member_id:M-1',
      'phone:13800138000',
      'phone:138 0013 8000',
      'phone:+8613800138000',
      'phone:+86 138-0013-8000',
      'email:li.lei@example.com',
      'email:LI.LEI@EXAMPLE.COM',
      'openid:wxapp123:o_abc',
    ];
    for (const ref of refs) expect((await get(ws, profile(ref))).id, ref).toBe(p.id);

    const missing = await api(ws, 'GET', profile('phone:13900139000'));
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toEqual({ code: 'PROFILE_NOT_FOUND', message: 'no profile with phone "+8613900139000" in this workspace' });
    expect((await api(ws, 'GET', profile('prf_01NOPE'))).json().error.code).toBe('PROFILE_NOT_FOUND');
    expect((await api(ws, 'GET', profile('openid:otherapp:o_abc'))).statusCode).toBe(404);
    const unknownType = await api(ws, 'GET', profile('wechat:o_abc'));
    expect(unknownType.statusCode).toBe(400);
    expect(unknownType.json().error.message).toMatch(/neither a profile id .* known types: user_id, .*openid:<appid>/);
    const badPhone = await api(ws, 'GET', profile('phone:12'));
    expect(badPhone.statusCode).toBe(400);
    expect(badPhone.json().error).toMatchObject({ code: 'IDENTIFIER_INVALID', message: expect.stringMatching(/"12" is not a usable phone value/) });
  });

  it('needs a secret key', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/profiles' })).statusCode).toBe(401);
    const withWriteKey = await t.app.inject({ method: 'GET', url: '/v1/profiles', headers: { authorization: 'Bearer ' + t.writeKey } });
    expect(withWriteKey.statusCode).toBe(401);
  });

  it('redirects a merged profile id to the survivor and shows the merge history', async () => {
    const ws = await t.newWorkspace();
    await batch(ws, [{ type: 'page', anonymousId: 'visitor-m', name: 'Home', messageId: 'm1', timestamp: '2026-10-01T00:00:00Z' }]);
    await batch(ws, [{ type: 'track', userId: 'acct-m', event: 'Logged In', messageId: 'm2', timestamp: '2026-10-02T00:00:00Z' }]);
    const anon = (await get(ws, profile('anonymous_id:visitor-m'))).id;
    const user = (await get(ws, profile('user_id:acct-m'))).id;
    expect(anon).not.toBe(user);
    await batch(ws, [{ type: 'identify', userId: 'acct-m', anonymousId: 'visitor-m', messageId: 'm3', timestamp: '2026-10-03T00:00:00Z' }]);

    const survivor = [anon, user].sort()[0];
    const loser = survivor === anon ? user : anon;
    const viaOld = await get(ws, profile(loser));
    expect(viaOld.id).toBe(survivor);
    expect(viaOld.mergedIds).toEqual([loser]);
    expect(viaOld.timeline.data.map((e: { messageId: string }) => e.messageId)).toEqual(['m3', 'm2', 'm1']);
    expect((await get(ws, profile('anonymous_id:visitor-m'))).id).toBe(survivor);
    // Timeline and traits routes follow the redirect as well.
    expect((await get(ws, `${profile(loser)}/events`)).data).toHaveLength(3);

    for (const ref of [loser, survivor]) {
      const merges = await get(ws, `${profile(ref)}/merges`);
      expect(merges.data).toEqual([
        {
          id: expect.stringMatching(/^mrg_/),
          kind: 'merge',
          fromProfileId: loser,
          intoProfileId: survivor,
          identifierType: survivor === anon ? 'user_id' : 'anonymous_id',
          reason: expect.stringMatching(/^shared /),
          messageId: 'm3',
          at: '2026-10-03T00:00:00.000Z',
        },
      ]);
      expect(merges.nextCursor).toBeNull();
    }
    // Lists show the survivor only.
    expect((await get(ws, '/v1/profiles')).data.map((p: { id: string }) => p.id)).toEqual([survivor]);
    // ... and do not count the merged row when paging (no empty trailing page).
    expect(await get(ws, '/v1/profiles?limit=1')).toMatchObject({ data: [{ id: survivor }], nextCursor: null });
  });

  it('pages a timeline newest first with no duplicates or gaps, and filters it', async () => {
    const ws = await t.newWorkspace();
    const base = Date.parse('2026-09-01T00:00:00Z');
    // 45 events; each pair shares a timestamp, so the message id must break ties.
    const events = Array.from({ length: 45 }, (_, i) => ({
      type: i % 5 === 0 ? 'page' : 'track',
      ...(i % 5 === 0 ? { name: 'Home' } : { event: i % 2 ? 'Viewed' : 'Clicked' }),
      userId: 'tl-user',
      messageId: `tl-${String(i).padStart(2, '0')}`,
      timestamp: new Date(base + Math.floor(i / 2) * 60_000).toISOString(),
    }));
    // Sent in a shuffled order across two batches.
    const shuffled = [...events].sort((a, b) => (a.messageId.split('').reverse().join('') < b.messageId.split('').reverse().join('') ? -1 : 1));
    await batch(ws, shuffled.slice(0, 20));
    await batch(ws, shuffled.slice(20));
    const expected = [...events]
      .sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp) || (a.messageId < b.messageId ? 1 : -1))
      .map((e) => e.messageId);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { data: { messageId: string; timestamp: string; payload: { messageId: string } }[]; nextCursor: string | null } = await get(
        ws,
        `${profile('user_id:tl-user')}/events?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.data.length).toBeLessThanOrEqual(10);
      for (const e of page.data) expect(e.payload.messageId).toBe(e.messageId);
      seen.push(...page.data.map((e) => e.messageId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toEqual(expected);

    // The profile's first page (20) continues seamlessly through /events.
    const p = await get(ws, profile('user_id:tl-user'));
    expect(p.timeline.data.map((e: { messageId: string }) => e.messageId)).toEqual(expected.slice(0, 20));
    const rest = await get(ws, `${profile(p.id)}/events?limit=200&cursor=${encodeURIComponent(p.timeline.nextCursor)}`);
    expect(rest.data.map((e: { messageId: string }) => e.messageId)).toEqual(expected.slice(20));
    expect(rest.nextCursor).toBeNull();

    const pagesOnly = await get(ws, `${profile(p.id)}/events?type=page`);
    expect(pagesOnly.data.map((e: { messageId: string }) => e.messageId)).toEqual(expected.filter((id) => Number(id.slice(3)) % 5 === 0));
    const viewed = await get(ws, `${profile(p.id)}/events?event=Viewed&limit=3`);
    expect(viewed.data.every((e: { event: string }) => e.event === 'Viewed')).toBe(true);
    expect(viewed.data).toHaveLength(3);

    for (const bad of ['not-a-cursor', 'limit=0', 'limit=201']) {
      const q = bad.startsWith('limit') ? bad : `cursor=${bad}`;
      const res = await api(ws, 'GET', `${profile(p.id)}/events?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('searches by trait, tag, identifier and text, with pagination', async () => {
    const ws = await t.newWorkspace();
    const people = [
      { userId: 's1', traits: { plan: 'pro', city: 'Shanghai', age: 30, name: 'Wang Fang' } },
      { userId: 's2', traits: { plan: 'pro', city: 'Beijing', age: 41, name: 'Li Na', phone: '13911112222' } },
      { userId: 's3', traits: { plan: 'free', city: 'Shanghai', name: 'Zhang Wei', email: 'zw@Example.com' } },
      { userId: 's4', traits: { plan: 'pro', city: 'Shanghai', name: 'Chen Jing' } },
      { userId: 's5', traits: { plan: 'free', city: 'Shenzhen', name: 'Wang Lei' } },
    ];
    await batch(
      ws,
      people.map((p, i) => ({ type: 'identify', messageId: `s-${i}`, ...p })),
    );
    const idOf: Record<string, string> = {};
    for (const p of people) idOf[p.userId] = (await get(ws, profile(`user_id:${p.userId}`))).id;
    const ids = (res: { data: { id: string }[] }) => res.data.map((p) => p.id);
    const sorted = (...users: string[]) => users.map((u) => idOf[u]).sort();

    const tagged = await api(ws, 'POST', `${profile(idOf.s1)}/tags`, { tags: [{ group: 'level', name: 'VIP' }] });
    expect(tagged.statusCode).toBe(200);
    const vipId = tagged.json().tags[0].id;
    await api(ws, 'POST', `${profile(idOf.s4)}/tags`, { tags: [{ id: vipId }, { name: 'newsletter' }] });
    await api(ws, 'POST', `${profile(idOf.s3)}/tags`, { tags: [{ name: 'newsletter' }] });

    expect(ids(await get(ws, '/v1/profiles?trait=plan:pro'))).toEqual(sorted('s1', 's2', 's4'));
    expect(ids(await get(ws, '/v1/profiles?trait=plan:pro&trait=city:Shanghai'))).toEqual(sorted('s1', 's4'));
    expect(ids(await get(ws, '/v1/profiles?trait=age:30'))).toEqual(sorted('s1'));
    expect(ids(await get(ws, `/v1/profiles?tag=${vipId}`))).toEqual(sorted('s1', 's4'));
    expect(ids(await get(ws, '/v1/profiles?tag=level%2FVIP&trait=city:Shanghai'))).toEqual(sorted('s1', 's4'));
    expect(ids(await get(ws, '/v1/profiles?tag=newsletter'))).toEqual(sorted('s3', 's4'));
    expect(ids(await get(ws, '/v1/profiles?tag=newsletter&tag=level%2FVIP'))).toEqual(sorted('s4'));
    expect(ids(await get(ws, `/v1/profiles?identifier=${encodeURIComponent('phone:+86 139 1111 2222')}`))).toEqual(sorted('s2'));
    expect(ids(await get(ws, '/v1/profiles?identifier=user_id:nobody'))).toEqual([]);
    expect(ids(await get(ws, '/v1/profiles?q=wang'))).toEqual(sorted('s1', 's5'));
    expect(ids(await get(ws, '/v1/profiles?q=ZW%40example.COM'))).toEqual(sorted('s3'));
    expect(ids(await get(ws, '/v1/profiles?q=139-1111-2222'))).toEqual(sorted('s2'));
    expect(ids(await get(ws, '/v1/profiles?q=s5'))).toEqual(sorted('s5'));
    expect(ids(await get(ws, `/v1/profiles?q=${idOf.s2}`))).toEqual(sorted('s2'));
    // LIKE wildcards in the text are matched literally.
    expect(ids(await get(ws, '/v1/profiles?q=%25'))).toEqual([]);

    // Pagination by id: limit 2 over 5 profiles gives 3 pages, every profile once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { id: string; timeline?: unknown; tags: unknown[] }[]; nextCursor: string | null } = await get(
        ws,
        `/v1/profiles?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      for (const p of page.data) expect(p.timeline).toBeUndefined();
      seen.push(...page.data.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(sorted('s1', 's2', 's3', 's4', 's5'));
    const filteredPage = await get(ws, '/v1/profiles?trait=plan:pro&limit=2');
    expect(ids(filteredPage)).toEqual(sorted('s1', 's2', 's4').slice(0, 2));
    expect(ids(await get(ws, `/v1/profiles?trait=plan:pro&limit=2&cursor=${filteredPage.nextCursor}`))).toEqual(sorted('s1', 's2', 's4').slice(2));

    const unknownTag = await api(ws, 'GET', '/v1/profiles?tag=level%2Fgold');
    expect(unknownTag.statusCode).toBe(404);
    expect(unknownTag.json().error.code).toBe('TAG_NOT_FOUND');
    const badTrait = await api(ws, 'GET', '/v1/profiles?trait=plan');
    expect(badTrait.statusCode).toBe(400);
    expect(badTrait.json().error.message).toMatch(/must be key:value/);
  });

  it('filters boolean traits alike on both engines and looks up long identifiers in the URL', async () => {
    const ws = await t.newWorkspace();
    const longEmail = `${'very.long.mailbox.name.'.repeat(6)}x@example.com`;
    await batch(ws, [
      { type: 'identify', userId: 'b1', messageId: 'b-1', traits: { vip: true, email: longEmail } },
      { type: 'identify', userId: 'b2', messageId: 'b-2', traits: { vip: false } },
    ]);
    const b1 = await get(ws, profile(`email:${longEmail.toUpperCase()}`));
    expect(b1.identifiers).toContainEqual(expect.objectContaining({ type: 'user_id', value: 'b1' }));
    expect((await get(ws, '/v1/profiles?trait=vip:true')).data.map((p: { id: string }) => p.id)).toEqual([b1.id]);
    expect((await get(ws, '/v1/profiles?trait=vip:false')).data).toHaveLength(1);
  });

  it('sets and unsets traits with last-write-wins against events, older or newer', async () => {
    const ws = await t.newWorkspace();
    const now = t.clock.now();
    const at = (ms: number) => new Date(ms).toISOString();
    await batch(ws, [
      { type: 'identify', userId: 'lww', messageId: 'lww-1', timestamp: at(now - 86_400_000), traits: { plan: 'free', city: 'Hangzhou', age: 20 } },
    ]);

    const patched = await api(ws, 'PATCH', `${profile('user_id:lww')}/traits`, { set: { plan: 'pro', vip: true }, unset: ['city'] });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().traits).toEqual({ plan: 'pro', vip: true, age: 20 });
    expect(patched.json().updatedAt).toBe(at(now));
    const id = patched.json().id;

    // An event dated before the edit arrives late: it changes neither the set nor the unset trait.
    await batch(ws, [
      { type: 'identify', userId: 'lww', messageId: 'lww-2', timestamp: at(now - 3_600_000), traits: { plan: 'basic', city: 'Suzhou', age: 21 } },
    ]);
    expect((await get(ws, profile(id))).traits).toEqual({ plan: 'pro', vip: true, age: 21 });

    // A newer event wins over the edit.
    await batch(ws, [{ type: 'identify', userId: 'lww', messageId: 'lww-3', timestamp: at(now + 60_000), traits: { plan: 'enterprise', city: 'Ningbo' } }]);
    expect((await get(ws, profile(id))).traits).toEqual({ plan: 'enterprise', vip: true, age: 21, city: 'Ningbo' });

    // An edit now does not override a trait written by an event dated after now.
    const stale = await api(ws, 'PATCH', `${profile(id)}/traits`, { set: { plan: 'free', vip: false }, unset: ['city'] });
    expect(stale.json().traits).toEqual({ plan: 'enterprise', vip: false, age: 21, city: 'Ningbo' });

    const cases: [object, RegExp][] = [
      [{}, /must NOT have fewer than 1 properties/],
      [{ set: {}, unset: [] }, /nothing to change/],
      [{ set: { a: 1 }, unset: ['a'] }, /"a" appear in both set and unset/],
      [{ set: 'x' }, /set must be object/],
    ];
    for (const [body, message] of cases) {
      const res = await api(ws, 'PATCH', `${profile(id)}/traits`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.message).toMatch(message);
    }
    expect((await api(ws, 'PATCH', `${profile('user_id:nobody')}/traits`, { set: { a: 1 } })).statusCode).toBe(404);
  });

  it('loses no trait when edits race the ingest writer on the same profile', async () => {
    const ws = await t.newWorkspace();
    await batch(ws, [{ type: 'identify', userId: 'race', messageId: 'race-0', traits: { start: 1 } }]);
    const old = new Date(t.clock.now() - 86_400_000).toISOString();
    const n = 15;
    const results = await Promise.all([
      ...Array.from({ length: n }, (_, i) => api(ws, 'PATCH', `${profile('user_id:race')}/traits`, { set: { [`edit${i}`]: i } })),
      ...Array.from({ length: n }, (_, i) =>
        t.app.inject({
          method: 'POST',
          url: '/v1/identify',
          headers: { authorization: basic(ws.writeKey) },
          payload: { userId: 'race', messageId: `race-${i + 1}`, timestamp: old, traits: { [`event${i}`]: i } },
        }),
      ),
    ]);
    for (const r of results) expect(r.statusCode, r.body).toBe(200);
    const traits = (await get(ws, profile('user_id:race'))).traits;
    expect(Object.keys(traits).sort()).toEqual(['start', ...Array.from({ length: n }, (_, i) => [`edit${i}`, `event${i}`]).flat()].sort());
  });

  it("isolates workspaces: another workspace's profiles, identifiers and tags are not found", async () => {
    const a = await t.newWorkspace('A');
    const b = await t.newWorkspace('B');
    await batch(a, [{ type: 'identify', userId: 'shared', messageId: 'iso-1', traits: { name: 'Alice A', plan: 'a' } }]);
    await batch(b, [
      { type: 'identify', userId: 'shared', messageId: 'iso-1', traits: { name: 'Bob B', plan: 'b', phone: '13700137000' } },
      { type: 'identify', userId: 'only-b', messageId: 'iso-2', traits: { name: 'Bea B', plan: 'b' } },
    ]);
    const aShared = (await get(a, profile('user_id:shared'))).id;
    const bShared = await get(b, profile('user_id:shared'));
    expect(bShared.id).not.toBe(aShared);
    const bTags = await api(b, 'POST', `${profile(bShared.id)}/tags`, { tags: [{ group: 'b-group', name: 'b-tag' }] });
    const bTag = bTags.json().tags[0].id;

    // Same identifier value resolves to the key's own workspace.
    expect((await get(a, profile('user_id:shared'))).traits.name).toBe('Alice A');
    for (const ref of [bShared.id, 'user_id:only-b', 'phone:13700137000']) {
      for (const suffix of ['', '/events', '/merges']) {
        const res = await api(a, 'GET', profile(ref) + suffix);
        expect(res.statusCode, ref + suffix).toBe(404);
        expect(res.json().error.code).toBe('PROFILE_NOT_FOUND');
      }
    }
    expect((await api(a, 'PATCH', `${profile(bShared.id)}/traits`, { set: { plan: 'hacked' } })).statusCode).toBe(404);
    expect((await api(a, 'POST', `${profile(bShared.id)}/tags`, { tags: [{ name: 'x' }] })).statusCode).toBe(404);
    expect((await api(a, 'DELETE', `${profile(bShared.id)}/tags/${bTag}`)).statusCode).toBe(404);
    // B's tag id is unknown in A, even on A's own profile.
    const foreignTag = await api(a, 'POST', `${profile(aShared)}/tags`, { tags: [{ id: bTag }] });
    expect(foreignTag.statusCode).toBe(404);
    expect(foreignTag.json().error.code).toBe('TAG_NOT_FOUND');
    expect((await api(a, 'GET', `/v1/profiles?tag=${bTag}`)).statusCode).toBe(404);

    expect((await get(a, '/v1/profiles')).data.map((p: { id: string }) => p.id)).toEqual([aShared]);
    expect((await get(a, '/v1/profiles?q=B')).data.map((p: { id: string }) => p.id)).toEqual([]);
    expect((await get(a, '/v1/profiles?trait=plan:b')).data).toEqual([]);
    expect((await get(a, '/v1/profiles?identifier=user_id:only-b')).data).toEqual([]);

    // B's data is untouched.
    const after = await get(b, profile(bShared.id));
    expect(after.traits.plan).toBe('b');
    expect(after.tags).toEqual([{ id: bTag, group: 'b-group', name: 'b-tag', source: 'manual' }]);
    expect((await api(a, 'GET', `${profile('user_id:shared')}`)).json().tags).toEqual([]);
  });

  it('documents every route in the OpenAPI document with the secret-key scheme', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const [path, method] of [
      ['/v1/profiles', 'get'],
      ['/v1/profiles/{id}', 'get'],
      ['/v1/profiles/{id}/events', 'get'],
      ['/v1/profiles/{id}/traits', 'patch'],
      ['/v1/profiles/{id}/merges', 'get'],
      ['/v1/profiles/{id}/tags', 'post'],
      ['/v1/profiles/{id}/tags/{tagId}', 'delete'],
      ['/v1/tag-groups/{id}', 'delete'],
      ['/v1/tags', 'post'],
    ] as const) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.security).toEqual([{ secretKey: [] }]);
      expect(op.summary).toBeTruthy();
    }
  });
});
