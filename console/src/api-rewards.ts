/**
 * The console's calls of the reward catalogue, lottery and group-buy API, built on the client's
 * JSON call (api.ts) and typed with the routes' own schemas (api-types-rewards.ts). Reached as `api.rewards`.
 */
import type {
  CatalogueItem,
  CatalogueItemBody,
  CatalogueItemPage,
  CatalogueRedemptionPage,
  GroupBuyCampaign,
  GroupBuyCampaignBody,
  GroupBuyCampaignPage,
  GroupBuyGroupPage,
  Lottery,
  LotteryBody,
  LotteryDrawPage,
  LotteryPage,
  LotteryPrizesBody,
  ReversedRedemption,
} from './api-types-rewards.ts';

export type * from './api-types-rewards.ts';

/** The JSON call of the API client. */
type JsonCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

const page = (limit: number, cursor?: string) => `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
const enc = encodeURIComponent;

/** The reward, lottery and group-buy calls. */
export function rewardsCalls(json: JsonCall) {
  return {
    items: (cursor?: string) => json<CatalogueItemPage>('GET', `/v1/loyalty/catalogue-items${page(20, cursor)}`),
    createItem: (body: CatalogueItemBody) => json<CatalogueItem>('POST', '/v1/loyalty/catalogue-items', body),
    setItemStatus: (id: string, status: 'active' | 'paused') => json<CatalogueItem>('PATCH', `/v1/loyalty/catalogue-items/${enc(id)}`, { status }),
    redemptions: (itemId: string, cursor?: string) =>
      json<CatalogueRedemptionPage>('GET', `/v1/loyalty/catalogue-items/${enc(itemId)}/redemptions${page(20, cursor)}`),
    reverseRedemption: (id: string, reason: string) => json<ReversedRedemption>('POST', `/v1/loyalty/catalogue-redemptions/${enc(id)}/reverse`, { reason }),
    lotteries: (cursor?: string) => json<LotteryPage>('GET', `/v1/loyalty/lotteries${page(20, cursor)}`),
    createLottery: (body: LotteryBody) => json<Lottery>('POST', '/v1/loyalty/lotteries', body),
    setLotteryStatus: (id: string, status: 'active' | 'paused') => json<Lottery>('PATCH', `/v1/loyalty/lotteries/${enc(id)}`, { status }),
    replacePrizes: (id: string, body: LotteryPrizesBody) => json<Lottery>('PUT', `/v1/loyalty/lotteries/${enc(id)}/prizes`, body),
    draws: (id: string, cursor?: string) => json<LotteryDrawPage>('GET', `/v1/loyalty/lotteries/${enc(id)}/draws${page(20, cursor)}`),
    campaigns: (cursor?: string) => json<GroupBuyCampaignPage>('GET', `/v1/loyalty/group-buy-campaigns${page(20, cursor)}`),
    createCampaign: (body: GroupBuyCampaignBody) => json<GroupBuyCampaign>('POST', '/v1/loyalty/group-buy-campaigns', body),
    groups: (id: string, cursor?: string) => json<GroupBuyGroupPage>('GET', `/v1/loyalty/group-buy-campaigns/${enc(id)}/groups${page(20, cursor)}`),
  };
}
