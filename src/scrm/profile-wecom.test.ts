import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp, createServices, type Services } from '../server/app.js';
import { fixedClock } from '../platform/clock.js';
import { createWorkspace } from '../platform/workspaces.js';
import { basic, describeEngines, openTestDatabase, testConfig } from '../../test/support/engines.js';
import { createWeComClient } from '../wecom/client.js';
import { startSandbox } from '../../wecom-sandbox/test-helpers.js';
import { runFullSync } from './sync.service.js';

const START = Date.UTC(2026, 10, 1, 8, 0, 0);
const log = pino({ level: 'silent' });

// The mirror is written by its real producer, the full sync against the WeCom sandbox; the
// expectations are computed from the sandbox's own state.
describeEngines('GET /v1/profiles/:id/wecom', (engine) => {
  const clock = fixedClock(START);
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let services: Services;
  let app: FastifyInstance;
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let ws: { id: string; secretKey: string; writeKey: string };
  beforeAll(async () => {
    database = await openTestDatabase(engine);
    services = await createServices(testConfig(database.dataDir), { database, clock, log, migrate: false });
    app = await buildApp(services);
    await app.ready();
    sandbox = await startSandbox({ seed: 11, staff: 8, customers: 120, groups: 12, resignedStaff: 0, now: clock.now });
    const created = await createWorkspace(database.db, { name: 'wecom profile' });
    ws = { id: created.workspace.id, secretKey: created.secretKey, writeKey: created.writeKey };
    const client = createWeComClient({
      baseUrl: sandbox.url,
      corpId: sandbox.sb.credentials.corpId,
      secret: sandbox.sb.credentials.secret,
      now: clock.now,
      sleep: async () => {},
    });
    const result = await runFullSync({
      db: database.db,
      dialect: database.dialect,
      writer: services.writer,
      client,
      workspaceId: ws.id,
      corpId: sandbox.sb.credentials.corpId,
      now: clock.now,
      log,
      contactsPerChunk: 500,
      groupsPerPage: 10,
    });
    expect(result.completed).toBe(true);
    await services.writer.drain();
  });
  afterAll(async () => {
    await app?.close();
    await sandbox?.close();
    await services?.writer.drain();
    await database?.close();
  });

  const get = async (url: string, status = 200) => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ws.secretKey}` } });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(status);
    return res.json();
  };

  it("answers a customer's staff, owner first, and the groups they are in", async () => {
    const { corp, state } = sandbox.sb;
    const groupsOf = (c: number) => state.groups.groups.filter((g) => !g.dismissed && Array.from(g.members).includes(c));
    // A customer followed by two or more members and in at least one group.
    const customer = Array.from({ length: 120 }, (_, i) => i).find((c) => corp.relationsOfCustomer(c).length >= 2 && groupsOf(c).length > 0);
    expect(customer, 'the sandbox seed has such a customer').toBeDefined();
    const c = customer!;
    const ext = corp.externalUserid(c);
    const contact = (await get(`/v1/wecom/contacts?q=${ext}`)).data[0];
    expect(contact.externalUserid).toBe(ext);

    const answer = await get(`/v1/profiles/${contact.profileId}/wecom`);
    expect(answer.profileId).toBe(contact.profileId);
    expect(answer.contacts).toEqual([expect.objectContaining({ externalUserid: ext, name: corp.customer(c).name })]);

    const relations = corp
      .relationsOfCustomer(c)
      .map((r) => corp.relation(r))
      .map((r) => ({ userid: corp.staff[r.staff]!.userid, name: corp.staff[r.staff]!.name, addedAt: new Date(r.createTime * 1000).toISOString() }))
      .sort((a, b) => a.addedAt.localeCompare(b.addedAt) || a.userid.localeCompare(b.userid));
    expect(
      answer.staff.map((s: { userid: string; staffName: string; addedAt: string }) => ({ userid: s.userid, name: s.staffName, addedAt: s.addedAt })),
    ).toEqual(relations);
    expect(answer.staff.map((s: { owner: boolean }) => s.owner)).toEqual(relations.map((_, i) => i === 0));

    const groups = groupsOf(c);
    expect(answer.groups.map((g: { chatId: string }) => g.chatId).sort()).toEqual(groups.map((g) => g.chatId).sort());
    for (const g of answer.groups) {
      const want = groups.find((x) => x.chatId === g.chatId)!;
      expect(g).toMatchObject({
        name: want.name,
        owner: corp.staff[want.owner]!.userid,
        ownerName: corp.staff[want.owner]!.name,
        status: 'active',
        externalUserid: ext,
        quitAt: null,
      });
    }
  });

  it('answers empty lists for a profile WeCom does not know, and 404 for no profile', async () => {
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basic(ws.writeKey) },
      payload: { batch: [{ type: 'identify', userId: 'web-only', traits: { name: 'Web' } }] },
    });
    expect(batch.statusCode, batch.body).toBe(200);
    await services.writer.drain();
    expect(await get('/v1/profiles/user_id:web-only/wecom')).toMatchObject({ contacts: [], staff: [], groups: [] });
    expect((await get('/v1/profiles/prf_nobody/wecom', 404)).error.code).toBe('PROFILE_NOT_FOUND');
  });
});
