import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';

describeEngines('tracking API', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  const post = (path: string, body: unknown, key = t.writeKey) =>
    t.app.inject({ method: 'POST', url: path, headers: { authorization: basic(key), 'content-type': 'application/json' }, payload: body as object });
  const count = async (ws = t.workspaceId) =>
    Number(
      (
        await t.database.db
          .selectFrom('events')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', ws)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('stores a track call and answers like Segment', async () => {
    const before = await count();
    const res = await post('/v1/track', { userId: 'u-track', event: 'Signed Up', properties: { plan: 'pro' }, messageId: 'm-track-1' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true });
    expect(await count()).toBe(before + 1);
    const row = await t.database.db.selectFrom('events').selectAll().where('message_id', '=', 'm-track-1').executeTakeFirstOrThrow();
    expect(row.event).toBe('Signed Up');
    expect(row.user_id).toBe('u-track');
  });

  it('accepts the write key in the body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/identify', payload: { writeKey: t.writeKey, userId: 'u-body', traits: { name: 'A' } } });
    expect(res.statusCode).toBe(200);
  });

  it('rejects a missing or wrong key with 401', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/track', payload: { userId: 'x', event: 'e' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHORIZED');
    expect((await post('/v1/track', { userId: 'x', event: 'e' }, 'wk_wrong')).statusCode).toBe(401);
    // A secret key is not a write key.
    expect((await post('/v1/track', { userId: 'x', event: 'e' }, t.secretKey)).statusCode).toBe(401);
  });

  it('deduplicates on messageId: a retried batch stores nothing twice', async () => {
    const batch = {
      batch: Array.from({ length: 20 }, (_, i) => ({ type: 'track', event: 'Viewed', anonymousId: `anon-dedupe-${i}`, messageId: `dedupe-${i}` })),
    };
    const before = await count();
    expect((await post('/v1/batch', batch)).statusCode).toBe(200);
    expect((await post('/v1/batch', batch)).statusCode).toBe(200);
    expect(await count()).toBe(before + 20);
    const profiles = await t.database.db
      .selectFrom('identities')
      .select('profile_id')
      .where('id_type', '=', 'anonymous_id')
      .where('id_key', 'like', 'anon-dedupe-%')
      .execute();
    expect(profiles).toHaveLength(20);
  });

  it('merges top-level batch context into each item', async () => {
    await post('/v1/batch', {
      context: { library: { name: 'x' }, ip: '1.2.3.4' },
      batch: [{ type: 'track', event: 'E', userId: 'ctx', messageId: 'ctx-1', context: { ip: '5.6.7.8' } }],
    });
    const row = await t.database.db.selectFrom('events').select('payload').where('message_id', '=', 'ctx-1').executeTakeFirstOrThrow();
    const payload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
    expect(payload.context).toEqual({ library: { name: 'x' }, ip: '5.6.7.8' });
  });

  it('corrects client clock skew with sentAt', async () => {
    const received = Date.parse('2026-11-01T00:00:00Z');
    t.clock.set(received);
    // Client clock is 1 hour fast: event 10 s before sending, by the client's clock.
    await post('/v1/track', { userId: 'skew', event: 'E', messageId: 'skew-1', timestamp: '2026-11-01T00:59:50Z', sentAt: '2026-11-01T01:00:00Z' });
    const row = await t.database.db.selectFrom('events').select(['timestamp', 'received_at']).where('message_id', '=', 'skew-1').executeTakeFirstOrThrow();
    expect(row.received_at).toBe(received);
    expect(row.timestamp).toBe(received - 10_000);
  });

  describe('bad input: 400 with a precise message and nothing stored', () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['missing ids', '/v1/track', { event: 'E' }, /userId or anonymousId is required/],
      ['placeholder id', '/v1/track', { userId: 'null', event: 'E' }, /no usable identifier/],
      ['track without event', '/v1/track', { userId: 'u' }, /event \(the event name\) is required/],
      ['bad timestamp', '/v1/track', { userId: 'u', event: 'E', timestamp: 'yesterday' }, /timestamp "yesterday" is not a valid ISO-8601 date/],
      [
        'bad item in batch',
        '/v1/batch',
        {
          batch: [
            { type: 'track', userId: 'ok', event: 'E', messageId: 'never-1' },
            { type: 'track', event: 'E' },
          ],
        },
        /batch\[1\]: userId or anonymousId is required/,
      ],
      ['unknown type in batch', '/v1/batch', { batch: [{ type: 'purchase', userId: 'u' }] }, /batch\[0\]: type must be one of/],
      ['too many events', '/v1/batch', { batch: Array.from({ length: 2501 }, () => ({ type: 'track', userId: 'u', event: 'E' })) }, /limit is 2500/],
      [
        'event over 32 KB',
        '/v1/batch',
        { batch: [{ type: 'track', userId: 'u', event: 'E', messageId: 'never-2', properties: { blob: 'x'.repeat(33 * 1024) } }] },
        /batch\[0\]: event is \d+ bytes; the limit is 32768/,
      ],
      [
        'bad order total',
        '/v1/track',
        { userId: 'u', event: 'Order Completed', properties: { order_id: 'o', total: 'abc' } },
        /properties.total must be a number/,
      ],
    ];
    for (const [name, path, body, message] of cases) {
      it(name, async () => {
        const before = await count();
        const res = await post(path, body);
        expect(res.statusCode).toBe(400);
        expect(res.json().error.message).toMatch(message);
        expect(await count()).toBe(before);
      });
    }

    it('request over 500 KB', async () => {
      const before = await count();
      const batch = Array.from({ length: 20 }, (_, i) => ({
        type: 'track',
        userId: 'u',
        event: 'E',
        properties: { blob: 'y'.repeat(30 * 1024) },
        messageId: `big-${i}`,
      }));
      const res = await post('/v1/batch', { batch });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('REQUEST_TOO_LARGE');
      expect(await count()).toBe(before);
    });

    it('malformed JSON', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/track',
        headers: { authorization: basic(t.writeKey), 'content-type': 'application/json' },
        payload: '{"userId": "u", "event":',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('MALFORMED_JSON');
    });
  });

  it('counts an Order Completed once per order id, in fen', async () => {
    await post('/v1/track', {
      userId: 'buyer',
      event: 'Order Completed',
      messageId: 'ord-a',
      properties: { order_id: 'O-1', total: 99.9, currency: 'CNY', products: [{ sku: 's' }] },
    });
    // Same order sent again under a new messageId: stored as an event, not counted twice.
    await post('/v1/track', { userId: 'buyer', event: 'Order Completed', messageId: 'ord-b', properties: { order_id: 'O-1', total: 99.9 } });
    await post('/v1/track', { userId: 'buyer', event: 'Order Completed', messageId: 'ord-c', properties: { order_id: 'O-2', revenue: '0.10' } });
    const idRow = await t.database.db
      .selectFrom('identities')
      .select('profile_id')
      .where('workspace_id', '=', t.workspaceId)
      .where('id_type', '=', 'user_id')
      .where('id_key', '=', 'buyer')
      .executeTakeFirstOrThrow();
    const p = await t.database.db.selectFrom('profiles').selectAll().where('id', '=', idRow.profile_id).executeTakeFirstOrThrow();
    expect(p.order_count).toBe(2);
    expect(p.total_spent_fen).toBe(9990 + 10);
  });

  it('isolates workspaces: the same messageId in two workspaces is two events', async () => {
    const other = await t.newWorkspace('Other');
    const body = { userId: 'shared-user', event: 'E', messageId: 'same-message' };
    expect((await post('/v1/track', body)).statusCode).toBe(200);
    expect((await post('/v1/track', body, other.writeKey)).statusCode).toBe(200);
    expect(await count(other.workspaceId)).toBe(1);
    const rows = await t.database.db.selectFrom('events').select('workspace_id').where('message_id', '=', 'same-message').execute();
    expect(rows.map((r) => r.workspace_id).sort()).toEqual([t.workspaceId, other.workspaceId].sort());
  });
});
