import type { Millis } from '../platform/db/schema.js';

/** Tables of migration 0036_loyalty_group_buys: campaigns, the groups members open, and who joined. Owned by `src/loyalty/`. */

/** A campaign's status: active ones take new groups. */
export type CampaignStatus = 'active' | 'paused' | 'archived';
/** A group: open until it fills (formed) or its deadline passes (cancelled). */
export type GroupStatus = 'open' | 'formed' | 'cancelled';

/** A group-buy (拼团) campaign: a product, a group size, how long a group has to form, and the reward of a formed group. */
export interface GroupBuyCampaignsTable {
  workspace_id: string;
  id: string;
  name: string;
  product_id: string;
  product_name: string | null;
  price_fen: number | null;
  group_size: number;
  /** A group's deadline: this many hours after it was opened (and never after `ends_at`). */
  group_hours: number;
  /** No group is opened after it, and none lives past it. */
  ends_at: Millis;
  status: CampaignStatus;
  reward_points: number | null;
  reward_coupon_template_id: string | null;
  created_at: Millis;
  updated_at: Millis;
}

/** One group of a campaign, shared by its code. */
export interface GroupBuysTable {
  workspace_id: string;
  id: string;
  campaign_id: string;
  code: string;
  leader_profile_id: string;
  status: GroupStatus;
  size: number;
  joined: number;
  deadline: Millis;
  formed_at: Millis | null;
  cancelled_at: Millis | null;
  created_at: Millis;
}

/** A member of a group (the leader too). */
export interface GroupBuyMembersTable {
  workspace_id: string;
  group_id: string;
  profile_id: string;
  campaign_id: string;
  joined_at: Millis;
}

/** The group-buy tables. */
export interface GroupBuysDB {
  loyalty_group_buy_campaigns: GroupBuyCampaignsTable;
  loyalty_group_buys: GroupBuysTable;
  loyalty_group_buy_members: GroupBuyMembersTable;
}

declare module '../platform/db/schema.js' {
  interface DB extends GroupBuysDB {}
}
