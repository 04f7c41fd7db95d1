import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { createRuleBook } from './identifiers.js';
import { normaliseMessage } from './tracking.js';

describeEngines('One ID through the ingest path', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  const batch = (events: object[], key = t.writeKey) =>
    t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(key) }, payload: { batch: events } });
  const ownerOf = async (ws: string, type: string, key: string) =>
    (
      await t.database.db
        .selectFrom('identities')
        .select('profile_id')
        .where('workspace_id', '=', ws)
        .where('id_type', '=', type)
        .where('id_key', '=', key)
        .executeTakeFirst()
    )?.profile_id;
  const lookupKey = async (ws: string, type: string, v: string) => (await t.services.cipher.forWorkspace(ws)).lookupKey(type, v);

  it('merges an anonymous visitor into the account on identify, records the merge, redirects the old id', async () => {
    const { workspaceId: ws, writeKey } = await t.newWorkspace();
    await batch([{ type: 'page', anonymousId: 'visitor-1', messageId: 'v1', name: 'Home' }], writeKey);
    await batch([{ type: 'track', userId: 'acct-1', event: 'Logged In', messageId: 'v2' }], writeKey);
    const anonProfile = await ownerOf(ws, 'anonymous_id', 'visitor-1');
    const userProfile = await ownerOf(ws, 'user_id', 'acct-1');
    expect(anonProfile).not.toBe(userProfile);
    await batch([{ type: 'identify', userId: 'acct-1', anonymousId: 'visitor-1', messageId: 'v3', traits: { name: 'Wang' } }], writeKey);
    const survivor = await ownerOf(ws, 'user_id', 'acct-1');
    expect(await ownerOf(ws, 'anonymous_id', 'visitor-1')).toBe(survivor);
    // The older profile survives; the other one redirects to it.
    expect(survivor).toBe([anonProfile!, userProfile!].sort()[0]);
    const loser = survivor === anonProfile ? userProfile! : anonProfile!;
    const loserRow = await t.database.db
      .selectFrom('profiles')
      .select('merged_into')
      .where('workspace_id', '=', ws)
      .where('id', '=', loser)
      .executeTakeFirstOrThrow();
    expect(loserRow.merged_into).toBe(survivor);
    // All three events are now on the survivor's timeline.
    const evs = await t.database.db.selectFrom('events').select('profile_id').where('workspace_id', '=', ws).execute();
    expect(evs.map((e) => e.profile_id)).toEqual([survivor, survivor, survivor]);
    const merges = await t.database.db.selectFrom('profile_merges').selectAll().where('workspace_id', '=', ws).execute();
    expect(merges).toHaveLength(1);
    expect(merges[0]).toMatchObject({ kind: 'merge', from_profile_id: loser, into_profile_id: survivor, message_id: 'v3' });
  });

  it('does not merge two logged-in people on a shared device', async () => {
    const { workspaceId: ws, writeKey } = await t.newWorkspace();
    const device = { device: { id: 'family-ipad' } };
    await batch([{ type: 'track', userId: 'dad', event: 'Open', context: device, messageId: 's1' }], writeKey);
    await batch([{ type: 'track', userId: 'kid', event: 'Open', context: device, messageId: 's2' }], writeKey);
    const dad = await ownerOf(ws, 'user_id', 'dad');
    const kid = await ownerOf(ws, 'user_id', 'kid');
    expect(dad).toBeDefined();
    expect(kid).not.toBe(dad);
    const refused = await t.database.db.selectFrom('profile_merges').selectAll().where('workspace_id', '=', ws).where('kind', '=', 'refused').execute();
    expect(refused).toEqual([expect.objectContaining({ id_type: 'device_id', from_profile_id: dad, into_profile_id: kid, message_id: 's2' })]);
    expect(refused[0]!.reason).toMatch(/at most 1 user_id/);
  });

  it('never links profiles through junk values', async () => {
    const { workspaceId: ws, writeKey } = await t.newWorkspace();
    const junk = ['null', 'undefined', '0', 'anonymous', '-1', '00000000-0000-0000-0000-000000000000', ''];
    await batch(
      junk.map((j, i) => ({ type: 'identify', userId: `person-${i}`, messageId: `j${i}`, traits: { email: j, phone: j }, context: { device: { id: j } } })),
      writeKey,
    );
    const profiles = new Set<string>();
    for (let i = 0; i < junk.length; i++) profiles.add((await ownerOf(ws, 'user_id', `person-${i}`))!);
    expect(profiles.size).toBe(junk.length);
    const ids = await t.database.db.selectFrom('identities').select('id_type').where('workspace_id', '=', ws).execute();
    expect(ids.every((r) => r.id_type === 'user_id')).toBe(true);
  });

  it('normalises phones to E.164 (+86 default) and emails to lower case before linking', async () => {
    const { workspaceId: ws, writeKey } = await t.newWorkspace();
    await batch(
      [
        { type: 'identify', userId: 'p1', traits: { phone: '138 0013 8000', email: 'Li.Lei@Example.COM' }, messageId: 'n1' },
        { type: 'identify', anonymousId: 'anon-n', traits: { phone: '+86 138-0013-8000' }, messageId: 'n2' },
        { type: 'identify', anonymousId: 'anon-m', traits: { email: ' li.lei@example.com ' }, messageId: 'n3' },
      ],
      writeKey,
    );
    const p = await ownerOf(ws, 'user_id', 'p1');
    expect(await ownerOf(ws, 'anonymous_id', 'anon-n')).toBe(p);
    expect(await ownerOf(ws, 'anonymous_id', 'anon-m')).toBe(p);
    // PII is stored as a keyed hash plus ciphertext, never in clear.
    const phoneRow = await t.database.db
      .selectFrom('identities')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('id_type', '=', 'phone')
      .executeTakeFirstOrThrow();
    expect(phoneRow.id_key).toBe(await lookupKey(ws, 'phone', '+8613800138000'));
    expect(phoneRow.id_key).not.toContain('138');
    expect((await t.services.cipher.forWorkspace(ws)).decrypt(phoneRow.value_enc!)).toBe('+8613800138000');
    expect(phoneRow.value_enc!.startsWith('v2.1.')).toBe(true);
  });

  it('takes WeChat identifiers from context.externalIds, one openid per app', async () => {
    const { workspaceId: ws, writeKey } = await t.newWorkspace();
    await batch(
      [
        {
          type: 'track',
          event: 'Open',
          anonymousId: 'wx-a',
          context: {
            externalIds: [
              { id: 'UNION-1', type: 'unionid' },
              { id: 'o-app1', type: 'openid:wxapp1' },
            ],
          },
          messageId: 'w1',
        },
        {
          type: 'track',
          event: 'Open',
          anonymousId: 'wx-b',
          context: {
            externalIds: [
              { id: 'UNION-1', type: 'unionid' },
              { id: 'o-app2', type: 'openid:wxapp2' },
            ],
          },
          messageId: 'w2',
        },
      ],
      writeKey,
    );
    const p = await ownerOf(ws, 'unionid', 'UNION-1');
    expect(await ownerOf(ws, 'openid:wxapp1', 'o-app1')).toBe(p);
    expect(await ownerOf(ws, 'openid:wxapp2', 'o-app2')).toBe(p);
    expect(await ownerOf(ws, 'anonymous_id', 'wx-b')).toBe(p);
  });

  it('keeps the newest trait by event timestamp, not arrival order', async () => {
    const { workspaceId: ws, writeKey } = await t.newWorkspace();
    await batch([{ type: 'identify', userId: 'lww', traits: { city: 'Shanghai' }, timestamp: '2026-10-02T00:00:00Z', messageId: 'l2' }], writeKey);
    await batch([{ type: 'identify', userId: 'lww', traits: { city: 'Beijing', age: 30 }, timestamp: '2026-10-01T00:00:00Z', messageId: 'l1' }], writeKey);
    const p = await ownerOf(ws, 'user_id', 'lww');
    const row = await t.database.db.selectFrom('profiles').select('traits').where('workspace_id', '=', ws).where('id', '=', p!).executeTakeFirstOrThrow();
    const traits = typeof row.traits === 'string' ? JSON.parse(row.traits) : row.traits;
    expect(traits).toEqual({ city: 'Shanghai', age: 30 });
  });

  it('property: whatever the arrival order and batching, the same identifiers end up in the same profiles (conflict-free input)', async () => {
    const rules = createRuleBook();
    const id = fc.oneof(
      fc.constantFrom('u0', 'u1', 'u2').map((v) => ['userId', v] as const),
      fc.constantFrom('a0', 'a1', 'a2', 'a3', 'a4').map((v) => ['anonymousId', v] as const),
      fc.constantFrom('13800000000', '13800000001').map((v) => ['phone', v] as const),
    );
    const eventArb = fc.uniqueArray(id, { minLength: 1, maxLength: 3, selector: (x) => x[0] });
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 1, maxLength: 12 }).chain((evs) =>
          fc.tuple(
            fc.constant(evs),
            fc.shuffledSubarray(
              evs.map((_, i) => i),
              { minLength: evs.length, maxLength: evs.length },
            ),
            fc.integer({ min: 1, max: 4 }),
          ),
        ),
        async ([events, order, batchSize]) => {
          const msgs = events.map((ids, i) => {
            const m: Record<string, unknown> = {
              type: 'identify',
              messageId: `p${i}`,
              timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
              traits: {},
            };
            for (const [k, v] of ids) {
              if (k === 'phone') (m.traits as Record<string, string>).phone = v;
              else m[k] = v;
            }
            if (!m.userId && !m.anonymousId) m.anonymousId = `solo-${i}`;
            return m;
          });
          // Skip inputs whose union would give one person two user ids or two phones (conflicts).
          const evIds = msgs.map((m) =>
            normaliseMessage(m, 'x', { receivedAt: Date.now(), rules, defaultRegion: 'CN', currency: 'CNY' }).identifiers.map((i) => `${i.type}:${i.value}`),
          );
          const parent = new Map<string, string>();
          const find = (x: string): string => (parent.get(x) === x ? x : find(parent.get(x)!));
          for (const ids of evIds) {
            for (const k of ids) if (!parent.has(k)) parent.set(k, k);
            for (const k of ids.slice(1)) parent.set(find(k), find(ids[0]!));
          }
          const comps = new Map<string, string[]>();
          for (const k of parent.keys()) comps.set(find(k), [...(comps.get(find(k)) ?? []), k]);
          for (const c of comps.values()) {
            fc.pre(c.filter((k) => k.startsWith('user_id:')).length <= 1 && c.filter((k) => k.startsWith('phone:')).length <= 1);
          }
          const expected = [...comps.values()].map((c) => c.sort().join('|')).sort();

          const ws = await t.newWorkspace();
          const ordered = order.map((i) => msgs[i]!);
          for (let i = 0; i < ordered.length; i += batchSize) {
            const res = await batch(ordered.slice(i, i + batchSize), ws.writeKey);
            expect(res.statusCode).toBe(200);
          }
          const rows = await t.database.db
            .selectFrom('identities')
            .select(['id_type', 'id_key', 'value_enc', 'profile_id'])
            .where('workspace_id', '=', ws.workspaceId)
            .execute();
          const groups = new Map<string, string[]>();
          const cipher = await t.services.cipher.forWorkspace(ws.workspaceId);
          for (const r of rows) {
            const v = r.value_enc ? cipher.decrypt(r.value_enc) : r.id_key;
            groups.set(r.profile_id, [...(groups.get(r.profile_id) ?? []), `${r.id_type}:${v}`]);
          }
          expect([...groups.values()].map((g) => g.sort().join('|')).sort()).toEqual(expected);
          // Every event sits on the live profile of its identifiers.
          const live = await t.database.db
            .selectFrom('events')
            .innerJoin('profiles', (j) => j.onRef('profiles.id', '=', 'events.profile_id').onRef('profiles.workspace_id', '=', 'events.workspace_id'))
            .select('profiles.merged_into')
            .where('events.workspace_id', '=', ws.workspaceId)
            .execute();
          expect(live.every((r) => r.merged_into === null)).toBe(true);
        },
      ),
      { numRuns: engine === 'sqlite' ? 40 : 20 },
    );
  });
});
