/**
 * A corp described member by member instead of generated from a seed: the members, customers,
 * follow relations and customer groups a brand has (the demo brand's, src/demo/wecom.ts). The
 * sandbox then answers WeCom's API over exactly these, so a Siyu workspace synced from it holds
 * the brand's staff, contacts and groups, linked to the brand's customers by unionid.
 */

/** A member (成员) of a described corp. */
export interface BrandStaff {
  userid: string;
  name: string;
  /** Department ids (the sandbox's: 1 总部, 2 销售部, 3 客服部, 4 门店运营部); default [4]. */
  department?: number[];
  position?: string;
  /** '1' male, '2' female. */
  gender?: '1' | '2';
}

/** A customer (外部联系人) of a described corp; its index in the list is its index in the corp. */
export interface BrandCustomer {
  name: string;
  /** The WeChat unionid: what links the WeCom contact to the brand's other channels (One ID). */
  unionid?: string;
  /** 0 unknown, 1 male, 2 female. */
  gender?: 0 | 1 | 2;
}

/** A member following a customer. */
export interface BrandRelation {
  /** Index into `customers`. */
  customer: number;
  userid: string;
  /** Seconds. */
  createTime: number;
  /** WeCom's add_way (1 scanned a QR code, 2 phone search, 3 card, 4 group chat, …); default 1 with a state, else 2. */
  addWay?: number;
  /** The contact way's `state` the customer came through (channel attribution). */
  state?: string;
  remark?: string;
  /** Corp tag names put on the relation (names of the corp's tag catalogue). */
  tags?: string[];
}

/** A customer group with its members. */
export interface BrandGroup {
  name: string;
  /** The owner's userid (a member of the corp). */
  owner: string;
  /** Seconds. */
  createTime: number;
  notice?: string;
  /** Members besides the owner: members of the corp by userid, customers by index; join time in seconds. */
  members: Array<{ userid: string; joinTime: number } | { customer: number; joinTime: number; joinScene?: 1 | 2 | 3 }>;
}

/** A described corp. */
export interface BrandCorp {
  staff: BrandStaff[];
  customers: BrandCustomer[];
  relations?: BrandRelation[];
  groups?: BrandGroup[];
}

const USERID = /^[A-Za-z0-9_.@-]{1,64}$/;

/** Checks a described corp; the message names the entry and what is wrong with it. */
export function checkBrand(brand: BrandCorp): void {
  if (!brand.staff.length) throw new Error('brand: staff must list at least one member');
  if (brand.staff.length > 65_535) throw new Error('brand: at most 65,535 members');
  const userids = new Set<string>();
  brand.staff.forEach((s, i) => {
    if (!USERID.test(s.userid)) throw new Error(`brand.staff[${i}].userid ${JSON.stringify(s.userid)}: 1 to 64 letters, digits, _ . @ -`);
    if (userids.has(s.userid)) throw new Error(`brand.staff[${i}].userid ${s.userid} is listed twice`);
    userids.add(s.userid);
  });
  const customer = (i: number, where: string) => {
    if (!Number.isInteger(i) || i < 0 || i >= brand.customers.length) throw new Error(`${where}: customer ${i} is not in brand.customers`);
  };
  const member = (u: string, where: string) => {
    if (!userids.has(u)) throw new Error(`${where}: ${u} is not in brand.staff`);
  };
  brand.relations?.forEach((r, i) => {
    customer(r.customer, `brand.relations[${i}]`);
    member(r.userid, `brand.relations[${i}]`);
    if (r.state !== undefined && r.state.length > 30) throw new Error(`brand.relations[${i}].state is longer than 30 characters (WeCom's limit)`);
  });
  brand.groups?.forEach((g, i) => {
    member(g.owner, `brand.groups[${i}].owner`);
    g.members.forEach((m, k) =>
      'userid' in m ? member(m.userid, `brand.groups[${i}].members[${k}]`) : customer(m.customer, `brand.groups[${i}].members[${k}]`),
    );
  });
}
