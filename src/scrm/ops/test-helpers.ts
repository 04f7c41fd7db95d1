/**
 * Test fixtures of the operations features: a full app over a fresh database of one engine, a
 * WeCom sandbox on a free port sharing the app's clock, the workspace connected to it, and
 * helpers that insert SCRM foundation rows (staff, customers with One ID profiles, follows,
 * groups) the way the foundation would.
 */
import { normaliseMessage } from '../../cdp/index.js';
import type { Engine } from '../../platform/db/database.js';
import { basic, createTestApp, type TestApp } from '../../../test/support/engines.js';
import { createSandbox, type Sandbox } from '../../../wecom-sandbox/index.js';
import { type OpsContext, type OpsDb, opsContext } from './context.js';
import { externalIdType } from './timeline.js';

export { basic };

/** The fixture: app, sandbox, context and seeding helpers. */
export interface OpsFixture extends TestApp {
  sandbox: Sandbox;
  ctx: OpsContext;
  db: OpsDb;
  corpId: string;
  /** Bearer header of the workspace's secret key. */
  auth: { authorization: string };
  addStaff(userid: string, opts?: { name?: string; status?: string }): Promise<void>;
  /** A customer with a One ID profile (created through the ingest writer) and an scrm_contacts row; returns the profile id. */
  addCustomer(externalUserid: string, opts?: { name?: string }): Promise<string>;
  addFollow(externalUserid: string, userid: string, opts?: { addedAt?: number; state?: string; tagIds?: string[]; remark?: string }): Promise<void>;
  addGroup(chatId: string, owner: string, opts?: { createdAt?: number; name?: string }): Promise<void>;
  /** Mirrors the sandbox's relation between a member and a customer (so WeCom and Siyu agree). */
  mirrorRelation(
    staffIndex: number,
    customerIndex: number,
    opts?: { addedAt?: number; state?: string },
  ): Promise<{ userid: string; externalUserid: string; profileId: string }>;
}

const START = Date.parse('2026-11-02T00:30:00Z'); // Monday 08:30 in Asia/Shanghai

/** Starts the fixture; close() stops both servers and drops the database. */
export async function startOpsFixture(
  engine: Engine,
  opts: { clockStart?: number; staff?: number; customers?: number; agentId?: string | null } = {},
): Promise<OpsFixture> {
  const t = await createTestApp(engine, { clockStart: opts.clockStart ?? START });
  const corpId = 'wwopsfixture00001';
  const sandbox = createSandbox({
    seed: 7,
    corpId,
    secret: 'ops-secret',
    staff: opts.staff ?? 6,
    customers: opts.customers ?? 40,
    resignedStaff: 1,
    now: () => t.clock.now(),
    rateLimit: false,
  });
  const url = await sandbox.listen();
  const db = t.database.db as unknown as OpsDb;
  const cipher = await t.services.cipher.forWorkspace(t.workspaceId);
  const now = t.clock.now();
  await db
    .insertInto('wecom_apps')
    .values({
      workspace_id: t.workspaceId,
      corp_id: corpId,
      agent_id: opts.agentId === null ? null : (opts.agentId ?? sandbox.credentials.agentId),
      secret_enc: cipher.encrypt(sandbox.credentials.secret),
      callback_token_enc: cipher.encrypt(sandbox.credentials.callbackToken),
      encoding_aes_key_enc: cipher.encrypt(sandbox.credentials.encodingAesKey),
      api_base_url: url,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const ctx = opsContext(t.services.scrm);
  const ws = t.workspaceId;

  const addStaff: OpsFixture['addStaff'] = async (userid, o = {}) => {
    await db
      .insertInto('scrm_staff')
      .values({ workspace_id: ws, userid, name: o.name ?? userid, departments: '[1]', status: o.status ?? 'active', can_follow: 1, updated_at: t.clock.now() })
      .onConflict((oc) => oc.columns(['workspace_id', 'userid']).doNothing())
      .execute();
  };
  const addCustomer: OpsFixture['addCustomer'] = async (externalUserid, o = {}) => {
    const settings = await t.services.writer.settingsFor(ws);
    const event = normaliseMessage(
      {
        type: 'identify',
        messageId: `seed-${externalUserid}`,
        traits: { name: o.name ?? externalUserid },
        context: { externalIds: [{ type: externalIdType(corpId), id: externalUserid }] },
      },
      'seed',
      { receivedAt: t.clock.now(), rules: settings.rules, defaultRegion: 'CN', currency: 'CNY' },
      { traitIdentifiersSuffice: true },
    );
    await t.services.writer.submit(ws, [event]);
    const id = await db
      .selectFrom('identities')
      .select('profile_id')
      .where('workspace_id', '=', ws)
      .where('id_type', '=', externalIdType(corpId))
      .where('id_key', '=', externalUserid)
      .executeTakeFirstOrThrow();
    await db
      .insertInto('scrm_contacts')
      .values({
        workspace_id: ws,
        external_userid: externalUserid,
        profile_id: id.profile_id,
        name: o.name ?? externalUserid,
        type: 1,
        unionid: null,
        avatar: null,
        gender: null,
        corp_name: null,
        created_at: t.clock.now(),
        updated_at: t.clock.now(),
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'external_userid']).doNothing())
      .execute();
    return id.profile_id;
  };
  const addFollow: OpsFixture['addFollow'] = async (externalUserid, userid, o = {}) => {
    await db
      .insertInto('scrm_follows')
      .values({
        workspace_id: ws,
        external_userid: externalUserid,
        userid,
        remark: o.remark ?? null,
        description: null,
        add_way: 1,
        state: o.state ?? null,
        tag_ids: JSON.stringify(o.tagIds ?? []),
        added_at: o.addedAt ?? t.clock.now(),
        deleted_at: null,
        deleted_by: null,
        updated_at: t.clock.now(),
      })
      .execute();
  };
  const addGroup: OpsFixture['addGroup'] = async (chatId, owner, o = {}) => {
    await db
      .insertInto('scrm_groups')
      .values({
        workspace_id: ws,
        chat_id: chatId,
        name: o.name ?? chatId,
        owner,
        notice: null,
        status: 'active',
        member_count: 1,
        created_at: o.createdAt ?? t.clock.now(),
        dismissed_at: null,
        updated_at: t.clock.now(),
      })
      .execute();
  };
  const mirrorRelation: OpsFixture['mirrorRelation'] = async (staffIndex, customerIndex, o = {}) => {
    const { corp } = sandbox;
    const userid = corp.staff[staffIndex]!.userid;
    if (corp.relationBetween(staffIndex, customerIndex) < 0) corp.addRelation(customerIndex, staffIndex, { addWay: 1, state: o.state, byCustomer: true });
    const c = corp.customer(customerIndex);
    await addStaff(userid, { name: corp.staff[staffIndex]!.name, status: corp.staff[staffIndex]!.resigned ? 'resigned' : 'active' });
    const profileId = await addCustomer(c.externalUserid, { name: c.name });
    await addFollow(c.externalUserid, userid, { addedAt: o.addedAt, state: o.state });
    return { userid, externalUserid: c.externalUserid, profileId };
  };

  return {
    ...t,
    sandbox,
    ctx,
    db,
    corpId,
    auth: { authorization: `Bearer ${t.secretKey}` },
    addStaff,
    addCustomer,
    addFollow,
    addGroup,
    mirrorRelation,
    close: async () => {
      await sandbox.close();
      await t.close();
    },
  };
}
