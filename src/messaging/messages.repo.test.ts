import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { mdb } from './deps.js';
import { countMessageOutcomes, countMessagesByStepAndStatus, messageReach } from './messages.repo.js';
import { enqueueMessages, type EnqueueInput } from './outbox.js';
import { existingTemplateIds } from './templates.service.js';
import { messagingTestApp } from './test-kit.js';

/** The reads messaging publishes for other modules' statistics and checks (journeys, broadcasts). */
describeEngines('messaging: published reads', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let pids: string[] = [];
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    pids = [await k.profile('r-0'), await k.profile('r-1'), await k.profile('r-2')];
  });
  afterAll(async () => k?.close());

  const ws = () => k.t.workspaceId;
  const db = () => k.t.database.db;
  const input = (key: string, over: Partial<EnqueueInput>): EnqueueInput => ({
    workspaceId: ws(),
    profileId: pids[0],
    channel: 'webhook',
    purpose: 'service',
    idempotencyKey: key,
    source: { kind: 'journey', id: 'j-1', step: 's-1' },
    content: { body: { hi: 'x' } },
    now: k.t.clock.now(),
    ...over,
  });
  /** Queues messages, then sets each one's status (and opened/clicked times) as the dispatcher and receipts would. */
  const seed = async (
    rows: {
      key: string;
      over: Partial<EnqueueInput>;
      set: { status: string; reason?: string; error_code?: string; opened_at?: number; clicked_at?: number };
    }[],
  ) => {
    const out = await db()
      .transaction()
      .execute((trx) =>
        enqueueMessages(
          trx,
          rows.map((r) => input(r.key, r.over)),
        ),
      );
    for (const [i, r] of rows.entries())
      await mdb(db()).updateTable('messages').set(r.set).where('workspace_id', '=', ws()).where('id', '=', out[i]!.id).execute();
    return out.map((o) => o.id);
  };

  it('counts a source’s messages by step and status, and only that source’s', async () => {
    await seed([
      { key: 'j1-a', over: {}, set: { status: 'sent' } },
      { key: 'j1-b', over: { profileId: pids[1] }, set: { status: 'sent' } },
      { key: 'j1-c', over: { profileId: pids[2] }, set: { status: 'held', reason: 'quiet_hours' } },
      { key: 'j1-d', over: { source: { kind: 'journey', id: 'j-1', step: 's-2' } }, set: { status: 'failed' } },
      { key: 'j2-a', over: { source: { kind: 'journey', id: 'j-2', step: 's-1' } }, set: { status: 'sent' } },
      { key: 'b1-a', over: { source: { kind: 'broadcast', id: 'j-1' } }, set: { status: 'sent' } },
    ]);
    const rows = await countMessagesByStepAndStatus(db(), ws(), { kind: 'journey', id: 'j-1' });
    expect(rows.sort((a, b) => `${a.step}${a.status}`.localeCompare(`${b.step}${b.status}`))).toEqual([
      { step: 's-1', status: 'held', count: 1 },
      { step: 's-1', status: 'sent', count: 2 },
      { step: 's-2', status: 'failed', count: 1 },
    ]);
    expect(await countMessagesByStepAndStatus(db(), ws(), { kind: 'journey', id: 'j-none' })).toEqual([]);
    // Another workspace sees none of them.
    const other = await k.t.newWorkspace('other');
    expect(await countMessagesByStepAndStatus(db(), other.workspaceId, { kind: 'journey', id: 'j-1' })).toEqual([]);
  });

  it('counts a source’s outcomes by status, reason and error code with opens and clicks; step null leaves test sends out', async () => {
    const at = k.t.clock.now();
    await seed([
      { key: 'b2-a', over: { source: { kind: 'broadcast', id: 'b-2' } }, set: { status: 'sent', opened_at: at, clicked_at: at } },
      { key: 'b2-b', over: { profileId: pids[1], source: { kind: 'broadcast', id: 'b-2' } }, set: { status: 'sent', opened_at: at } },
      {
        key: 'b2-c',
        over: { profileId: pids[2], source: { kind: 'broadcast', id: 'b-2' } },
        set: { status: 'failed', reason: 'provider_rejected', error_code: 'http:400' },
      },
      { key: 'b2-test', over: { source: { kind: 'broadcast', id: 'b-2', step: 'test' } }, set: { status: 'sent' } },
    ]);
    const audience = await countMessageOutcomes(db(), ws(), { kind: 'broadcast', id: 'b-2', step: null });
    expect(audience.sort((a, b) => a.status.localeCompare(b.status))).toEqual([
      { status: 'failed', reason: 'provider_rejected', errorCode: 'http:400', count: 1, opened: 0, clicked: 0 },
      { status: 'sent', reason: null, errorCode: null, count: 2, opened: 2, clicked: 1 },
    ]);
    expect(await countMessageOutcomes(db(), ws(), { kind: 'broadcast', id: 'b-2', step: 'test' })).toEqual([
      { status: 'sent', reason: null, errorCode: null, count: 1, opened: 0, clicked: 0 },
    ]);
    const all = await countMessageOutcomes(db(), ws(), { kind: 'broadcast', id: 'b-2' });
    expect(all.reduce((n, r) => n + r.count, 0)).toBe(4);
  });

  it('gives each message whether it left (sent or delivered), as a table to left-join on message ids', async () => {
    const ids = await seed([
      { key: 'r-sent', over: { source: { kind: 'broadcast', id: 'b-3' } }, set: { status: 'sent' } },
      { key: 'r-delivered', over: { profileId: pids[1], source: { kind: 'broadcast', id: 'b-3' } }, set: { status: 'delivered' } },
      { key: 'r-held', over: { profileId: pids[2], source: { kind: 'broadcast', id: 'b-3' } }, set: { status: 'held' } },
      { key: 'r-failed', over: { source: { kind: 'broadcast', id: 'b-3', step: 'x' } }, set: { status: 'failed' } },
    ]);
    const rows = await messageReach(db()).where('workspace_id', '=', ws()).where('id', 'in', ids).execute();
    const reached = Object.fromEntries(rows.map((r) => [r.id, Number(r.was_sent)]));
    expect(ids.map((id) => reached[id])).toEqual([1, 1, 0, 0]);
    // Joined: ids without a message (a holdout's null) find no row.
    const joined = await mdb(db())
      .selectFrom('messages as x')
      .leftJoin(messageReach(db()).as('m'), (j) => j.onRef('m.workspace_id', '=', 'x.workspace_id').onRef('m.id', '=', 'x.id'))
      .select(['x.id', 'm.was_sent'])
      .where('x.workspace_id', '=', ws())
      .where('x.id', 'in', ids)
      .execute();
    expect(Object.fromEntries(joined.map((r) => [r.id, Number(r.was_sent)]))).toEqual(reached);
  });

  it('tells which of some template ids exist in the workspace, archived ones included', async () => {
    const a = await k.api('POST', '/v1/templates', { name: 'exists-a', channel: 'webhook', variants: { 'zh-CN': { body: { v: 1 } } } });
    const b = await k.api('POST', '/v1/templates', { name: 'exists-b', channel: 'webhook', variants: { 'zh-CN': { body: { v: 1 } } } });
    expect((await k.api('DELETE', `/v1/templates/${b.body.id}`)).status).toBe(204);
    expect(await existingTemplateIds(db(), ws(), [a.body.id, b.body.id, 'tpl_missing'])).toEqual(new Set([a.body.id, b.body.id]));
    expect(await existingTemplateIds(db(), ws(), [])).toEqual(new Set());
    const other = await k.t.newWorkspace('other-templates');
    expect(await existingTemplateIds(db(), other.workspaceId, [a.body.id])).toEqual(new Set());
  });
});
