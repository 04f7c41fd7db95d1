/**
 * The reward catalogue's, lotteries' and group-buys' answers and bodies as the console uses them,
 * derived from the routes' own schemas like api-types.ts (types only: nothing of the server is bundled).
 */
import type { itemBody, itemSchema, itemsPage } from '../../src/loyalty/catalogue.schemas.ts';
import type { campaignBody, campaignSchema, campaignsPage, groupsPage } from '../../src/loyalty/group-buys.schemas.ts';
import type { drawsPage, lotteriesPage, lotteryBody, lotterySchema } from '../../src/loyalty/lottery.schemas.ts';
import type { Answer, Input } from './api-types.ts';

/** A catalogue item (`GET /v1/loyalty/catalogue-items`). */
export type CatalogueItem = Answer<typeof itemSchema>;
/** A page of catalogue items. */
export type CatalogueItemPage = Answer<typeof itemsPage>;
/** Body of `POST /v1/loyalty/catalogue-items`. */
export type CatalogueItemBody = Input<typeof itemBody>;
/** A lottery with its prize table and what each prize gave. */
export type Lottery = Answer<typeof lotterySchema>;
/** A page of lotteries. */
export type LotteryPage = Answer<typeof lotteriesPage>;
/** Body of `POST /v1/loyalty/lotteries`. */
export type LotteryBody = Input<typeof lotteryBody>;
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
