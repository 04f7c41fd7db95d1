import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServices, type Services } from '../server/app.js';
import { createRuleBook } from '../cdp/identifiers.js';
import { normaliseMessage } from '../cdp/tracking.js';
import { fixedClock } from '../platform/clock.js';
import type { Engine } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { createWorkspace } from '../platform/workspaces.js';
import { describeEngines, openTestDatabase, testConfig } from '../../test/support/engines.js';
import { createWeComClient, type WeComClient } from '../wecom/client.js';
import { startSandbox } from '../../wecom-sandbox/test-helpers.js';
import { SYNC_LEASE, SYNC_LEASE_MS, SYNC_STATE } from './sync.repo.js';
import { runFullSync, type FullSyncDeps, type SyncProgress } from './sync.service.js';

const START = Date.UTC(2026, 10, 1, 8, 0, 0);
const log = pino({ level: 'silent' });

describeEngines('WeCom full sync', (engine: Engine) => {
  const clock = fixedClock(START);
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let services: Services;
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let client: WeComClient;

  beforeAll(async () => {
    database = await openTestDatabase(engine);
    services = await createServices(testConfig(database.dataDir), { database, clock, log, migrate: false });
    sandbox = await startSandbox({ seed: 7, staff: 20, customers: 2000, groups: 30, now: clock.now });
    client = createWeComClient({
      baseUrl: sandbox.url,
      corpId: sandbox.sb.credentials.corpId,
      secret: sandbox.sb.credentials.secret,
      now: clock.now,
      sleep: async () => {},
    });
  });
  afterAll(async () => {
    await sandbox?.close();
    await services?.writer.drain();
    await database?.close();
  });

  const corpId = () => sandbox.sb.credentials.corpId;
  const db = () => database.db as any;
  const newWorkspace = async () => (await createWorkspace(database.db, { name: 'wecom' })).workspace.id;
  const deps = (workspaceId: string, over: Partial<FullSyncDeps> = {}): FullSyncDeps => ({
    db: database.db,
    dialect: database.dialect,
    writer: services.writer,
    client,
    workspaceId,
    corpId: corpId(),
    now: clock.now,
    log,
    contactsPerChunk: 500,
    groupsPerPage: 10,
    ...over,
  });

  /** What the sandbox holds now, computed from its own state. */
  function expected() {
    const { corp, state } = sandbox.sb;
    const active = corp.activeStaff();
    const relations = active.flatMap((s) => corp.relationsOfStaff(s.index));
    const customers = new Set(relations.map((r) => corp.customerOf(r)));
    const groups = state.groups.groups.filter((g) => !g.dismissed);
    return {
      staff: active.length,
      tags: corp.tags.liveTags().length,
      relations: relations.length,
      customers: customers.size,
      groups: groups.length,
      groupMembers: groups.reduce((n, g) => n + g.members.length, 0),
    };
  }

  const count = async (table: string, ws: string, where: (q: any) => any = (q) => q) =>
    Number((await where(db().selectFrom(table).select(db().fn.countAll().as('n')).where('workspace_id', '=', ws)).executeTakeFirstOrThrow()).n);

  /** A client whose calls are counted (and whose batch/get_by_user may fail or wait). */
  function instrumented(opts: { failAfterPages?: number; gate?: Promise<void>; entered?: () => void } = {}) {
    const calls = { staff: 0, follow: 0, names: 0, tags: 0, pages: 0, groupLists: 0, groupGets: 0, firstCursor: undefined as string | undefined | null };
    const wrapped: WeComClient = {
      ...client,
      async *iterateUserIds(pageSize?: number) {
        calls.staff++;
        yield* client.iterateUserIds(pageSize);
      },
      getFollowUserList: () => (calls.follow++, client.getFollowUserList()),
      request: ((spec: any) => (calls.names++, client.request(spec))) as WeComClient['request'],
      getCorpTagList: (req) => (calls.tags++, client.getCorpTagList(req)),
      batchGetByUser: async (req) => {
        if (calls.firstCursor === undefined) calls.firstCursor = req.cursor ?? null;
        calls.pages++;
        if (opts.gate && calls.pages === 1) {
          opts.entered?.();
          await opts.gate;
        }
        if (opts.failAfterPages !== undefined && calls.pages > opts.failAfterPages) throw new Error('network gone (test)');
        return client.batchGetByUser(req);
      },
      listGroupChats: (req) => (calls.groupLists++, client.listGroupChats(req)),
      getGroupChat: (id, needName) => (calls.groupGets++, client.getGroupChat(id, needName)),
    };
    return { client: wrapped, calls };
  }

  it('mirrors staff, tags, contacts with relations, and groups, each contact on a One ID profile', async () => {
    const ws = await newWorkspace();
    // A member identified earlier by unionid (e.g. from the mini program): the WeCom contact must join this profile.
    const corp = sandbox.sb.corp;
    const withUnion = Array.from({ length: 200 }, (_, i) => corp.customer(i)).find(
      (c) => c.unionid && corp.relationsOfCustomer(c.index).some((r) => !corp.staff[corp.staffOf(r)].resigned),
    )!;
    const ev = normaliseMessage({ type: 'identify', userId: 'member-42', traits: { unionid: withUnion.unionid, plan: 'gold' }, messageId: 'pre-1' }, 'pre', {
      receivedAt: START,
      rules: createRuleBook(),
      defaultRegion: 'CN',
      currency: 'CNY',
    });
    await services.writer.submit(ws, [ev]);
    const before = await db()
      .selectFrom('identities')
      .select('profile_id')
      .where('workspace_id', '=', ws)
      .where('id_type', '=', 'unionid')
      .executeTakeFirstOrThrow();

    const progress: SyncProgress[] = [];
    const result = await runFullSync(deps(ws, { onProgress: (p) => progress.push(p) }));
    const want = expected();

    expect(result).toMatchObject({
      completed: true,
      resumed: false,
      phasesRun: ['staff', 'tags', 'contacts', 'groups'],
      staff: want.staff,
      tags: want.tags,
      relations: want.relations,
      contacts: want.customers,
      groups: want.groups,
      groupMembers: want.groupMembers,
      events: want.customers,
      unresolved: 0,
      vanishedFollows: 0,
    });
    expect(await count('scrm_staff', ws)).toBe(want.staff);
    expect(await count('scrm_staff', ws, (q) => q.where('can_follow', '=', 1))).toBe(want.staff);
    const someone = corp.activeStaff()[3]!;
    expect(
      await db()
        .selectFrom('scrm_staff')
        .select(['name', 'departments'])
        .where('workspace_id', '=', ws)
        .where('userid', '=', someone.userid)
        .executeTakeFirst(),
    ).toMatchObject({ name: someone.name });
    expect(await count('scrm_corp_tags', ws, (q) => q.where('deleted_at', 'is', null))).toBe(want.tags);
    expect(await count('scrm_contacts', ws)).toBe(want.customers);
    expect(await count('scrm_follows', ws, (q) => q.where('deleted_at', 'is', null))).toBe(want.relations);
    expect(await count('scrm_groups', ws, (q) => q.where('status', '=', 'active'))).toBe(want.groups);
    expect(await count('scrm_group_members', ws)).toBe(want.groupMembers);

    // A relation as WeCom holds it.
    const rel = corp.relation(corp.relationsOfStaff(someone.index)[0]!);
    const follow = await db()
      .selectFrom('scrm_follows')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('external_userid', '=', corp.externalUserid(rel.customer))
      .where('userid', '=', someone.userid)
      .executeTakeFirstOrThrow();
    expect(follow).toMatchObject({
      remark: rel.remark || null,
      add_way: rel.addWay,
      state: rel.state || null,
      added_at: rel.createTime * 1000,
      deleted_at: null,
    });
    const tagIds = typeof follow.tag_ids === 'string' ? JSON.parse(follow.tag_ids) : follow.tag_ids;
    expect(tagIds).toEqual(corp.relationTags(rel.id).map((t) => corp.tags.tags[t]!.id));

    // One ID: every contact's profile holds its external_userid (and unionid when WeCom gives one).
    const contacts = await db().selectFrom('scrm_contacts').select(['external_userid', 'profile_id', 'unionid']).where('workspace_id', '=', ws).execute();
    const ids = await db().selectFrom('identities').select(['id_type', 'id_key', 'profile_id']).where('workspace_id', '=', ws).execute();
    const owner = new Map(ids.map((i: any) => [`${i.id_type}|${i.id_key}`, i.profile_id]));
    for (const c of contacts) {
      expect(owner.get(`external_userid:${corpId()}|${c.external_userid}`)).toBe(c.profile_id);
      if (c.unionid) expect(owner.get(`unionid|${c.unionid}`)).toBe(c.profile_id);
    }
    expect(contacts.filter((c: any) => c.unionid).length).toBeGreaterThan(want.customers / 2);
    // The contact whose unionid was already known joined that profile instead of making a new one.
    const joined = contacts.find((c: any) => c.external_userid === withUnion.externalUserid);
    expect(joined.profile_id).toBe(before.profile_id);
    const profile = await db()
      .selectFrom('profiles')
      .select('traits')
      .where('workspace_id', '=', ws)
      .where('id', '=', before.profile_id)
      .executeTakeFirstOrThrow();
    const traits = typeof profile.traits === 'string' ? JSON.parse(profile.traits) : profile.traits;
    expect(traits).toMatchObject({ plan: 'gold', name: withUnion.name, avatar: withUnion.avatar });
    expect(await count('profiles', ws)).toBe(want.customers);

    // Progress went through every phase; the contacts phase counted up to every relation.
    expect([...new Set(progress.map((p) => p.phase))]).toEqual(['staff', 'tags', 'contacts', 'groups']);
    expect(progress.filter((p) => p.phase === 'contacts').at(-1)!.done).toBe(want.relations);
    expect(await db().selectFrom('job_state').select('name').where('workspace_id', '=', ws).where('name', '=', SYNC_LEASE).execute()).toEqual([]);

    // Re-run with no change in WeCom: nothing new, nothing duplicated.
    const events = await count('events', ws);
    clock.advance(60_000);
    const again = await runFullSync(deps(ws));
    expect(again).toMatchObject({
      completed: true,
      resumed: false,
      events: 0,
      relations: want.relations,
      contacts: want.customers,
      vanishedFollows: 0,
      dismissedGroups: 0,
      deletedTags: 0,
    });
    expect(again.runId).not.toBe(result.runId);
    expect(await count('events', ws)).toBe(events);
    expect(await count('profiles', ws)).toBe(want.customers);
    expect(await count('scrm_contacts', ws)).toBe(want.customers);
    expect(await count('scrm_follows', ws)).toBe(want.relations);
    expect(await count('scrm_group_members', ws)).toBe(want.groupMembers);

    // Changes in WeCom since: a relation ended (its callback was missed), a group dismissed, a tag deleted, a remark edited.
    const ended = corp.relationsOfStaff(someone.index)[1]!;
    corp.removeRelation(ended);
    const gone = sandbox.sb.state.groups.groups[2]!;
    gone.dismissed = true;
    const deletedTag = corp.tags.liveTags()[0]!;
    deletedTag.deleted = true;
    const edited = corp.relationsOfStaff(someone.index)[2]!;
    corp.setRemark(edited, { remark: 'edited in WeCom' });
    clock.advance(60_000);
    const third = await runFullSync(deps(ws));
    expect(third).toMatchObject({ completed: true, vanishedFollows: 1, dismissedGroups: 1, deletedTags: 1, events: 0 });
    const endedRow = await db()
      .selectFrom('scrm_follows')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('external_userid', '=', corp.externalUserid(corp.customerOf(ended)))
      .where('userid', '=', someone.userid)
      .executeTakeFirstOrThrow();
    expect(endedRow).toMatchObject({ deleted_at: clock.now(), deleted_by: 'sync' });
    expect(await count('scrm_follows', ws, (q) => q.where('deleted_at', 'is', null))).toBe(expected().relations);
    expect(
      await db()
        .selectFrom('scrm_groups')
        .select(['status', 'dismissed_at'])
        .where('workspace_id', '=', ws)
        .where('chat_id', '=', gone.chatId)
        .executeTakeFirst(),
    ).toEqual({ status: 'dismissed', dismissed_at: clock.now() });
    expect(
      await db().selectFrom('scrm_corp_tags').select('deleted_at').where('workspace_id', '=', ws).where('tag_id', '=', deletedTag.id).executeTakeFirst(),
    ).toEqual({ deleted_at: clock.now() });
    const editedRow = await db()
      .selectFrom('scrm_follows')
      .select('remark')
      .where('workspace_id', '=', ws)
      .where('external_userid', '=', corp.externalUserid(corp.customerOf(edited)))
      .where('userid', '=', someone.userid)
      .executeTakeFirstOrThrow();
    expect(editedRow.remark).toBe('edited in WeCom');
    deletedTag.deleted = false;
  });

  it('resumes an interrupted sync from its checkpoint without redoing finished phases or storing events twice', async () => {
    const ws = await newWorkspace();
    const want = expected();
    clock.advance(1000);
    // 500 relations a chunk = 5 pages; the 8th page fails, so one chunk is committed and the second is lost.
    const broken = instrumented({ failAfterPages: 7 });
    await expect(runFullSync(deps(ws, { client: broken.client }))).rejects.toThrow('network gone (test)');
    const saved = await db().selectFrom('job_state').select('value').where('workspace_id', '=', ws).where('name', '=', SYNC_STATE).executeTakeFirstOrThrow();
    const cp = typeof saved.value === 'string' ? JSON.parse(saved.value) : saved.value;
    expect(cp.phase).toBe('contacts');
    expect(cp.counts.relations).toBe(500);
    expect(cp.contacts.cursor).toEqual(expect.any(String));
    expect(await count('scrm_follows', ws)).toBe(500);
    expect(await count('scrm_staff', ws)).toBe(want.staff);

    clock.advance(1000);
    const resumed = instrumented();
    const result = await runFullSync(deps(ws, { client: resumed.client }));
    expect(result).toMatchObject({
      completed: true,
      resumed: true,
      runId: cp.runId,
      phasesRun: ['contacts', 'groups'],
      relations: want.relations,
      contacts: want.customers,
      staff: want.staff,
      groups: want.groups,
      unresolved: 0,
    });
    // Staff and tags were not fetched again; the contacts phase started at the saved cursor.
    expect(resumed.calls).toMatchObject({ staff: 0, follow: 0, names: 0, tags: 0, firstCursor: cp.contacts.cursor });
    expect(resumed.calls.pages).toBe(Math.ceil(want.relations / 100) - 5);
    // Each contact has exactly one identify event and one profile, chunks replayed or not.
    expect(await count('events', ws)).toBe(want.customers);
    expect(result.events).toBe(want.customers);
    expect(await count('profiles', ws)).toBe(want.customers);
    expect(await count('scrm_contacts', ws)).toBe(want.customers);
    expect(await count('scrm_follows', ws)).toBe(want.relations);

    // Once done, the next call is a new sync.
    clock.advance(1000);
    const next = await runFullSync(deps(ws));
    expect(next).toMatchObject({ resumed: false, events: 0 });
    expect(next.runId).not.toBe(cp.runId);
  });

  it('reads a batch again from its start when WeCom refuses the saved cursor after a crash', async () => {
    const ws = await newWorkspace();
    const want = expected();
    clock.advance(1000);
    await expect(runFullSync(deps(ws, { client: instrumented({ failAfterPages: 7 }).client }))).rejects.toThrow('network gone (test)');
    // The cursor expired in WeCom while the sync was down.
    const saved = await db().selectFrom('job_state').select('value').where('workspace_id', '=', ws).where('name', '=', SYNC_STATE).executeTakeFirstOrThrow();
    const cp = typeof saved.value === 'string' ? JSON.parse(saved.value) : saved.value;
    cp.contacts.cursor = 'bm90IG91cnM';
    await db()
      .updateTable('job_state')
      .set({ value: JSON.stringify(cp) })
      .where('workspace_id', '=', ws)
      .where('name', '=', SYNC_STATE)
      .execute();
    clock.advance(1000);
    const again = instrumented();
    const result = await runFullSync(deps(ws, { client: again.client }));
    expect(again.calls.firstCursor).toBe('bm90IG91cnM');
    expect(result).toMatchObject({ completed: true, resumed: true, contacts: want.customers, events: want.customers, relations: want.relations + 500 });
    expect(await count('events', ws)).toBe(want.customers);
    expect(await count('scrm_follows', ws, (q) => q.where('deleted_at', 'is', null))).toBe(want.relations);
  });

  it('refuses a second sync of the workspace while one runs, and takes over the lease of a dead one', async () => {
    const ws = await newWorkspace();
    let open!: () => void;
    let entered!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const inside = new Promise<void>((r) => (entered = r));
    const first = runFullSync(deps(ws, { client: instrumented({ gate, entered }).client }));
    await inside;
    const second = await runFullSync(deps(ws)).catch((e) => e);
    expect(second).toBeInstanceOf(AppError);
    expect(second.code).toBe('WECOM_SYNC_RUNNING');
    open();
    expect((await first).completed).toBe(true);

    // A sync killed with -9 leaves its lease; it blocks until SYNC_LEASE_MS have passed without renewal.
    await db()
      .insertInto('job_state')
      .values({ workspace_id: ws, name: SYNC_LEASE, value: JSON.stringify({ token: 'dead', startedAt: 'then' }), updated_at: clock.now() })
      .execute();
    await expect(runFullSync(deps(ws))).rejects.toMatchObject({ code: 'WECOM_SYNC_RUNNING' });
    clock.advance(SYNC_LEASE_MS + 1);
    expect((await runFullSync(deps(ws))).completed).toBe(true);
  });

  it('stops between chunks when signalled and resumes later', async () => {
    const ws = await newWorkspace();
    const want = expected();
    clock.advance(1000);
    const ctrl = new AbortController();
    const stopped = await runFullSync(deps(ws, { signal: ctrl.signal, onProgress: (p) => p.phase === 'contacts' && ctrl.abort() }));
    expect(stopped).toMatchObject({ completed: false, relations: 500, phasesRun: ['staff', 'tags', 'contacts'] });
    const done = await runFullSync(deps(ws));
    // Contacts identified after the stop was asked for (the next chunk was being resolved) are counted once.
    expect(done).toMatchObject({ completed: true, resumed: true, relations: want.relations, contacts: want.customers, events: want.customers });
    expect(await count('events', ws)).toBe(want.customers);
  });
});
