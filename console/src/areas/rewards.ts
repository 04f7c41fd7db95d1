/** The rewards and growth area (a chunk of its own): the points mall, lotteries and group-buys. */
export { CatalogueItemListPage } from '../pages/CatalogueItemList.tsx';
export { GroupBuyListPage } from '../pages/GroupBuyList.tsx';
export { LotteryListPage } from '../pages/LotteryList.tsx';
