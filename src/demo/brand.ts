/**
 * The demo brand's fixed catalogue: a coffee chain of 20 stores (the Luckin case) and a
 * designer-toy line (the Pop Mart case). Names are Chinese, as a brand in China would have them;
 * ids are stable so docs and tests can name them.
 */

/** A store of the coffee chain (toy corners sit in some of them). */
export interface DemoStore {
  id: string;
  name: string;
  city: string;
  /** Whether the store has a designer-toy corner. */
  toys: boolean;
}

const CITIES: readonly [string, readonly string[]][] = [
  ['上海', ['静安寺', '陆家嘴', '徐家汇', '五角场', '中山公园', '虹桥']],
  ['北京', ['国贸', '三里屯', '中关村', '望京']],
  ['杭州', ['西湖', '滨江', '武林']],
  ['深圳', ['南山', '福田', '科技园']],
  ['成都', ['春熙路', '太古里', '高新']],
  ['苏州', ['观前街']],
];

/** The 20 stores, two cities' flagships carrying the toy line too. */
export const STORES: readonly DemoStore[] = CITIES.flatMap(([city, areas]) => areas.map((area) => ({ city, area }))).map((s, i) => ({
  id: `store_${String(i + 1).padStart(2, '0')}`,
  name: `思屿咖啡·${s.city}${s.area}店`,
  city: s.city,
  toys: i % 3 === 0,
}));

/** A product line item of the catalogue (price in fen). */
export interface DemoProduct {
  id: string;
  name: string;
  category: string;
  priceFen: number;
}

/** Coffee and food: small baskets, many orders. */
export const COFFEE: readonly DemoProduct[] = [
  { id: 'cf_latte', name: '生椰拿铁', category: '咖啡', priceFen: 1590 },
  { id: 'cf_americano', name: '美式咖啡', category: '咖啡', priceFen: 990 },
  { id: 'cf_flatwhite', name: '澳白', category: '咖啡', priceFen: 1690 },
  { id: 'cf_mocha', name: '摩卡', category: '咖啡', priceFen: 1790 },
  { id: 'cf_coldbrew', name: '冷萃', category: '咖啡', priceFen: 1490 },
  { id: 'tea_jasmine', name: '茉莉花茶拿铁', category: '茶饮', priceFen: 1390 },
  { id: 'fd_croissant', name: '可颂', category: '轻食', priceFen: 890 },
  { id: 'fd_sandwich', name: '火腿芝士三明治', category: '轻食', priceFen: 1590 },
  { id: 'bean_250g', name: '精品咖啡豆 250g', category: '咖啡豆', priceFen: 6900 },
];

/** The designer-toy line: blind boxes, figures, and the limited drops' hidden editions. */
export const TOYS: readonly DemoProduct[] = [
  { id: 'toy_box_molly', name: 'MOLLY 星座系列盲盒', category: '盲盒', priceFen: 6900 },
  { id: 'toy_box_dimoo', name: 'DIMOO 森林系列盲盒', category: '盲盒', priceFen: 6900 },
  { id: 'toy_box_skull', name: 'SKULLPANDA 夜行系列盲盒', category: '盲盒', priceFen: 7900 },
  { id: 'toy_set_molly', name: 'MOLLY 星座整盒 (12只)', category: '整盒', priceFen: 82800 },
  { id: 'toy_mega_400', name: 'MEGA 400% 珍藏版', category: '大娃', priceFen: 129900 },
  { id: 'toy_plush', name: '毛绒挂件', category: '周边', priceFen: 9900 },
];

/** A limited drop: a day when a hidden edition sells out in the morning. */
export interface DemoDrop {
  product: DemoProduct;
  /** Days before the demo's anchor time. */
  daysAgo: number;
}

/** The year's four limited drops (the Pop Mart case). */
export const DROPS: readonly DemoDrop[] = [
  { product: { id: 'drop_spring', name: '春日限定隐藏款', category: '限定', priceFen: 59900 }, daysAgo: 300 },
  { product: { id: 'drop_summer', name: '夏夜限定隐藏款', category: '限定', priceFen: 59900 }, daysAgo: 210 },
  { product: { id: 'drop_autumn', name: '中秋限定隐藏款', category: '限定', priceFen: 69900 }, daysAgo: 90 },
  { product: { id: 'drop_winter', name: '冬季限定隐藏款', category: '限定', priceFen: 69900 }, daysAgo: 20 },
];

/** Surnames and given names for the customers' display names. */
export const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '高', '罗'];
export const GIVEN = [
  '芳',
  '伟',
  '娜',
  '敏',
  '静',
  '丽',
  '强',
  '磊',
  '洋',
  '艳',
  '勇',
  '杰',
  '娟',
  '涛',
  '明',
  '超',
  '秀英',
  '霞',
  '平',
  '刚',
  '子涵',
  '一诺',
  '欣怡',
  '浩然',
  '梓萱',
  '宇轩',
];

/** Mobile prefixes the generated phone numbers start with (valid Chinese mobile ranges). */
export const PHONE_PREFIXES = ['138', '139', '136', '137', '135', '150', '158', '186', '188', '177'];

/** The WeChat official account / mini program app id the demo's openids belong to. */
export const DEMO_APP_ID = 'wxdemo0coffee';

/** Tag groups the demo uses. */
export const TAG_GROUPS = { store: '门店', brand: '品牌', community: '社群' } as const;
