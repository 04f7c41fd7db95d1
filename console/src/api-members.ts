/**
 * The console's calls of the members, tiers and earning rules API, built on the client's JSON call
 * (api.ts) and typed with the routes' own schemas (api-types-members.ts). Reached as `api.loyalty`.
 */
import type { JsonCall } from './api-scrm.ts';
import type {
  EarningRule,
  EarningRuleBody,
  EarningRuleDetail,
  EarningRulesPage,
  MemberDetail,
  LoyaltyMembersPage,
  LoyaltyMembersQuery,
  PointsHistoryPage,
  PointsHistoryQuery,
  TierBody,
  TierProgramBody,
  TierProgramView,
  TiersPage,
} from './api-types-members.ts';

export type * from './api-types-members.ts';

type Params = Record<string, string | number | boolean | undefined>;

/** Query string from defined values only. */
function qs(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

/** The members, tiers and earning rules calls. */
export function membersCalls(json: JsonCall) {
  return {
    list: (q: LoyaltyMembersQuery) => json<LoyaltyMembersPage>('GET', `/v1/loyalty/members${qs(q)}`),
    get: (profile: string) => json<MemberDetail>('GET', `/v1/loyalty/members/${enc(profile)}`),
    history: (profile: string, q: PointsHistoryQuery) => json<PointsHistoryPage>('GET', `/v1/profiles/${enc(profile)}/points/history${qs(q)}`),
    program: () => json<TierProgramView>('GET', '/v1/loyalty/tier-program'),
    saveProgram: (body: TierProgramBody) => json<TierProgramView>('PUT', '/v1/loyalty/tier-program', body),
    addTier: (body: TierBody) => json<TiersPage>('POST', '/v1/loyalty/tiers', body),
    saveTier: (key: string, body: TierBody) => json<TiersPage>('PUT', `/v1/loyalty/tiers/${enc(key)}`, body),
    removeTier: (key: string) => json<TiersPage>('DELETE', `/v1/loyalty/tiers/${enc(key)}`),
    rules: (q: { limit?: number; cursor?: string }) => json<EarningRulesPage>('GET', `/v1/loyalty/rules${qs(q)}`),
    rule: (id: string) => json<EarningRuleDetail>('GET', `/v1/loyalty/rules/${enc(id)}`),
    createRule: (body: EarningRuleBody) => json<EarningRule>('POST', '/v1/loyalty/rules', body),
    newRuleVersion: (id: string, body: EarningRuleBody) => json<EarningRule>('POST', `/v1/loyalty/rules/${enc(id)}/versions`, body),
    deactivateRule: (id: string) => json<EarningRuleDetail>('POST', `/v1/loyalty/rules/${enc(id)}/deactivate`),
  };
}
