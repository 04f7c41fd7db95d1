/**
 * Member tokens: short-lived signed tokens the brand's backend mints (with its secret key) for one
 * profile, which a mini program or app then sends as `Authorization: Bearer <token>` to the member
 * routes (`/v1/member/...`). Signed with the platform's token signer (HMAC-SHA256) under a key
 * derived from the master key for this purpose and this workspace, so a token of one workspace is
 * never valid in another and nothing is stored per token.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { resolveProfileId } from '../cdp/index.js';
import type { LoyaltyDeps } from './deps.js';
import { MemberApiError } from './member-api.errors.js';

/** The longest a member token may live: 24 hours. */
export const MAX_TOKEN_TTL_S = 86_400;
/** Requests one member token may make per minute (per process). */
export const MEMBER_RATE_PER_MINUTE = 120;

/** Who a member route serves, set by {@link requireMember}. */
export interface MemberPrincipal {
  /** The live profile (after merges) the token names. */
  profileId: string;
  tokenId: string;
  expiresAt: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The member of a member route (set by its preHandler). */
    member?: MemberPrincipal;
  }
}

/** The signed payload. */
interface Payload {
  v: 1;
  ws: string;
  sub: string;
  jti: string;
  exp: number;
}

/** A minted token. */
export interface MintedToken {
  token: string;
  profileId: string;
  expiresAt: string;
}

/** Mints a token for the profile a reference names, valid `ttlSeconds` (1 to 86,400; default 3,600). */
export async function mintMemberToken(deps: LoyaltyDeps, ws: string, body: { profile: string; ttlSeconds?: number }): Promise<MintedToken> {
  const profileId = await deps.resolveProfile(ws, body.profile);
  const ttl = body.ttlSeconds ?? 3600;
  const exp = deps.now() + ttl * 1000;
  const payload: Payload = { v: 1, ws, sub: profileId, jti: randomBytes(9).toString('base64url'), exp };
  return { token: deps.memberTokens(ws).sign({ ...payload }), profileId, expiresAt: new Date(exp).toISOString() };
}

/** The workspace a token claims, read before its signature is checked (it picks the key that checks it). */
function claimedWorkspace(token: string): string | undefined {
  try {
    const body = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8')) as { ws?: unknown };
    return typeof body.ws === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(body.ws) ? body.ws : undefined;
  } catch {
    return undefined;
  }
}

/** Checks a token: its signature under its workspace's key, its shape, its expiry; answers the workspace and payload. */
export function verifyMemberToken(deps: Pick<LoyaltyDeps, 'memberTokens'>, token: string, now: number): { ws: string; payload: Payload } {
  const invalid = () => new MemberApiError('MEMBER_TOKEN_INVALID', 'the member token is malformed or its signature does not match: mint a new one');
  const ws = claimedWorkspace(token);
  // One spelling per token: base64url's unused trailing bits must be zero, so an edited last character is not the same token.
  const sig = token.slice(token.indexOf('.') + 1);
  if (!ws || Buffer.from(sig, 'base64url').toString('base64url') !== sig) throw invalid();
  const p = deps.memberTokens(ws).verify(token) as Partial<Payload> | undefined;
  if (!p || p.v !== 1 || p.ws !== ws || typeof p.sub !== 'string' || typeof p.jti !== 'string' || typeof p.exp !== 'number') throw invalid();
  if (p.exp <= now) {
    throw new MemberApiError('MEMBER_TOKEN_EXPIRED', `the member token expired at ${new Date(p.exp).toISOString()}: mint a new one`, {
      expiredAt: new Date(p.exp).toISOString(),
    });
  }
  return { ws, payload: p as Payload };
}

/** A fixed-window counter per token (in process memory: each API process counts its own requests). */
export function createMemberLimiter(perMinute = MEMBER_RATE_PER_MINUTE) {
  let windowStart = 0;
  let counts = new Map<string, number>();
  return (tokenId: string, now: number): void => {
    const window = Math.floor(now / 60_000);
    if (window !== windowStart) {
      windowStart = window;
      counts = new Map();
    }
    const n = (counts.get(tokenId) ?? 0) + 1;
    counts.set(tokenId, n);
    if (n > perMinute) {
      throw new MemberApiError('MEMBER_RATE_LIMITED', `more than ${perMinute} requests in a minute with this member token; retry in a minute`, {
        limit: perMinute,
        retryAfterSeconds: 60 - Math.floor((now % 60_000) / 1000),
      });
    }
  };
}

/**
 * The preHandler of member routes: `Authorization: Bearer <member token>` only (secret keys and
 * console sessions are not member tokens and fail the signature check). Sets `workspaceId` and
 * `member` (the token's profile, followed through merges).
 */
export function requireMember(deps: LoyaltyDeps, limit = createMemberLimiter()) {
  return async (req: FastifyRequest): Promise<void> => {
    const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(req.headers.authorization?.trim() ?? '');
    if (!m) {
      throw new MemberApiError(
        req.headers.authorization ? 'MEMBER_TOKEN_INVALID' : 'MEMBER_TOKEN_MISSING',
        'member routes take "Authorization: Bearer <member token>" (minted by POST /v1/loyalty/member-tokens)',
      );
    }
    const now = deps.now();
    const { ws, payload } = verifyMemberToken(deps, m[1]!, now);
    limit(payload.jti, now);
    const profileId = await resolveProfileId(deps.database.db, ws, payload.sub);
    if (!profileId) throw new MemberApiError('MEMBER_TOKEN_INVALID', 'the profile of this member token no longer exists');
    req.workspaceId = ws;
    req.member = { profileId, tokenId: payload.jti, expiresAt: payload.exp };
  };
}
