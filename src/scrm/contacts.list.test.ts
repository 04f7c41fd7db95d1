import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { startSandbox } from '../../wecom-sandbox/test-helpers.js';
import { createWeComClient } from '../wecom/index.js';
import { scrmDb } from './schema.js';
import { runFullSync } from './sync.service.js';

interface Row {
  externalUserid: string;
  name: string;
  profileId: string;
  following: number;
  followers: {
    userid: string;
    staffName: string | null;
    remark: string | null;
    deletedAt: string | null;
    tags: { id: string; name: string; groupName: string }[];
  }[];
}

describeEngines('WeCom customers and corp tags API', (engine) => {
  let t: TestApp;
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  const get = async (url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.secretKey}` } });
    return { status: res.statusCode, body: res.json() };
  };
  /** Every page of a list, following nextCursor. */
  const all = async (url: string): Promise<Row[]> => {
    const out: Row[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`${url}${url.includes('?') ? '&' : '?'}limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(7);
      out.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    return out;
  };

  beforeAll(async () => {
    t = await createTestApp(engine);
    sandbox = await startSandbox({ seed: 23, staff: 6, customers: 40, groups: 4, resignedStaff: 0, now: t.clock.now });
    const client = createWeComClient({
      baseUrl: sandbox.url,
      corpId: sandbox.sb.credentials.corpId,
      secret: sandbox.sb.credentials.secret,
      sleep: async () => {},
    });
    const sync = { db: t.database.db, dialect: t.database.dialect, writer: t.services.writer, client, workspaceId: t.workspaceId, now: t.clock.now };
    expect((await runFullSync({ ...sync, log: pino({ level: 'silent' }), corpId: sandbox.sb.credentials.corpId })).completed).toBe(true);
  });
  afterAll(async () => {
    await sandbox?.close();
    await t?.close();
  });

  const corp = () => sandbox.sb.corp;
  /** What WeCom says of a customer: who follows them, with which remark and tag ids. */
  const expected = (index: number) =>
    corp()
      .relationsOfCustomer(index)
      .map((id) => {
        const r = corp().relation(id);
        return {
          userid: corp().staff[r.staff]!.userid,
          remark: r.remark || null,
          tags: corp()
            .relationTags(id)
            .map((t) => corp().tags.tags[t]!.id)
            .sort(),
        };
      })
      .sort((a, b) => a.userid.localeCompare(b.userid));

  it('lists every customer once, by external_userid, with each follower, remark and corp tag by name', async () => {
    const rows = await all('/v1/wecom/contacts');
    const ids = Array.from({ length: corp().customerCount }, (_, i) => corp().customer(i).externalUserid);
    expect(rows.map((r) => r.externalUserid)).toEqual([...ids].sort());
    const tagName = new Map(corp().tags.tags.map((tag) => [tag.id, tag.name]));
    for (let i = 0; i < corp().customerCount; i++) {
      const row = rows.find((r) => r.externalUserid === corp().customer(i).externalUserid)!;
      expect(row.name).toBe(corp().customer(i).name);
      expect(row.profileId).toMatch(/^prf_/);
      expect(row.following).toBe(expected(i).length);
      const got = row.followers
        .map((f) => ({ userid: f.userid, remark: f.remark || null, tags: f.tags.map((tag) => tag.id).sort() }))
        .sort((a, b) => a.userid.localeCompare(b.userid));
      expect(got).toEqual(expected(i));
      for (const f of row.followers) {
        expect(f.staffName).toBe(corp().findStaff(f.userid)!.name);
        for (const tag of f.tags) expect(tag.name).toBe(tagName.get(tag.id));
      }
    }
  });

  it('filters by owner, by corp tag, by part of the name, and by whether anyone still follows them', async () => {
    const owner = corp().staff[0]!;
    const mine = await all(`/v1/wecom/contacts?owner=${owner.userid}`);
    expect(mine.map((r) => r.externalUserid).sort()).toEqual(
      corp()
        .relationsOfStaff(owner.index)
        .map((id) => corp().customer(corp().relation(id).customer).externalUserid)
        .sort(),
    );
    // The corp tag on the most relations.
    const counts = new Map<string, number>();
    for (let i = 0; i < corp().customerCount; i++) for (const e of expected(i)) for (const tag of new Set(e.tags)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    const [tag] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    const tagged = await all(`/v1/wecom/contacts?tag=${tag}`);
    const withTag = Array.from({ length: corp().customerCount }, (_, i) => i).filter((i) => expected(i).some((e) => e.tags.includes(tag)));
    expect(tagged.map((r) => r.externalUserid).sort()).toEqual(withTag.map((i) => corp().customer(i).externalUserid).sort());
    expect(tagged.length).toBeGreaterThan(0);

    const someone = corp().customer(3);
    const byName = await all(`/v1/wecom/contacts?q=${encodeURIComponent(someone.name)}`);
    expect(byName.map((r) => r.externalUserid)).toContain(someone.externalUserid);
    expect(byName.every((r) => r.name.includes(someone.name))).toBe(true);

    // The customer's every relation ends (they deleted the staff members): lost, not following.
    const now = t.clock.now();
    await scrmDb(t.database.db)
      .updateTable('scrm_follows')
      .set({ deleted_at: now, deleted_by: 'customer' })
      .where('workspace_id', '=', t.workspaceId)
      .where('external_userid', '=', someone.externalUserid)
      .execute();
    const lost = await all('/v1/wecom/contacts?status=lost');
    expect(lost.map((r) => r.externalUserid)).toEqual([someone.externalUserid]);
    expect(lost[0]!.following).toBe(0);
    expect(lost[0]!.followers.every((f) => f.deletedAt === new Date(now).toISOString())).toBe(true);
    const following = await all('/v1/wecom/contacts?status=following');
    expect(following.length).toBe(corp().customerCount - 1);
    expect(following.map((r) => r.externalUserid)).not.toContain(someone.externalUserid);

    const bad = await get('/v1/wecom/contacts?cursor=nope');
    expect(bad.status).toBe(400);
  });

  it('lists the corp tags by group and name', async () => {
    const tags: { id: string; name: string; groupId: string; groupName: string }[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/v1/wecom/corp-tags?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      tags.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    const live = corp().tags.liveTags();
    expect(tags.map((x) => x.id).sort()).toEqual(live.map((x) => x.id).sort());
    for (const x of tags) {
      const src = live.find((l) => l.id === x.id)!;
      expect(x).toEqual({ id: src.id, name: src.name, groupId: corp().tags.groups[src.groupIndex]!.id, groupName: corp().tags.groups[src.groupIndex]!.name });
    }
    const order = tags.map((x) => [x.groupName, x.name]);
    expect(order).toEqual([...order].sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : 0)));
  });
});
