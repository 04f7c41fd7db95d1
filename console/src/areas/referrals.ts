/** The referrals area (a chunk of its own): the programme, the decisions with their reasons, the referral and KOC leaderboard. */
export { ReferralSettingsPage } from '../pages/ReferralSettings.tsx';
export { ReferralDecisionsPage } from '../pages/ReferralDecisions.tsx';
export { ReferralLeaderboardPage } from '../pages/ReferralLeaderboard.tsx';
