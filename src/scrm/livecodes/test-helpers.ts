import { afterEach, beforeEach } from 'vitest';
import type { Engine } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import { createTestApp, type TestApp } from '../../../test/support/engines.js';
import { createSandbox, type Sandbox } from '../../../wecom-sandbox/server.js';
import { applyScenario, type CallbackScenario } from '../../../wecom-sandbox/scenarios.js';
import type { ScrmEvent, ScrmListener } from '../events.js';
import { liveDb, liveDepsOf, type LiveDeps } from './context.js';

/** A test app and a WeCom sandbox on one clock, the workspace connected to the sandbox; for tests. */
export interface LiveHarness {
  t: TestApp;
  sb: Sandbox;
  deps: LiveDeps;
  auth: { authorization: string };
  close(): Promise<void>;
}

/** Starts the app (engine) and a sandbox sharing its clock, and stores the workspace's WeCom connection. */
export async function startLiveHarness(
  engine: Engine,
  opts: { staff?: number; customers?: number; groups?: number; clockStart?: number } = {},
): Promise<LiveHarness> {
  const t = await createTestApp(engine, { clockStart: opts.clockStart ?? Date.parse('2026-11-02T01:00:00Z') });
  const sb = createSandbox({
    seed: 7,
    corpId: 'wwlivecodetest001',
    secret: 'live-secret',
    staff: opts.staff ?? 5,
    resignedStaff: 0,
    customers: opts.customers ?? 40,
    groups: opts.groups ?? 4,
    now: t.clock.now,
    rateLimit: false,
  });
  const url = await sb.listen();
  const s = t.services;
  const cipher = await s.cipher.forWorkspace(t.workspaceId);
  await liveDb({ db: s.database.db })
    .insertInto('wecom_apps')
    .values({
      workspace_id: t.workspaceId,
      corp_id: sb.credentials.corpId,
      agent_id: null,
      secret_enc: cipher.encrypt(sb.credentials.secret),
      callback_token_enc: cipher.encrypt(sb.credentials.callbackToken),
      encoding_aes_key_enc: cipher.encrypt(sb.credentials.encodingAesKey),
      api_base_url: url,
      created_at: t.clock.now(),
      updated_at: t.clock.now(),
    })
    .execute();
  return {
    t,
    sb,
    deps: liveDepsOf(s.scrm),
    auth: { authorization: `Bearer ${t.secretKey}` },
    close: async () => {
      await sb.close();
      await t.close();
    },
  };
}

/** A harness with the userids of the sandbox's active staff, in order. */
export interface LiveTestHarness extends LiveHarness {
  staff: string[];
}

/**
 * Gives each test of the enclosing describe block a fresh harness: started before the test,
 * closed after it. The object returned is the same throughout, refilled before each test, so read
 * its fields inside tests and hooks, not while the block is being defined.
 */
export function useLiveHarness(engine: Engine, opts?: Parameters<typeof startLiveHarness>[1]): LiveTestHarness {
  const current = {} as LiveTestHarness;
  beforeEach(async () => {
    const h = await startLiveHarness(engine, opts);
    Object.assign(current, h, { staff: h.sb.corp.activeStaff().map((s) => s.userid) });
  });
  afterEach(() => current.close());
  return current;
}

/** Inserts a bare profile (what One ID resolution would have made for a new contact). */
export async function insertProfile(h: LiveHarness, id: string): Promise<void> {
  const now = h.t.clock.now();
  await h.t.database.db
    .insertInto('profiles')
    .values({
      workspace_id: h.t.workspaceId,
      id,
      merged_into: null,
      traits: '{}',
      trait_times: '{}',
      consent: '{}',
      first_seen_at: now,
      last_seen_at: now,
      order_count: 0,
      total_spent_fen: 0,
      first_purchase_at: null,
      last_purchase_at: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'id']).doNothing())
    .execute();
}

/**
 * A customer scans a contact way in the sandbox: the sandbox makes the relation and a
 * WelcomeCode, and we build the `contact.added` event the callback processor would publish.
 */
