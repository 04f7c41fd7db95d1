import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { type OpsFixture, startOpsFixture } from './ops/test-helpers.js';

/** The 200 schema of a GET operation in the OpenAPI document. */
type Schema = { type?: string | string[]; nullable?: boolean; properties?: Record<string, Schema>; required?: string[]; items?: Schema };

describe('SCRM lists: one shape, { data, nextCursor }', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(() => t?.close());

  it('every /v1/wecom GET answering a list declares data and nextCursor, both required, and nothing answers items', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const lists: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      if (!path.startsWith('/v1/wecom') || !ops.get) continue;
      const schema: Schema | undefined = ops.get.responses?.['200']?.content?.['application/json']?.schema;
      const props = schema?.properties ?? {};
      expect(Object.keys(props), path).not.toContain('items');
      if (props.data?.type !== 'array') continue;
      lists.push(path);
      // The OpenAPI 3.0 document writes a nullable string as { type: 'string', nullable: true }.
      expect(props.nextCursor, path).toMatchObject({ type: 'string', nullable: true });
      expect(schema!.required, path).toEqual(expect.arrayContaining(['data', 'nextCursor']));
      // A list that can grow takes a cursor (the ranked recommendations are cut at `limit`).
      if (!path.endsWith('/recommendations')) {
        const query = (ops.get.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => p.name);
        expect(query, path).toEqual(expect.arrayContaining(['limit', 'cursor']));
      }
    }
    expect(lists).toEqual(
      expect.arrayContaining([
        '/v1/wecom/groups',
        '/v1/wecom/group-tags',
        '/v1/wecom/live-codes',
        '/v1/wecom/live-codes/{id}/adds',
        '/v1/wecom/group-codes',
        '/v1/wecom/staff',
        '/v1/wecom/sops',
        '/v1/wecom/tasks',
        '/v1/wecom/alerts',
        '/v1/wecom/handovers',
        '/v1/wecom/sensitive-words',
        '/v1/wecom/snippets',
        '/v1/wecom/workbench-rules',
        '/v1/wecom/unassigned',
        '/v1/wecom/staff/{userid}/customers',
        '/v1/wecom/staff/{userid}/recommendations',
      ]),
    );
  });
});

