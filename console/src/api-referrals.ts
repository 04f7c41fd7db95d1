/**
 * The console's calls of the referral and KOC API, typed with the routes' own schemas
 * (src/loyalty/referrals.schemas.ts; types only, nothing of the server is bundled). Reached as `api.referrals`.
 */
import type {
  attributeBody,
  attributionSchema,
  codeSchema,
  commissionsPage,
  commissionsQuery,
  decisionsPage,
  decisionsQuery,
  kocPage,
  kocQuery,
  programmeAnswer,
  programmeSchema,
} from '../../src/loyalty/referrals.schemas.ts';
import type { JsonCall } from './api-scrm.ts';
import type { Answer, Input } from './api-types.ts';

/** `GET /v1/loyalty/referrals/settings`: the programme. */
export type ReferralProgramme = Answer<typeof programmeAnswer>;
/** Body of `PUT /v1/loyalty/referrals/settings`. */
export type ReferralProgrammeBody = Input<typeof programmeSchema>;
/** A reward rule of the programme. */
export type ReferralRewardRule = ReferralProgrammeBody['rules'][number];
/** A referral code. */
export type ReferralCode = Answer<typeof codeSchema>;
/** Body of `POST /v1/loyalty/referrals/attribute`. */
export type AttributeBody = Input<typeof attributeBody>;
/** `POST /v1/loyalty/referrals/attribute`. */
export type Attribution = Answer<typeof attributionSchema>;
/** Query of `GET /v1/loyalty/referrals/decisions`. */
export type DecisionsQuery = Input<typeof decisionsQuery>;
/** `GET /v1/loyalty/referrals/decisions`. */
export type DecisionPage = Answer<typeof decisionsPage>;
/** A referral decision. */
export type ReferralDecision = DecisionPage['data'][number];
/** Query of `GET /v1/loyalty/referrals/commissions`. */
export type CommissionsQuery = Input<typeof commissionsQuery>;
/** `GET /v1/loyalty/referrals/commissions`. */
export type CommissionPage = Answer<typeof commissionsPage>;
/** A staff commission. */
export type Commission = CommissionPage['data'][number];
/** Query of `GET /v1/loyalty/koc`. */
export type KocQuery = Input<typeof kocQuery>;
/** `GET /v1/loyalty/koc`. */
export type KocPage = Answer<typeof kocPage>;
/** A leaderboard entry. */
export type KocEntry = KocPage['data'][number];

type Params = Record<string, string | number | boolean | undefined>;

/** Query string from defined values only. */
function qs(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The referral calls over the client's JSON call. */
export function referralCalls(json: JsonCall) {
  return {
    programme: () => json<ReferralProgramme>('GET', '/v1/loyalty/referrals/settings'),
    saveProgramme: (body: ReferralProgrammeBody) => json<ReferralProgramme>('PUT', '/v1/loyalty/referrals/settings', body),
    /** A member's code, created on first ask. */
    memberCode: (profile: string) => json<ReferralCode>('POST', '/v1/loyalty/referrals/codes', { profile }),
    attribute: (body: AttributeBody) => json<Attribution>('POST', '/v1/loyalty/referrals/attribute', body),
    decisions: (q: DecisionsQuery) => json<DecisionPage>('GET', `/v1/loyalty/referrals/decisions${qs(q)}`),
    commissions: (q: CommissionsQuery) => json<CommissionPage>('GET', `/v1/loyalty/referrals/commissions${qs(q)}`),
    koc: (q: KocQuery) => json<KocPage>('GET', `/v1/loyalty/koc${qs(q)}`),
  };
}
