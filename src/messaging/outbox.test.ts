import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { mdb } from './deps.js';
import { BULK_ENQUEUE_ROWS, cancelMessages, enqueueMessage, enqueueMessages, type EnqueueInput } from './outbox.js';
import { json, messagingTestApp, startHttpRecorder } from './test-kit.js';

describeEngines('outbox: bulk enqueue and cancel', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let hook: Awaited<ReturnType<typeof startHttpRecorder>>;
  let pids: string[] = [];
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    hook = await startHttpRecorder((_r, res) => json(res, 200, { ok: true }));
    await k.api('PUT', '/v1/channels/webhook', { url: `${hook.url}/in`, signingSecret: 'whsec' });
    await k.api('PATCH', '/v1/messaging/settings', { consent: { marketingRequiresOptIn: false } });
    pids = [await k.profile('o-0'), await k.profile('o-1'), await k.profile('o-2')];
  });
  afterAll(async () => {
    await hook?.close();
    await k?.close();
  });

  const db = () => mdb(k.t.database.db);
  const ws = () => k.t.workspaceId;
  const base = (over: Partial<EnqueueInput>): EnqueueInput => ({
    workspaceId: ws(),
    profileId: pids[0],
    channel: 'webhook',
    purpose: 'service',
    idempotencyKey: 'x',
    source: { kind: 'broadcast', id: 'b-x' },
    content: { body: { hi: '{{ profile.id }}' } },
    now: k.t.clock.now(),
    ...over,
  });
  const tx = <T>(fn: (trx: any) => Promise<T>) => k.t.database.db.transaction().execute(fn);
  const rowOf = (id: string) => db().selectFrom('messages').selectAll().where('workspace_id', '=', ws()).where('id', '=', id).executeTakeFirstOrThrow();

  it('enqueues many in input order with the same meaning as one by one: keys used before or earlier in the list, template pinning', async () => {
    const tpl = await k.api('POST', '/v1/templates', { name: 'bulk-hook', channel: 'webhook', purpose: 'service', variants: { 'zh-CN': { body: { v: 1 } } } });
    await k.api('PATCH', `/v1/templates/${tpl.body.id}`, { variants: { 'zh-CN': { body: { v: 2 } } } });
    const before = await tx((trx) => enqueueMessage(trx, base({ idempotencyKey: 'bulk-old' })));
    const now = k.t.clock.now();
    const inputs = [
      base({ idempotencyKey: 'bulk-a', data: { coupon: 'C1' }, sendAt: now + 60_000, locale: 'en' }),
      base({ idempotencyKey: 'bulk-old' }),
      base({ idempotencyKey: 'bulk-b', profileId: pids[1], content: undefined, templateId: tpl.body.id }),
      base({ idempotencyKey: 'bulk-a', profileId: pids[2] }),
      base({
        idempotencyKey: 'bulk-c',
        profileId: pids[2],
        content: undefined,
        templateId: tpl.body.id,
        templateVersion: 1,
        source: { kind: 'journey', id: 'j-1', step: 's-1' },
      }),
    ];
    const out = await tx((trx) => enqueueMessages(trx, inputs));
    expect(out.map((r) => [r.created, r.status])).toEqual([
      [true, 'queued'],
      [false, 'queued'],
      [true, 'queued'],
      [false, 'queued'],
      [true, 'queued'],
    ]);
    expect(out[1]!.id).toBe(before.id);
    expect(out[3]!.id).toBe(out[0]!.id);
    // The rows are those enqueueMessage writes.
    const single = await tx((trx) => enqueueMessage(trx, { ...inputs[0]!, idempotencyKey: 'single-a' }));
    const strip = ({ id: _i, idempotency_key: _k, ...r }: Record<string, unknown>) => r;
    expect(strip(await rowOf(out[0]!.id))).toEqual(strip(await rowOf(single.id)));
    expect(await rowOf(out[0]!.id)).toMatchObject({
      profile_id: pids[0],
      next_attempt_at: now + 60_000,
      locale: 'en',
      source_kind: 'broadcast',
      source_id: 'b-x',
    });
    expect((await rowOf(out[2]!.id)).template_version).toBe(2);
    expect(await rowOf(out[4]!.id)).toMatchObject({ template_version: 1, source_kind: 'journey', source_id: 'j-1', source_step: 's-1' });
    // The same call again creates nothing.
    const again = await tx((trx) => enqueueMessages(trx, inputs));
    expect(again.map((r) => r.id)).toEqual(out.map((r) => r.id));
    expect(again.every((r) => !r.created)).toBe(true);
    expect(await tx((trx) => enqueueMessages(trx, []))).toEqual([]);
  });

  it('refuses an invalid input by index, writing nothing of the call; an archived template only with a pinned version', async () => {
    const inputs = [base({ idempotencyKey: 'bad-0' }), base({ idempotencyKey: 'bad-1' }), base({ idempotencyKey: 'bad-2', profileId: undefined })];
    await expect(tx((trx) => enqueueMessages(trx, inputs))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'inputs[2]: a webhook message needs profileId',
    });
    await expect(tx((trx) => enqueueMessages(trx, [base({ idempotencyKey: 'bad-3', content: undefined, templateId: 'tpl_nope' })]))).rejects.toMatchObject({
      code: 'TEMPLATE_NOT_FOUND',
      message: 'inputs[0]: no template tpl_nope in this workspace',
    });
    const tpl = await k.api('POST', '/v1/templates', { name: 'gone-hook', channel: 'webhook', variants: { 'zh-CN': { body: { v: 1 } } } });
    // Keys used before an archive still answer with their message, as enqueueMessage does.
    const kept = await tx((trx) => enqueueMessages(trx, [base({ idempotencyKey: 'arch-0', content: undefined, templateId: tpl.body.id })]));
    await k.api('DELETE', `/v1/templates/${tpl.body.id}`);
    const t = (key: string, templateVersion?: number) => base({ idempotencyKey: key, content: undefined, templateId: tpl.body.id, templateVersion });
    await expect(tx((trx) => enqueueMessages(trx, [t('arch-1'), t('arch-2')]))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: `inputs[0]: template ${tpl.body.id} is archived`,
    });
    const ok = await tx((trx) => enqueueMessages(trx, [t('arch-0'), t('arch-3', 1)]));
    expect(ok.map((r) => [r.id === kept[0]!.id, r.created])).toEqual([
      [true, false],
      [false, true],
    ]);
    const written = await db()
      .selectFrom('messages')
      .select('idempotency_key')
      .where('workspace_id', '=', ws())
      .where('idempotency_key', 'like', 'bad-%')
      .execute();
    expect(written).toEqual([]);
  });

  it(`writes past one ${BULK_ENQUEUE_ROWS}-row statement, and two concurrent calls with the same keys make one message per key`, async () => {
    const keys = Array.from({ length: BULK_ENQUEUE_ROWS * 2 + 7 }, (_, i) => `many-${i}`);
    const inputs = keys.map((key, i) => base({ idempotencyKey: key, profileId: pids[i % 3] }));
    const [a, b] = await Promise.all([tx((trx) => enqueueMessages(trx, inputs)), tx((trx) => enqueueMessages(trx, inputs))]);
    expect(a.map((r) => r.id)).toEqual(b.map((r) => r.id));
    expect(a.filter((r) => r.created).length + b.filter((r) => r.created).length).toBe(keys.length);
    const rows = await db()
      .selectFrom('messages')
      .select(['id', 'idempotency_key'])
      .where('workspace_id', '=', ws())
      .where('idempotency_key', 'like', 'many-%')
      .execute();
    expect(rows).toHaveLength(keys.length);
    const byKey = new Map(rows.map((r) => [r.idempotency_key, r.id]));
    expect(keys.map((key) => byKey.get(key))).toEqual(a.map((r) => r.id));
  });

  it('cancels the queued and held messages of one source inside the caller transaction; sending and sent ones keep their course', async () => {
    const src = { kind: 'broadcast' as const, id: 'b-cancel' };
    const made = await tx((trx) =>
      enqueueMessages(
        trx,
        ['q', 'h', 's', 'd', 'x'].map((s, i) => base({ idempotencyKey: `cx-${s}`, profileId: pids[i % 3], source: src })),
      ),
    );
    const other = await tx((trx) => enqueueMessage(trx, base({ idempotencyKey: 'cx-other', source: { kind: 'broadcast', id: 'b-other' } })));
    const set = (id: string, v: Record<string, unknown>) => db().updateTable('messages').set(v).where('workspace_id', '=', ws()).where('id', '=', id).execute();
    const [q, h, s, d, x] = made.map((m) => m.id);
    await set(h!, { status: 'held', reason: 'quiet_hours', next_attempt_at: k.t.clock.now() + 3_600_000 });
    await set(s!, { status: 'sending', lease_until: k.t.clock.now() + 60_000, attempts: 1 });
    await set(d!, { status: 'sent', attempts: 1 });
    await set(x!, { status: 'suppressed', reason: 'consent_missing:marketing:webhook' });

    // The caller's transaction fails after the cancel: nothing is cancelled.
    await expect(
      tx(async (trx) => {
        expect(await cancelMessages(trx, { workspaceId: ws(), source: src, now: k.t.clock.now() })).toEqual({ cancelled: 2 });
        throw new Error('caller failed');
      }),
    ).rejects.toThrow('caller failed');
    expect((await rowOf(q!)).status).toBe('queued');

    k.t.clock.advance(1000);
    expect(await tx((trx) => cancelMessages(trx, { workspaceId: ws(), source: src, now: k.t.clock.now() }))).toEqual({ cancelled: 2 });
    const status = async (id: string) => {
      const r = await rowOf(id);
      return [r.status, r.reason];
    };
    expect(await Promise.all([q, h, s, d, x].map((id) => status(id!)))).toEqual([
      ['cancelled', 'broadcast_cancelled'],
      ['cancelled', 'broadcast_cancelled'],
      ['sending', null],
      ['sent', null],
      ['suppressed', 'consent_missing:marketing:webhook'],
    ]);
    expect((await rowOf(q!)).updated_at).toBe(k.t.clock.now());
    expect((await rowOf(other.id)).status).toBe('queued');
    expect(await tx((trx) => cancelMessages(trx, { workspaceId: ws(), source: src, reason: 'again', now: k.t.clock.now() }))).toEqual({ cancelled: 0 });
    await expect(tx((trx) => cancelMessages(trx, { workspaceId: ws(), source: { kind: 'broadcast', id: '' }, now: 1 }))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });

    // The dispatcher never sends a cancelled message; a new enqueue under its key answers with it.
    // (The earlier tests' thousand-odd messages are cancelled the same way, so this pass sends little.)
    expect(
      (await tx((trx) => cancelMessages(trx, { workspaceId: ws(), source: { kind: 'broadcast', id: 'b-x' }, now: k.t.clock.now() }))).cancelled,
    ).toBeGreaterThan(BULK_ENQUEUE_ROWS * 2);
    k.t.clock.advance(2 * 3_600_000);
    const before = hook.requests.filter((r) => JSON.parse(r.body).id === q || JSON.parse(r.body).id === h).length;
    for (let i = 0; i < 20 && (await k.dispatcher.runOnce()).claimed > 0; i++);
    expect(hook.requests.filter((r) => JSON.parse(r.body).id === q || JSON.parse(r.body).id === h).length).toBe(before);
    expect((await rowOf(other.id)).status).toBe('sent');
    expect(await tx((trx) => enqueueMessage(trx, base({ idempotencyKey: 'cx-q', source: src })))).toEqual({ id: q, created: false, status: 'cancelled' });
    expect(
      (await k.api('GET', `/v1/messages?sourceKind=broadcast&sourceId=b-cancel&status=cancelled`)).body.data.map((m: { id: string }) => m.id).sort(),
    ).toEqual([q, h].sort());
  });
});