describeEngines('SCRM lists page by cursor without losing or repeating rows', (engine) => {
  let f: OpsFixture;
  const T = Date.parse('2026-11-01T00:00:00Z');
  beforeAll(async () => {
    f = await startOpsFixture(engine);
  });
  afterAll(() => f?.close());

  const get = async (url: string) => {
    const res = await f.app.inject({ method: 'GET', url, headers: f.auth });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.json() as { data: Record<string, unknown>[]; nextCursor: string | null };
  };

  /** Every row of a list, walked `limit` at a time; checks it equals the list read in one page. */
  async function walk(url: string, limit: number, key: (r: Record<string, unknown>) => unknown): Promise<unknown[]> {
    const join = url.includes('?') ? '&' : '?';
    const whole = await get(`${url}${join}limit=500`);
    expect(whole.nextCursor).toBeNull();
    const seen: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(`${url}${join}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(limit);
      seen.push(...page.data.map(key));
      cursor = page.nextCursor;
      if (++pages > 100) throw new Error(`${url}: no last page`);
    } while (cursor);
    expect(seen, url).toEqual(whole.data.map(key));
    expect(pages).toBeGreaterThan(1);
    return seen;
  }

  it('alerts, handovers, SOPs, snippets, sensitive words and workbench rules: rows of one time page apart in order', async () => {
    const ws = f.workspaceId;
    const ids = (p: string) => Array.from({ length: 7 }, (_, i) => `${p}_${i}`);
    // Same timestamps on purpose: the cursor must tell rows of one millisecond apart.
    const at = (i: number) => T + Math.floor(i / 3) * 1000;
    await f.db
      .insertInto('scrm_alerts')
      .values(
        ids('alr').map((id, i) => ({
          workspace_id: ws,
          id,
          kind: 'keyword',
          dedup_key: id,
          userid: 'u1',
          external_userid: null,
          profile_id: null,
          word: 'w',
          excerpt: null,
          msgid: null,
          notify_status: null,
          status: 'open',
          at: at(i),
          acked_at: null,
          created_at: at(i),
        })),
      )
      .execute();
    await f.db
      .insertInto('scrm_handovers')
      .values(
        ids('hov').map((id, i) => ({
          workspace_id: ws,
          id,
          batch_id: 'b1',
          kind: 'in_service',
          from_userid: 'u1',
          to_userid: 'u2',
          external_userid: `wm${i}`,
          status: 'waiting',
          errcode: null,
          wecom_status: null,
          reason: null,
          takeover_at: null,
          created_at: at(i),
          updated_at: at(i),
        })),
      )
      .execute();
    await f.db
      .insertInto('scrm_sops')
      .values(
        ids('sop').map((id, i) => ({
          workspace_id: ws,
          id,
          name: id,
          status: 'active',
          target: JSON.stringify({ type: 'customers', newContacts: true }),
          steps: '[]',
          created_at: at(i),
          updated_at: at(i),
        })),
      )
      .execute();
    await f.db
      .insertInto('scrm_snippets')
      .values(
        ids('snp').map((id, i) => ({
          workspace_id: ws,
          id,
          title: `title ${i % 2}`,
          content: JSON.stringify({ text: { content: 'x' } }),
          tags: '[]',
          created_at: at(i),
          updated_at: at(i),
        })),
      )
      .execute();
    await f.db
      .insertInto('scrm_workbench_rules')
      .values(
        ids('wbr').map((id, i) => ({ workspace_id: ws, id, segment_id: 'seg_x', kind: 'custom', title_template: 'x', created_at: at(i), updated_at: at(i) })),
      )
      .execute();
    await f.app.inject({ method: 'POST', url: '/v1/wecom/sensitive-words', headers: f.auth, payload: { words: ['d', 'a', 'c', 'b', 'e'] } });

    const byId = (r: Record<string, unknown>) => r.id;
    expect(await walk('/v1/wecom/alerts', 2, byId)).toEqual(ids('alr').reverse());
    expect(await walk('/v1/wecom/handovers', 2, byId)).toEqual(ids('hov').reverse());
    expect(await walk('/v1/wecom/sops', 3, byId)).toEqual(ids('sop').reverse());
    expect(await walk('/v1/wecom/snippets', 2, byId)).toEqual(['snp_0', 'snp_2', 'snp_4', 'snp_6', 'snp_1', 'snp_3', 'snp_5']);
    expect(await walk('/v1/wecom/workbench-rules', 2, byId)).toEqual(ids('wbr'));
    expect(await walk('/v1/wecom/sensitive-words', 2, (r) => r.word)).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Filters still apply across pages.
    expect(await walk('/v1/wecom/alerts?kind=keyword&status=open', 4, byId)).toHaveLength(7);

    const bad = await f.app.inject({ method: 'GET', url: '/v1/wecom/alerts?cursor=abc', headers: f.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('cursor is not a nextCursor returned by this endpoint');
  });

  it("group tags, and a live code's adds when a burst of customers shares one second", async () => {
    const ws = f.workspaceId;
    for (const [i, tag] of ['b', 'a', 'd', 'c', 'e'].entries())
      await f.db
        .insertInto('scrm_group_tags')
        .values({ workspace_id: ws, chat_id: `wr${i % 2}`, tag, created_at: T })
        .execute();
    expect(await walk('/v1/wecom/group-tags', 2, (r) => r.tag)).toEqual(['a', 'b', 'c', 'd', 'e']);

    const staff = f.sandbox.corp.activeStaff().map((s) => s.userid);
    const created = await f.app.inject({
      method: 'POST',
      url: '/v1/wecom/live-codes',
      headers: f.auth,
      payload: { name: 'Store', channel: 'store', staff: staff.slice(0, 2) },
    });
    expect(created.statusCode, created.body).toBe(201);
    const code = created.json().id as string;
    // WeCom times an add in seconds: seven adds in two seconds, over two members.
    const adds = Array.from({ length: 7 }, (_, i) => ({ userid: staff[i % 2]!, external_userid: `wmburst${i}`, added_at: T + (i < 5 ? 0 : 1000) }));
    await f.db
      .insertInto('scrm_live_code_adds')
      .values(
        adds.map((a) => ({
          workspace_id: ws,
          code_id: code,
          ...a,
          profile_id: `p_${a.external_userid}`,
          tags_status: 'done',
          tags_error: null,
          welcome_status: 'sent',
          welcome_reason: null,
          welcome_at: null,
          deleted_at: null,
          deleted_by: null,
          created_at: a.added_at,
        })),
      )
      .execute();
    const seen = await walk(`/v1/wecom/live-codes/${code}/adds`, 2, (r) => r.externalUserid);
    expect([...seen].sort()).toEqual(adds.map((a) => a.external_userid).sort());
    expect(seen.slice(0, 2).sort()).toEqual(['wmburst5', 'wmburst6']);
  });
});
