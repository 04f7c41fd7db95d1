import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { startSandbox } from '../../wecom-sandbox/test-helpers.js';
import { createWeComClient } from '../wecom/index.js';
import { scrmDb } from './schema.js';
import { runFullSync } from './sync.service.js';

describeEngines('WeCom staff API', (engine) => {
  let t: TestApp;
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  const auth = () => ({ authorization: `Bearer ${t.secretKey}` });
  const get = async (url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: auth() });
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    t = await createTestApp(engine);
    sandbox = await startSandbox({ seed: 11, staff: 12, customers: 300, groups: 15, resignedStaff: 0, now: t.clock.now });
    const client = createWeComClient({
      baseUrl: sandbox.url,
      corpId: sandbox.sb.credentials.corpId,
      secret: sandbox.sb.credentials.secret,
      sleep: async () => {},
    });
    const db = t.database.db;
    const log = pino({ level: 'silent' });
    const sync = { db, dialect: t.database.dialect, writer: t.services.writer, client, workspaceId: t.workspaceId, now: t.clock.now, log };
    expect((await runFullSync({ ...sync, corpId: sandbox.sb.credentials.corpId })).completed).toBe(true);
    // A member who left since: the next sync marks them so; here the row is marked as it would.
    await scrmDb(db).updateTable('scrm_staff').set({ status: 'resigned' }).where('workspace_id', '=', t.workspaceId).where('userid', '=', userid(11)).execute();
  });
  afterAll(async () => {
    await sandbox?.close();
    await t?.close();
  });

  const userid = (index: number) => sandbox.sb.corp.staff[index]!.userid;
  /** What the sandbox says of a member: their live relations and the active groups they own. */
  const expected = (index: number) => ({
    customers: sandbox.sb.corp.relationsOfStaff(index).length,
    groups: sandbox.sb.state.groups.groups.filter((g) => g.owner === index && !g.dismissed).length,
  });

  it('needs the secret key', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/wecom/staff' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: `/v1/wecom/staff/${userid(0)}` })).statusCode).toBe(401);
  });

  it('lists every member by userid with departments, status and their customer and group counts', async () => {
    const all = await get('/v1/wecom/staff?limit=500');
    expect(all.status).toBe(200);
    expect(all.body.nextCursor).toBeNull();
    const staff = sandbox.sb.corp.staff;
    expect(all.body.data.map((s: any) => s.userid)).toEqual(staff.map((s) => s.userid).sort());
    for (const s of staff) {
      const row = all.body.data.find((r: any) => r.userid === s.userid);
      expect(row).toMatchObject({ name: s.name, departments: s.department, status: s.index === 11 ? 'resigned' : 'active', ...expected(s.index) });
      expect(typeof row.canFollow).toBe('boolean');
    }
    expect(all.body.data.some((r: any) => r.customers > 0)).toBe(true);
    expect(all.body.data.some((r: any) => r.groups > 0)).toBe(true);
  });

  it('pages by cursor without losing or repeating anyone', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { data: { userid: string }[]; nextCursor: string | null } } = await get(
        `/v1/wecom/staff?limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.data.map((s) => s.userid));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(sandbox.sb.corp.staff.map((s) => s.userid).sort());
    const bad = await get('/v1/wecom/staff?cursor=nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('cursor is not a nextCursor returned by this endpoint');
  });

  it('filters by department, status and part of the name or userid', async () => {
    const staff = sandbox.sb.corp.staff;
    const ids = (body: any) => body.data.map((s: any) => s.userid);
    for (const dept of [1, 2, 3, 4]) {
      const want = staff.filter((s) => s.department.includes(dept)).map((s) => s.userid);
      expect(ids((await get(`/v1/wecom/staff?department=${dept}`)).body), `department ${dept}`).toEqual(want.sort());
    }
    // Whole ids only: department 1 does not match a member of 10 and 21.
    const set = (departments: number[]) =>
      scrmDb(t.database.db)
        .updateTable('scrm_staff')
        .set({ departments: JSON.stringify(departments) })
        .where('workspace_id', '=', t.workspaceId)
        .where('userid', '=', userid(5))
        .execute();
    await set([10, 21]);
    expect(ids((await get('/v1/wecom/staff?department=1')).body)).not.toContain(userid(5));
    expect(ids((await get('/v1/wecom/staff?department=21')).body)).toEqual([userid(5)]);
    expect(ids((await get('/v1/wecom/staff?department=10')).body)).toEqual([userid(5)]);
    expect(ids((await get('/v1/wecom/staff?department=2')).body)).not.toContain(userid(5));
    await set(staff[5]!.department);
    expect(ids((await get('/v1/wecom/staff?department=99')).body)).toEqual([]);
    expect(ids((await get('/v1/wecom/staff?status=resigned')).body)).toEqual([userid(11)]);
    expect((await get('/v1/wecom/staff?status=active')).body.data).toHaveLength(11);
    const name = staff[3]!.name;
    expect(ids((await get(`/v1/wecom/staff?name=${encodeURIComponent(name)}`)).body)).toContain(userid(3));
    expect(ids((await get(`/v1/wecom/staff?name=${encodeURIComponent(userid(4))}`)).body)).toEqual([userid(4)]);
    expect(ids((await get('/v1/wecom/staff?name=%25')).body)).toEqual([]);
    expect((await get('/v1/wecom/staff?department=x')).status).toBe(400);
    expect((await get('/v1/wecom/staff?status=gone')).status).toBe(400);
  });

  it('reads one member, and answers 404 with the code for an unknown userid', async () => {
    const one = await get(`/v1/wecom/staff/${userid(2)}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ userid: userid(2), name: sandbox.sb.corp.staff[2]!.name, status: 'active', ...expected(2) });
    const missing = await get('/v1/wecom/staff/nobody');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('SCRM_STAFF_NOT_FOUND');
    const other = await t.newWorkspace('other');
    const isolated = await t.app.inject({ method: 'GET', url: `/v1/wecom/staff/${userid(2)}`, headers: { authorization: `Bearer ${other.secretKey}` } });
    expect(isolated.statusCode).toBe(404);
  });
});
