/**
 * The members, tiers and earning rules API's answers and bodies as the console uses them, derived
 * from the routes' own schemas like api-types.ts (types only: nothing of the server is bundled).
 */
import type { historyQuery, historySchema } from '../../src/loyalty/points.schemas.ts';
import type { ruleBody, ruleSchema, rulesPage, ruleWithVersionsSchema } from '../../src/loyalty/rules.schemas.ts';
import type { memberSchema, membersPage, membersQuery, programSchema, programViewSchema, tierSchema, tiersPage } from '../../src/loyalty/tiers.schemas.ts';
import type { Answer, Input } from './api-types.ts';

/** `GET /v1/loyalty/tier-program`. */
export type TierProgramView = Answer<typeof programViewSchema>;
/** Body of `PUT /v1/loyalty/tier-program`. */
export type TierProgramBody = Input<typeof programSchema>;
/** Body of `POST /v1/loyalty/tiers` and `PUT /v1/loyalty/tiers/:key`. */
export type TierBody = Input<typeof tierSchema>;
/** `GET /v1/loyalty/tiers`. */
export type TiersPage = Answer<typeof tiersPage>;
/** A tier with its rank. */
export type TierView = TiersPage['data'][number];
/** Query of `GET /v1/loyalty/members`. */
export type LoyaltyMembersQuery = Input<typeof membersQuery>;
/** `GET /v1/loyalty/members`. */
export type LoyaltyMembersPage = Answer<typeof membersPage>;
/** A row of the members list. */
export type MemberListRow = LoyaltyMembersPage['data'][number];
/** `GET /v1/loyalty/members/:profileId`. */
export type MemberDetail = Answer<typeof memberSchema>;
/** Query of `GET /v1/profiles/:id/points/history`. */
export type PointsHistoryQuery = Input<typeof historyQuery>;
/** `GET /v1/profiles/:id/points/history`. */
export type PointsHistoryPage = Answer<typeof historySchema>;
/** A ledger entry. */
export type LedgerEntry = PointsHistoryPage['data'][number];
/** An earning rule at a version. */
export type EarningRule = Answer<typeof ruleSchema>;
/** `GET /v1/loyalty/rules`. */
export type EarningRulesPage = Answer<typeof rulesPage>;
/** `GET /v1/loyalty/rules/:id`. */
export type EarningRuleDetail = Answer<typeof ruleWithVersionsSchema>;
/** Body of `POST /v1/loyalty/rules` (and of a new version). */
export type EarningRuleBody = Input<typeof ruleBody>;
