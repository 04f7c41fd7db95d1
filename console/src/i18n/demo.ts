/** Strings of the "load demo data" banner on an empty workspace (merged into i18n.ts's dictionaries). */

/** English. */
export const demoEn = {
  demoTitle: 'This workspace has no customers yet',
  demoText:
    'Load the demo brand to see every screen with real-looking data: a coffee chain with 20 stores and a designer-toy line — 20,000 customers, a year of orders, segments, RFM, templates, journeys and an 8:00 coupon broadcast. Remove it later by using a fresh workspace.',
  demoLoad: 'Load demo data',
  demoLoading: 'Loading the demo brand… this takes about a minute.',
  demoLoaded: 'Demo brand loaded: {profiles} customers, {orders} orders, {segments} segments in {seconds} s.',
};

/** 简体中文. */
export const demoZh: typeof demoEn = {
  demoTitle: '这个工作空间还没有客户',
  demoText:
    '加载演示品牌，让每个页面都有逼真的数据：一家 20 家门店的连锁咖啡品牌和一条潮玩产品线——2 万名客户、一年的订单、分群、RFM、消息模板、旅程，以及早上 8 点的优惠券推送。之后换用一个新的工作空间即可移除。',
  demoLoad: '加载演示数据',
  demoLoading: '正在加载演示品牌……大约需要一分钟。',
  demoLoaded: '演示品牌已加载：{profiles} 位客户、{orders} 笔订单、{segments} 个分群，用时 {seconds} 秒。',
};