export async function scanContactWay(
  h: LiveHarness,
  spec: Omit<Extract<CallbackScenario, { scenario: 'add-contact' }>, 'scenario'>,
  extra: { contactName?: string } = {},
): Promise<Extract<ScrmEvent, { type: 'contact.added' }>> {
  const applied = applyScenario(h.sb.state, { scenario: 'add-contact', ...spec });
  const f = applied.fields;
  const externalUserid = String(f.ExternalUserID);
  const profileId = newId('prf', h.t.clock.now());
  await insertProfile(h, profileId);
  return {
    type: 'contact.added',
    workspaceId: h.t.workspaceId,
    userid: String(f.UserID),
    externalUserid,
    profileId,
    state: f.State === undefined ? undefined : String(f.State),
    welcomeCode: applied.welcomeCode,
    contactName: extra.contactName,
    at: h.t.clock.now(),
  };
}

/** Delivers an event to a listener with the harness's context. */
export function deliver(h: LiveHarness, listener: ScrmListener, event: ScrmEvent, deps: LiveDeps = h.deps): Promise<void> {
  return listener(event, deps);
}

/**
 * Mirrors one sandbox group into `scrm_groups` / `scrm_group_members` the way the callback
 * processor does (read groupchat/get, record joins, mark quits and dismissal), so these tests do
 * not depend on the processor. Quits get `quitScene`.
 */
export async function mirrorGroup(h: LiveHarness, chatId: string, quitScene = 0): Promise<void> {
  const db = liveDb(h.deps);
  const ws = h.t.workspaceId;
  const now = h.t.clock.now();
  const client = await h.deps.clientFor(ws);
  const live = h.sb.state.groups.find(chatId);
  const existing = await db.selectFrom('scrm_groups').selectAll().where('workspace_id', '=', ws).where('chat_id', '=', chatId).executeTakeFirst();
  if (!live) {
    if (existing)
      await db
        .updateTable('scrm_groups')
        .set({ status: 'dismissed', dismissed_at: now, updated_at: now })
        .where('workspace_id', '=', ws)
        .where('chat_id', '=', chatId)
        .execute();
    return;
  }
  const g = (await client.getGroupChat(chatId)).group_chat;
  const row = {
    name: g.name,
    owner: g.owner,
    notice: g.notice ?? null,
    status: 'active',
    member_count: g.member_list.length,
    dismissed_at: null,
    updated_at: now,
  };
  if (existing) await db.updateTable('scrm_groups').set(row).where('workspace_id', '=', ws).where('chat_id', '=', chatId).execute();
  else
    await db
      .insertInto('scrm_groups')
      .values({ workspace_id: ws, chat_id: chatId, created_at: g.create_time * 1000, ...row })
      .execute();
  const present = new Set(g.member_list.map((m) => m.userid));
  for (const m of g.member_list) {
    await db
      .insertInto('scrm_group_members')
      .values({
        workspace_id: ws,
        chat_id: chatId,
        member_id: m.userid,
        type: m.type,
        unionid: m.unionid ?? null,
        join_time: m.join_time * 1000,
        join_scene: m.join_scene,
        invitor: m.invitor?.userid ?? null,
        quit_at: null,
        quit_scene: null,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'chat_id', 'member_id']).doNothing())
      .execute();
  }
  const members = await db
    .selectFrom('scrm_group_members')
    .select('member_id')
    .where('workspace_id', '=', ws)
    .where('chat_id', '=', chatId)
    .where('quit_at', 'is', null)
    .execute();
  for (const m of members.filter((x) => !present.has(x.member_id))) {
    await db
      .updateTable('scrm_group_members')
      .set({ quit_at: now, quit_scene: quitScene, updated_at: now })
      .where('workspace_id', '=', ws)
      .where('chat_id', '=', chatId)
      .where('member_id', '=', m.member_id)
      .execute();
  }
}
