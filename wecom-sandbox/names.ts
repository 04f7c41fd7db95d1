/** Name material for the fake corp: common Chinese surnames and given names with pinyin, WeChat nicknames. */

export const SURNAMES: ReadonlyArray<readonly [string, string]> = [
  ['王', 'Wang'],
  ['李', 'Li'],
  ['张', 'Zhang'],
  ['刘', 'Liu'],
  ['陈', 'Chen'],
  ['杨', 'Yang'],
  ['黄', 'Huang'],
  ['赵', 'Zhao'],
  ['吴', 'Wu'],
  ['周', 'Zhou'],
  ['徐', 'Xu'],
  ['孙', 'Sun'],
  ['马', 'Ma'],
  ['朱', 'Zhu'],
  ['胡', 'Hu'],
  ['郭', 'Guo'],
  ['何', 'He'],
  ['林', 'Lin'],
  ['罗', 'Luo'],
  ['高', 'Gao'],
  ['郑', 'Zheng'],
  ['梁', 'Liang'],
  ['谢', 'Xie'],
  ['宋', 'Song'],
];

export const GIVEN_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['伟', 'Wei'],
  ['芳', 'Fang'],
  ['娜', 'Na'],
  ['敏', 'Min'],
  ['静', 'Jing'],
  ['丽', 'Li'],
  ['强', 'Qiang'],
  ['磊', 'Lei'],
  ['洋', 'Yang'],
  ['艳', 'Yan'],
  ['勇', 'Yong'],
  ['军', 'Jun'],
  ['杰', 'Jie'],
  ['娟', 'Juan'],
  ['涛', 'Tao'],
  ['明', 'Ming'],
  ['超', 'Chao'],
  ['秀英', 'XiuYing'],
  ['霞', 'Xia'],
  ['平', 'Ping'],
  ['刚', 'Gang'],
  ['晨', 'Chen'],
  ['欣怡', 'XinYi'],
  ['子涵', 'ZiHan'],
  ['浩然', 'HaoRan'],
  ['梓萱', 'ZiXuan'],
  ['宇轩', 'YuXuan'],
  ['雨桐', 'YuTong'],
  ['思远', 'SiYuan'],
  ['佳琪', 'JiaQi'],
];

/** WeChat nicknames that are not real names, as many customers have. */
export const NICKNAMES: readonly string[] = [
  '小鱼儿',
  '阳光',
  'Coco',
  'Momo',
  '安静的猫',
  '快乐每一天',
  'Lucky',
  '木子',
  '清风',
  'Ann',
  '橙子',
  '糖糖',
  '大海',
  'Kevin',
  '夏天',
  '追梦人',
  '🌸花花',
  'Sunny',
  '一杯咖啡',
  '岁月静好',
];

export const POSITIONS: readonly string[] = ['门店导购', '客户经理', '社群运营', '店长', '客服专员', '会员顾问'];

/** Departments of the fake corp: id 1 is the root. */
export const DEPARTMENTS: ReadonlyArray<{ id: number; name: string; parentid: number }> = [
  { id: 1, name: '总部', parentid: 0 },
  { id: 2, name: '销售部', parentid: 1 },
  { id: 3, name: '客服部', parentid: 1 },
  { id: 4, name: '门店运营部', parentid: 1 },
];

/** Companies of customers who are themselves WeCom users (type 2). */
export const COMPANIES: ReadonlyArray<readonly [string, string]> = [
  ['腾讯', '深圳市腾讯计算机系统有限公司'],
  ['美团', '北京三快在线科技有限公司'],
  ['字节跳动', '北京字节跳动科技有限公司'],
  ['京东', '北京京东世纪贸易有限公司'],
];

/** The default corp tag catalogue: groups of tags, like a consumer brand's. */
export const DEFAULT_TAG_GROUPS: ReadonlyArray<{ name: string; tags: readonly string[] }> = [
  { name: '客户等级', tags: ['普通会员', '银卡', '金卡', '钻石'] },
  { name: '兴趣偏好', tags: ['咖啡', '茶饮', '甜品', '轻食', '周边'] },
  { name: '来源渠道', tags: ['门店', '小程序', '直播', '朋友推荐', '线下活动'] },
  { name: '生命周期', tags: ['新客', '活跃', '沉睡', '流失风险'] },
];

/** `state` values of the channels (contact ways) that generated customers came through. */
export const CHANNEL_STATES: readonly string[] = ['store_sh_001', 'store_bj_002', 'poster_2024', 'live_0618', 'mini_program', 'moments_ad'];

export const GROUP_NAMES: readonly string[] = ['会员福利群', '新品尝鲜群', '门店粉丝群', '咖啡爱好者', '周末活动群', 'VIP 专属群'];
