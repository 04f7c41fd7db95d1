import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';

/**
 * Hostile tracking input (issue #14): each answered 500 on one engine, or was stored and broke
 * later reads. Every one must now get a precise 400 (or a documented lossless normalisation),
 * the same on SQLite and PostgreSQL, and nothing of a refused request may be stored.
 */
describeEngines('tracking API: hostile input', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  /** Posts a raw body (the JSON text as given: deep nesting, escapes and big numbers survive). */
  const postRaw = (path: string, body: string, key = t.writeKey) =>
    t.app.inject({ method: 'POST', url: path, headers: { authorization: basic(key), 'content-type': 'application/json' }, payload: body });
  const get = (path: string) => t.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${t.secretKey}` } });
  const count = async () =>
    Number(
      (
        await t.database.db
          .selectFrom('events')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', t.workspaceId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  /** Expects a 400 VALIDATION_FAILED whose message matches, and nothing stored. */
  const refused = async (path: string, body: string, message: RegExp) => {
    const before = await count();
    const res = await postRaw(path, body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.message).toMatch(message);
    expect(await count()).toBe(before);
    // Reads of the workspace still work.
    expect((await get('/v1/profiles?limit=50')).statusCode).toBe(200);
  };
  const nested = (depth: number, open = '{"a":', close = '}') => open.repeat(depth) + '1' + close.repeat(depth);

  it('refuses traits nested deeper than 32 levels, naming the limit and the place', async () => {
    await refused('/v1/identify', `{"userId":"deep-1","traits":{"x":${nested(40)}}}`, /traits\.x(\.a)+: nested deeper than 32 levels/);
    await refused(
      '/v1/track',
      `{"userId":"deep-2","event":"E","properties":{"x":${nested(32, '[', ']')}}}`,
      /properties\.x(\[0\])+: nested deeper than 32 levels/,
    );
    await refused('/v1/track', `{"userId":"inf","event":"E","properties":{"n":[1,-1e400]}}`, /properties\.n\[1\]: is a number beyond what a double holds/);
    // 32 levels are accepted.
    expect((await postRaw('/v1/track', `{"userId":"deep-3","event":"E","properties":${nested(31)}}`)).statusCode).toBe(200);
  });

  it('refuses JSON nested 5,000 and 100,000 deep with a 400, not a stack overflow', async () => {
    await refused('/v1/track', `{"userId":"deep-4","event":"E","properties":${nested(5000)}}`, /nested deeper than 32 levels/);
    await refused(
      '/v1/batch',
      `{"batch":[{"type":"track","userId":"deep-5","event":"E","context":{"x":${nested(100_000, '[', ']')}}}]}`,
      /batch\[0\]: context/,
    );
  });

  it('refuses U+0000 and lone surrogates in ids, names, keys and values, naming the field', async () => {
    await refused('/v1/track', '{"userId":"nul\\u0000id","event":"E"}', /userId: contains U\+0000/);
    await refused('/v1/track', '{"userId":"u-nul","event":"Sign\\u0000ed"}', /event: contains U\+0000/);
    await refused('/v1/track', '{"userId":"u-nul","event":"E","properties":{"k\\u0000":1}}', /properties: a key contains U\+0000/);
    await refused('/v1/identify', '{"userId":"u-nul","traits":{"name":["ok","x\\u0000"]}}', /traits\.name\[1\]: contains U\+0000/);
    await refused('/v1/track', '{"userId":"u-sur","event":"E","properties":{"v":"a\\ud800b"}}', /properties\.v: contains a lone UTF-16 surrogate/);
    await refused('/v1/track', '{"anonymousId":"\\udc00","event":"E"}', /anonymousId: contains a lone UTF-16 surrogate/);
    await refused('/v1/page', '{"userId":"u-sur","name":"x","context":{"\\ud83d":"y"}}', /context: a key contains a lone UTF-16 surrogate/);
    // A surrogate pair (an emoji) and a literal backslash-u text are fine.
    expect((await postRaw('/v1/track', '{"userId":"u-emoji","event":"\\ud83d\\ude00","properties":{"t":"\\\\u0000"}}')).statusCode).toBe(200);
  });

  it('refuses times outside the years 0001-9999, also after clock-skew correction; later reads still answer', async () => {
    await refused(
      '/v1/track',
      '{"userId":"u-time","event":"E","timestamp":"+275760-09-13T00:00:00.000Z","sentAt":"1970-01-01T00:00:00Z"}',
      /timestamp .* outside/,
    );
    await refused('/v1/track', '{"userId":"u-time","event":"E","timestamp":"2026-01-01T00:00:00Z","sentAt":"-000001-01-01T00:00:00Z"}', /sentAt .* outside/);
    await refused(
      '/v1/track',
      '{"userId":"u-time","event":"E","timestamp":"9999-12-31T00:00:00Z","sentAt":"0001-01-02T00:00:00Z"}',
      /corrected for clock skew/,
    );
    // Epoch milliseconds are bounded too.
    await refused('/v1/track', '{"userId":"u-time","event":"E","timestamp":1e300}', /timestamp 1e\+300 is outside the years 0001-9999/);
    expect((await postRaw('/v1/track', '{"userId":"u-time","event":"E","messageId":"time-ok","timestamp":"0001-01-01T00:00:00Z"}')).statusCode).toBe(200);
    const profile = await get('/v1/profiles/user_id:u-time');
    expect(profile.statusCode).toBe(200);
  });

  it('bounds order amounts (at most 1,000,000,000 currency units)', async () => {
    await refused(
      '/v1/track',
      '{"userId":"u-rich","event":"Order Completed","properties":{"order_id":"big-1","total":1e12}}',
      /properties\.total is 1000000000000; the largest amount accepted is 1000000000/,
    );
    expect((await postRaw('/v1/track', '{"userId":"u-rich","event":"Order Completed","properties":{"order_id":"max-1","total":1000000000}}')).statusCode).toBe(
      200,
    );
  });

  it('keeps a profile total within 2^53 - 1 fen however many orders it receives (saturates)', async () => {
    await postRaw('/v1/track', '{"userId":"u-sum","event":"E"}');
    const owner = await t.database.db
      .selectFrom('identities')
      .select('profile_id')
      .where('workspace_id', '=', t.workspaceId)
      .where('id_type', '=', 'user_id')
      .where('id_key', '=', 'u-sum')
      .executeTakeFirstOrThrow();
    await t.database.db
      .updateTable('profiles')
      .set({ total_spent_fen: Number.MAX_SAFE_INTEGER - 50 })
      .where('id', '=', owner.profile_id)
      .execute();
    const res = await postRaw('/v1/track', '{"userId":"u-sum","event":"Order Completed","properties":{"order_id":"sum-1","total":1000000000}}');
    expect(res.statusCode).toBe(200);
    const p = await t.database.db
      .selectFrom('profiles')
      .select(['total_spent_fen', 'order_count'])
      .where('id', '=', owner.profile_id)
      .executeTakeFirstOrThrow();
    expect(Number(p.total_spent_fen)).toBe(Number.MAX_SAFE_INTEGER);
    expect(Number(p.order_count)).toBe(1);
    expect((await get(`/v1/profiles/${owner.profile_id}`)).statusCode).toBe(200);
  });

  it('refuses numeric ids beyond 2^53 (they would be rounded and merge two people): send them as strings', async () => {
    await refused(
      '/v1/identify',
      '{"userId":9007199254740993,"traits":{"plan":"a"}}',
      /userId: 9007199254740992 is a JSON number beyond 9007199254740991.*send ids as strings/,
    );
    await refused('/v1/identify', '{"userId":9007199254740992}', /userId: .*send ids as strings/);
    await refused(
      '/v1/track',
      '{"anonymousId":"a-num","event":"E","context":{"device":{"id":12345678901234567890}}}',
      /context\.device\.id: .*send ids as strings/,
    );
    await refused('/v1/identify', '{"anonymousId":"a-num","traits":{"member_id":-9007199254740993}}', /traits\.member_id: .*send ids as strings/);
    // Safe numbers are still taken (as their decimal text).
    expect((await postRaw('/v1/identify', '{"userId":9007199254740991}')).statusCode).toBe(200);
    expect((await get('/v1/profiles/user_id:9007199254740991')).statusCode).toBe(200);
    // The two big ids given as strings stay two people.
    expect((await postRaw('/v1/identify', '{"userId":"9007199254740993"}')).statusCode).toBe(200);
    expect((await postRaw('/v1/identify', '{"userId":"9007199254740992"}')).statusCode).toBe(200);
    const a = (await get('/v1/profiles/user_id:9007199254740993')).json();
    const b = (await get('/v1/profiles/user_id:9007199254740992')).json();
    expect(a.id).not.toBe(b.id);
  });
});
