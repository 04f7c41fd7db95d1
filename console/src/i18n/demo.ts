/** Strings of the "load demo data" banner on an empty workspace (merged into i18n.ts's dictionaries). */

/** English. */
export const demoEn = {
  demoTitle: 'This workspace has no customers yet',
  demoText:
    'Load the demo brand to see every screen with real-looking data: a coffee chain with 20 stores and a designer-toy line — 20,000 customers, a year of orders, segments, RFM, templates, journeys, WeCom staff, contacts, groups and store live codes in the WeCom sandbox, and broadcasts with their delivery results. Remove it later by using a fresh workspace.',
  demoLoad: 'Load demo data',
  demoLoading: 'Loading the demo brand… this takes about a minute.',
  demoLoaded: 'Demo brand loaded: {profiles} customers, {orders} orders, {segments} segments in {seconds} s.',
  demoLoadedWeCom:
    'Demo brand loaded: {profiles} customers, {orders} orders, {segments} segments, {contacts} WeCom contacts in {groups} groups, {sent} messages sent in {seconds} s.',
  demoHeld: '{held} marketing messages wait for the end of quiet hours (22:00–08:00) and go out then.',
  demoNoWeCom: 'This server runs without the WeCom sandbox, so the WeCom data and the sent broadcasts were left out (see docs/demo.md).',
};

/** 简体中文. */
export const demoZh: typeof demoEn = {
  demoTitle: '这个工作空间还没有客户',
  demoText:
    '加载演示品牌，让每个页面都有逼真的数据：一家 20 家门店的连锁咖啡品牌和一条潮玩产品线——2 万名客户、一年的订单、分群、RFM、消息模板、旅程，企业微信沙箱中的员工、客户、客户群和门店活码，以及带送达结果的群发。之后换用一个新的工作空间即可移除。',
  demoLoad: '加载演示数据',
  demoLoading: '正在加载演示品牌……大约需要一分钟。',
  demoLoaded: '演示品牌已加载：{profiles} 位客户、{orders} 笔订单、{segments} 个分群，用时 {seconds} 秒。',
  demoLoadedWeCom:
    '演示品牌已加载：{profiles} 位客户、{orders} 笔订单、{segments} 个分群、{contacts} 位企业微信客户（{groups} 个客户群），已发送 {sent} 条消息，用时 {seconds} 秒。',
  demoHeld: '{held} 条营销消息正处于免打扰时段（22:00–08:00），将在时段结束后发出。',
  demoNoWeCom: '此服务器未运行企业微信沙箱，因此未加载企业微信数据和已发送的群发（见 docs/demo.md）。',
};
