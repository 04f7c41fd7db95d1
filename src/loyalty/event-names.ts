/** Names of the events loyalty records on a member's timeline (through cdp's `recordSystemEvents`); segment rules and journeys read them. */
export const POINTS_EVENTS = {
  earn: 'Points Earned',
  spend: 'Points Spent',
  expire: 'Points Expired',
  adjust: 'Points Adjusted',
  clawback: 'Points Clawed Back',
  /** Points moved from a profile merged away to its survivor (an entry on each side). */
  transfer: 'Points Transferred',
  /** Recorded once per expiring credit, `noticeDays` before it expires. */
  expiring: 'Points Expiring',
} as const;

/** Names of the coupon events loyalty records on a member's timeline. */
export const COUPON_EVENTS = {
  issued: 'Coupon Issued',
  redeemed: 'Coupon Redeemed',
  reversed: 'Coupon Reversed',
  /** An unused coupon taken back (its referral reward's order refunded, its catalogue redemption reversed). */
  voided: 'Coupon Voided',
} as const;

/** Names of the tier and paid membership events loyalty records on a member's timeline. */
export const TIER_EVENTS = {
  /** The tier in force changed (up or down; `reason` says why). */
  changed: 'Tier Changed',
  paidPurchased: 'Paid Membership Purchased',
  paidRenewed: 'Paid Membership Renewed',
  paidExpired: 'Paid Membership Expired',
} as const;

/** Names of the referral events loyalty records on the timelines of referees and referrers. */
export const REFERRAL_EVENTS = {
  /** An attribution accepted: on the referee's and the member referrer's timelines. */
  completed: 'Referral Completed',
  /** An attribution (or a later check) rejected, with its reason: on the referee's timeline. */
  rejected: 'Referral Rejected',
  rewardGranted: 'Referral Reward Granted',
  rewardReversed: 'Referral Reward Reversed',
  /** A staff commission on a referee's order (on the referee's timeline). */
  commissionRecorded: 'Referral Commission Recorded',
  commissionReversed: 'Referral Commission Reversed',
} as const;

/** Names of the catalogue, checkout, lottery and group-buy events loyalty records on a member's timeline. */
export const GROWTH_EVENTS = {
  /** A catalogue item bought with points. */
  rewardRedeemed: 'Reward Redeemed',
  /** A catalogue redemption reversed by an admin: points back, its coupon voided. */
  rewardRedemptionReversed: 'Reward Redemption Reversed',
  /** Points deducted from an order at checkout, and given back when it is refunded or cancelled. */
  pointsDeducted: 'Points Deducted At Checkout',
  deductionReversed: 'Points Deduction Reversed',
  /** One lottery draw, whatever it gave. */
  lotteryDrawn: 'Lottery Drawn',
  groupBuyOpened: 'Group Buy Opened',
  groupBuyJoined: 'Group Buy Joined',
  /** On each member's timeline when their group fills. */
  groupBuyFormed: 'Group Buy Formed',
  /** On each member's timeline when their group's deadline passed unfilled; carries the refund intent. */
  groupBuyCancelled: 'Group Buy Cancelled',
} as const;
