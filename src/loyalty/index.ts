/**
 * The loyalty module's public surface: the points ledger (earn, spend, adjust, claw back, expire),
 * balances and history, the award of points for journeys, and the ledger's verification. See
 * docs/loyalty.md.
 */
export type { LoyaltyDeps } from './deps.js';
export { loyaltyRoutes } from './points.routes.js';
export { loyaltyMigrations } from './migrations.js';
export { LoyaltyError } from './errors.js';
export type { LoyaltyHubEvents } from './hub-events.js';
export type { LoyaltyDB, EntryKind, SourceType } from './schema.js';
export { POINTS_EVENTS } from './event-names.js';
export { postEntry, expireDue, MAX_POINTS, type PostingRequest, type PostingResult, type EntryView, type PointsSource } from './ledger.service.js';
export { postPoints, postWithRetries, pointsSummary, pointsHistory, type PostingBody, type PointsSummary } from './points.service.js';
export { awardPointsWith, type AwardInput } from './port.js';
export { verifyBalances, type VerifyReport, type BalanceMismatch } from './verify.js';

// Coupons: templates, codes, issue and claim, redemption bound to orders, reversal, statistics.
export { couponRoutes } from './coupons.routes.js';
export { issueCouponWith, couponTemplateProblemWith, type CouponAwardInput } from './coupons.port.js';
export { startCouponWorker, createCouponWorker, type CouponWorker, type CouponWorkerDeps } from './coupons.worker.js';
export { COUPON_EVENTS } from './event-names.js';
export type { CouponsDB, CouponKind, CouponStatus, TemplateStatus, IssueChannel } from './coupons.tables.js';
export { statsOfTemplates, type CouponStats } from './coupons.stats.js';
export { createTemplate, getTemplate, listTemplates, type TemplateBody, type TemplateView } from './coupons.templates.js';
export { issueCoupon, generateCodes, claimCoupon, profileCoupons, type CouponView, type CodeBatch } from './coupons.service.js';
export { redeemCoupon, reverseCoupon, type RedeemBody } from './coupons.orders.js';
export { randomCodes, normaliseCode, CODE_ALPHABET } from './coupons.codes.js';
export { startLoyaltyWorker, loyaltyPass, type LoyaltyWorker } from './worker.js';
export { runExpiry, recordNotices, type ExpiryReport, type ExpiryOptions } from './expiry.service.js';
export { runRules, RULES_OVERLAP_MS, type RulesReport } from './rules.engine.js';
export { releaseDue } from './holds.service.js';
export { moveAccount, moveMergesInto, sweepMerged, type MoveReport } from './merges.service.js';
export { loyaltySettings, saveLoyaltySettings, expiryUnder, DEFAULT_SETTINGS, type ExpiryPolicy, type LoyaltySettings } from './settings.service.js';
export { createRule, createRuleVersion, getRule, listRules, deactivateRule, type RuleInput, type RuleView } from './rules.service.js';

// Tiers and paid membership: the program, members' tiers and benefits, the loyalty traits.
export { tierRoutes } from './tiers.routes.js';
export { TIER_EVENTS } from './event-names.js';
export type { TiersDB, TierChangeReason } from './tiers.tables.js';
export { tierProgram, saveTierProgram, type TierProgram, type Tier, type Benefits, type ProgramVersion } from './tiers.service.js';
export { memberView, listMembers, tierMultiplierOf, type MemberView, type MemberRow } from './members.service.js';
export { buyPaidMembership, type PaidBody, type PaidAnswer } from './membership.service.js';
export { runTiers, type TiersReport } from './tiers.worker.js';
export { tierDaysPortOf, grantTierDays, revokeTierDays } from './tiers.days.js';
export { syncLoyaltyTraits, LOYALTY_TRAITS, EXPIRING_DAYS } from './members.traits.js';
// Referrals and KOC: codes and share links, attribution with anti-fraud decisions, rewards, staff commissions, the leaderboard.
export { referralRoutes } from './referrals.routes.js';
export {
  referralCodeOf,
  staffReferralCode,
  attributeReferral,
  type ReferralCodeView,
  type AttributionResult,
  type StaffCodeBody,
} from './referrals.service.js';
export {
  referralProgramme,
  saveReferralProgramme,
  DEFAULT_PROGRAMME,
  type ReferralProgramme,
  type RewardRule,
  type Milestone,
  type Reward,
} from './referrals.programme.js';
export { runReferralOrders, type ReferralOrdersReport } from './referrals.orders.js';
export { runAttributionEvents, type AttributionEventsReport } from './referrals.events.js';
export { listDecisions, listCommissions, listRewards } from './referrals.lists.js';
export { kocLeaderboard, kocRanking, type KocEntry } from './koc.service.js';
export { REFERRAL_COUNT_TRAIT } from './referrals.outcomes.js';
export { REFERRAL_EVENTS } from './event-names.js';
export type { TierDaysPort, TierDaysGrant, GroupBuysLedPort } from './referrals.ports.js';
export type { ReferralsDB, ReferrerKind } from './referrals.tables.js';
export type { DecisionView, RewardView, CommissionView } from './referrals.views.js';
// Member tokens and the member-facing API; the reward catalogue and checkout deduction; lotteries; group-buys.
export { memberApiRoutes } from './member-api.routes.js';
export { MemberApiError } from './member-api.errors.js';
export { mintMemberToken, verifyMemberToken, MAX_TOKEN_TTL_S, type MemberPrincipal } from './member-api.tokens.js';
export { GROWTH_EVENTS } from './event-names.js';
export type { CatalogueDB, CatalogueKind, OfferStatus, PrizeKind } from './catalogue.tables.js';
export type { GroupBuysDB, CampaignStatus, GroupStatus } from './group-buys.tables.js';
export { createItem, getItem, listItems, redeemItem, type CatalogueItemView, type RedemptionView } from './catalogue.service.js';
export { quoteCheckout, applyCheckout, reverseCheckout, reverseDeductionsForOrders, type CheckoutSettings, type DeductionView } from './catalogue.checkout.js';
export { createLottery, getLottery, listDraws, checkPrizes, PPM, type LotteryView, type DrawView } from './lottery.service.js';
export { drawLottery, pickPrize } from './lottery.draw.js';
export { createCampaign, getCampaign, listGroups, groupBuysLedBy, type CampaignView, type GroupView } from './group-buys.service.js';
export { openGroup, joinGroup, samePerson } from './group-buys.join.js';
export { cancelDueGroups } from './group-buys.worker.js';

// Data-subject rights (compliance): what this module holds about a person.
export { loyaltyPersonalData } from './personal-data.js';
