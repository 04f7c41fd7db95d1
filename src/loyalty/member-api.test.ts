import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { MEMBER_RATE_PER_MINUTE } from './member-api.tokens.js';
import { memberTestApp } from './testing/member-api-kit.js';

type App = Awaited<ReturnType<typeof memberTestApp>>;

/** The token with its payload replaced (signature kept): what a forger can do without the key. */
function withPayload(token: string, edit: (p: Record<string, unknown>) => void): string {
  const [body, sig] = token.split('.');
  const p = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as Record<string, unknown>;
  edit(p);
  return `${Buffer.from(JSON.stringify(p)).toString('base64url')}.${sig}`;
}

describeEngines('member tokens and the member-facing API', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('mints a token for a profile; member routes answer for that member only', async () => {
    app = await memberTestApp(engine);
    const p = await app.profile('m1');
    await app.earn(p, 120);
    const token = await app.mint('user_id:m1', 600);
    const me = await app.member(token, 'GET', '/v1/member/me');
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body).toMatchObject({ profileId: p, workspaceId: app.t.workspaceId });
    expect(Date.parse(me.body.tokenExpiresAt) - app.t.clock.now()).toBe(600_000);
    expect((await app.member(token, 'GET', '/v1/member/points')).body).toMatchObject({ profileId: p, balance: 120 });
    const history = await app.member(token, 'GET', '/v1/member/points/history?limit=10');
    expect(history.body.data.map((e: { points: number }) => e.points)).toEqual([120]);
    // Check in: the workspace's check-in rule, on the token's member.
    expect((await app.member(token, 'POST', '/v1/member/checkins')).body.error.code).toBe('CHECKIN_NOT_CONFIGURED');
    await app.call('POST', '/v1/loyalty/rules', { name: 'check-in', kind: 'checkin', definition: { points: 5 } });
    expect((await app.member(token, 'POST', '/v1/member/checkins')).body).toMatchObject({ profileId: p, streak: 1, points: 5, balance: 125 });
    // My coupons: the member's, not another's.
    const tpl = (await app.call('POST', '/v1/loyalty/coupon-templates', { name: '¥5', kind: 'fixed', amountFen: 500, validity: { days: 30 } })).body;
    const other = await app.profile('m2');
    await app.call('POST', '/v1/loyalty/coupons/issue', { template: tpl.id, profile: p, idempotencyKey: 'c1' });
    await app.call('POST', '/v1/loyalty/coupons/issue', { template: tpl.id, profile: other, idempotencyKey: 'c2' });
    const mine = await app.member(token, 'GET', '/v1/member/coupons');
    expect(mine.body.data.map((c: { profileId: string }) => c.profileId)).toEqual([p]);
    // My referral code: created on first ask, the same afterwards, and the one the admin API gives for this member.
    const code = await app.member(token, 'GET', '/v1/member/referral-code');
    expect(code.status, JSON.stringify(code.body)).toBe(200);
    expect((await app.member(token, 'GET', '/v1/member/referral-code')).body.code).toBe(code.body.code);
    expect((await app.call('POST', '/v1/loyalty/referrals/codes', { profile: p })).body.code).toBe(code.body.code);
    // TTL past 24 hours is refused.
    expect((await app.call('POST', '/v1/loyalty/member-tokens', { profile: p, ttlSeconds: 86_401 })).status).toBe(400);
    expect((await app.call('POST', '/v1/loyalty/member-tokens', { profile: 'user_id:nobody' })).body.error.code).toBe('PROFILE_NOT_FOUND');
  });

  it('refuses missing, forged, expired and other-workspace tokens with 401 and stable codes; keys and tokens do not mix', async () => {
    app = await memberTestApp(engine);
    const p = await app.profile('m1');
    const token = await app.mint(p, 60);
    const code = async (t: string | null, url = '/v1/member/points') => {
      const r = await app.member(t, 'GET', url);
      return [r.status, r.body.error?.code];
    };
    expect(await code(null)).toEqual([401, 'MEMBER_TOKEN_MISSING']);
    // The secret key is not a member token, and a member token is not a secret key.
    expect(await code(app.t.secretKey)).toEqual([401, 'MEMBER_TOKEN_INVALID']);
    const asKey = await app.t.app.inject({ method: 'GET', url: `/v1/profiles/${p}/points`, headers: { authorization: `Bearer ${token}` } });
    expect([asKey.statusCode, asKey.json().error.code]).toEqual([401, 'UNAUTHORIZED']);
    // Forged: another profile, a later expiry, a flipped signature character.
    const other = await app.profile('m2');
    expect(await code(withPayload(token, (x) => (x.sub = other)))).toEqual([401, 'MEMBER_TOKEN_INVALID']);
    expect(await code(withPayload(token, (x) => (x.exp = Number(x.exp) + 86_400_000)))).toEqual([401, 'MEMBER_TOKEN_INVALID']);
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    expect(await code(flip(token, token.length - 5))).toEqual([401, 'MEMBER_TOKEN_INVALID']);
    expect(await code(flip(token, token.length - 1))).toEqual([401, 'MEMBER_TOKEN_INVALID']);
    expect(await code('not-a-token')).toEqual([401, 'MEMBER_TOKEN_INVALID']);
    // Another workspace's token names its own workspace; moved to ours it fails the signature (keys are per workspace).
    const ws2 = await app.t.newWorkspace('other');
    const id2 = await app.t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: `Basic ${Buffer.from(ws2.writeKey + ':').toString('base64')}` },
      payload: { userId: 'x' },
    });
    expect(id2.statusCode).toBe(200);
    await app.t.services.writer.drain();
    const theirs = await app.mint('user_id:x', 60, ws2.secretKey);
    expect((await app.member(theirs, 'GET', '/v1/member/me')).body.workspaceId).toBe(ws2.workspaceId);
    expect(await code(withPayload(theirs, (x) => (x.ws = app.t.workspaceId)))).toEqual([401, 'MEMBER_TOKEN_INVALID']);
    expect(await code(withPayload(theirs, (x) => ((x.ws = app.t.workspaceId), (x.sub = p))))).toEqual([401, 'MEMBER_TOKEN_INVALID']);
    // Expired: one minute later.
    expect(await code(token)).toEqual([200, undefined]);
    app.t.clock.advance(60_000);
    expect(await code(token)).toEqual([401, 'MEMBER_TOKEN_EXPIRED']);
    // The console session of the owner does not open member routes either (no cookie path on them).
    expect((await app.member(null, 'POST', '/v1/member/checkins')).body.error.code).toBe('MEMBER_TOKEN_MISSING');
  });

  it('limits the requests of one token per minute (429 MEMBER_RATE_LIMITED), not those of another', async () => {
    app = await memberTestApp(engine);
    const p = await app.profile('m1');
    const a = await app.mint(p, 3600);
    const b = await app.mint(p, 3600);
    // Start at the beginning of a minute so the window does not roll over mid-test.
    app.t.clock.set(Math.ceil(app.t.clock.now() / 60_000) * 60_000);
    for (let i = 0; i < MEMBER_RATE_PER_MINUTE; i++) expect((await app.member(a, 'GET', '/v1/member/me')).status).toBe(200);
    const over = await app.member(a, 'GET', '/v1/member/me');
    expect([over.status, over.body.error.code]).toEqual([429, 'MEMBER_RATE_LIMITED']);
    expect((await app.member(b, 'GET', '/v1/member/me')).status).toBe(200);
    app.t.clock.advance(60_000);
    expect((await app.member(a, 'GET', '/v1/member/me')).status).toBe(200);
  });
});
