/**
 * The reward catalogue's, lotteries' and group-buys' answers and bodies as the console uses them,
 * derived from the routes' own schemas like api-types.ts (types only: nothing of the server is bundled).
 */
import type { itemBody, itemSchema, itemsPage, redemptionsPage, reversedRedemptionAnswer } from '../../src/loyalty/catalogue.schemas.ts';
import type { campaignBody, campaignSchema, campaignsPage, groupsPage } from '../../src/loyalty/group-buys.schemas.ts';
import type { drawsPage, lotteriesPage, lotteryBody, lotterySchema, prizesBody } from '../../src/loyalty/lottery.schemas.ts';
import type { Answer, Input } from './api-types.ts';

/** A catalogue item (`GET /v1/loyalty/catalogue-items`). */
export type CatalogueItem = Answer<typeof itemSchema>;
/** A page of catalogue items. */
export type CatalogueItemPage = Answer<typeof itemsPage>;
/** Body of `POST /v1/loyalty/catalogue-items`. */
export type CatalogueItemBody = Input<typeof itemBody>;
/** A page of an item's redemptions (with their reversals). */
export type CatalogueRedemptionPage = Answer<typeof redemptionsPage>;
/** A catalogue redemption as the admin list shows it. */
export type CatalogueRedemption = CatalogueRedemptionPage['data'][number];
/** The answer of `POST /v1/loyalty/catalogue-redemptions/:id/reverse`. */
export type ReversedRedemption = Answer<typeof reversedRedemptionAnswer>;
/** A lottery with its prize table and what each prize gave. */
export type Lottery = Answer<typeof lotterySchema>;
/** A page of lotteries. */
export type LotteryPage = Answer<typeof lotteriesPage>;
/** Body of `POST /v1/loyalty/lotteries`. */
export type LotteryBody = Input<typeof lotteryBody>;
/** Body of `PUT /v1/loyalty/lotteries/:id/prizes`: the whole prize table. */
export type LotteryPrizesBody = Input<typeof prizesBody>;
/** A page of a lottery's draws. */
export type LotteryDrawPage = Answer<typeof drawsPage>;
/** A group-buy campaign with its groups counted. */
export type GroupBuyCampaign = Answer<typeof campaignSchema>;
/** A page of campaigns. */
export type GroupBuyCampaignPage = Answer<typeof campaignsPage>;
/** Body of `POST /v1/loyalty/group-buy-campaigns`. */
export type GroupBuyCampaignBody = Input<typeof campaignBody>;
/** A page of a campaign's groups. */
export type GroupBuyGroupPage = Answer<typeof groupsPage>;
