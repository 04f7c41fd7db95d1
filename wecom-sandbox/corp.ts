import { type BrandCorp, type BrandCustomer, checkBrand } from './brand.js';
import { createRng, hash32, hashChars, hashString, indexedIdCodec, SALT, unionidOf, type IndexedIdCodec } from './ids.js';
import { CHANNEL_STATES, COMPANIES, DEFAULT_TAG_GROUPS, DEPARTMENTS, GIVEN_NAMES, NICKNAMES, POSITIONS, SURNAMES } from './names.js';
import { RelationTable } from './relations.js';
import { TagCatalogue } from './tags.js';

/** Options of the fake corp generator. */
export interface FakeCorpOptions {
  corpId: string;
  /** Same seed (and corp id), same corp: staff, customers, relations, tags, groups. */
  seed?: number | string;
  /** Members (成员), at most 65,535; default 10. */
  staff?: number;
  /** Customers (外部联系人); default 200. 200,000 (with 200 staff) take about 25 MB and a second to generate. */
  customers?: number;
  /** Members who have left, with customers waiting to be reassigned; default staff / 20. */
  resignedStaff?: number;
  /** Corp tag groups; default a consumer brand's (客户等级, 兴趣偏好, 来源渠道, 生命周期). */
  tagGroups?: ReadonlyArray<{ name: string; tags: readonly string[] }>;
  /** Clock, epoch milliseconds. */
  now?: () => number;
  /**
   * A corp described member by member (brand.ts): its staff, customers and relations replace the
   * generated ones (`staff`, `customers` and `resignedStaff` are then ignored).
   */
  brand?: BrandCorp;
}

/** A member (成员). */
export interface Staff {
  readonly index: number;
  readonly userid: string;
  readonly name: string;
  readonly department: number[];
  readonly position: string;
  readonly gender: '1' | '2';
  resigned: boolean;
  /** Seconds; when the member left. */
  dimissionTime: number;
}

/** A customer (外部联系人), derived from its index. */
export interface Customer {
  readonly index: number;
  readonly externalUserid: string;
  readonly name: string;
  readonly type: 1 | 2;
  readonly gender: 0 | 1 | 2;
  readonly unionid?: string;
  readonly avatar: string;
  readonly corpName?: string;
  readonly corpFullName?: string;
  readonly position?: string;
}

/** Editable parts of a follow relation (remark, description, …). */
export interface RelationRemark {
  remark: string;
  description: string;
  remarkCorpName: string;
  remarkMobiles: string[];
}

/** A member following a customer (follow_user / follow_info). */
export interface Relation extends RelationRemark {
  readonly id: number;
  readonly customer: number;
  readonly staff: number;
  /** Seconds. */
  readonly createTime: number;
  readonly addWay: number;
  readonly state: string;
  /** True when the customer added the member (scan, card), false when the member added the customer. */
  readonly byCustomer: boolean;
}

const DAY = 86_400;
// add_way values of WeCom: 1 scanned QR code, 2 phone search, 3 shared card, 4 group chat, 5 phone contacts, 6 WeChat contacts, 202 assigned by admin.
const ADD_WAYS = [1, 1, 1, 2, 3, 4, 5, 6, 202] as const;
const CUSTOMER_ADDS = new Set([1, 3, 4]);

/**
 * The fake corp: members, customers, their follow relations (stored by {@link RelationTable})
 * and the tag catalogue. Customers, and the remarks and tags of generated relations, are derived
 * from the seed when read; only what the API or a callback changed is stored.
 */
export class FakeCorp extends RelationTable {
  readonly corpId: string;
  readonly seed: number;
  readonly now: () => number;
  readonly staff: Staff[] = [];
  readonly tags: TagCatalogue;
  /** Customers 0..customerCount-1 exist. */
  customerCount = 0;

  private readonly customerIds: IndexedIdCodec;
  private readonly staffByUserid = new Map<string, Staff>();
  private readonly states: string[] = [''];
  private readonly stateIndex = new Map<string, number>([['', 0]]);
  private readonly remarks = new Map<number, RelationRemark>();
  private readonly tagOverrides = new Map<number, number[]>();
  private generatedRelations = 0;
  private baseTagCount = 0;
  /** The described customers of a brand corp (by index); others are derived from the seed. */
  private brandCustomers: readonly BrandCustomer[] = [];

  constructor(options: FakeCorpOptions) {
    if (options.brand) checkBrand(options.brand);
    const staffCount = options.brand?.staff.length ?? options.staff ?? 10;
    const customers = options.brand?.customers.length ?? options.customers ?? 200;
    if (!Number.isInteger(staffCount) || staffCount < 1 || staffCount > 65_535) throw new Error(`staff must be an integer in 1..65535, got ${staffCount}`);
    if (!Number.isInteger(customers) || customers < 0 || customers > 5_000_000) throw new Error(`customers must be an integer in 0..5000000, got ${customers}`);
    super(staffCount);
    this.corpId = options.corpId;
    this.now = options.now ?? Date.now;
    this.seed = typeof options.seed === 'string' ? hashString(options.seed) : (options.seed ?? 1) >>> 0;
    const seed = hash32(this.seed, hashString(this.corpId));
    this.customerIds = indexedIdCodec(seed, 'wm', SALT.customerId);
    this.tags = new TagCatalogue(seed);

    const nowS = this.nowSeconds();
    if (options.brand) {
      this.describedStaff(options.brand);
      this.generateTags(options.tagGroups ?? DEFAULT_TAG_GROUPS, nowS);
      this.describedCustomers(options.brand);
      return;
    }
    this.generateStaff(staffCount, options.resignedStaff ?? Math.floor(staffCount / 20), nowS);
    this.generateTags(options.tagGroups ?? DEFAULT_TAG_GROUPS, nowS);
    this.generateCustomers(customers, nowS);
  }

  /** A brand's members as described (department 4 门店运营部 unless given). */
  private describedStaff(brand: BrandCorp): void {
    brand.staff.forEach((s, index) => {
      const staff: Staff = {
        index,
        userid: s.userid,
        name: s.name,
        department: s.department ?? [4],
        position: s.position ?? '',
        gender: s.gender ?? '2',
        resigned: false,
        dimissionTime: 0,
      };
      this.staff.push(staff);
      this.staffByUserid.set(s.userid, staff);
    });
  }

  /** A brand's customers and relations as described: no generated remarks or tags. */
  private describedCustomers(brand: BrandCorp): void {
    this.brandCustomers = brand.customers;
    this.ensureCustomerCapacity(brand.customers.length);
    this.customerCount = brand.customers.length;
    const relations = brand.relations ?? [];
    this.ensureRelationCapacity(relations.length + 16);
    for (const r of relations) {
      const id = this.addRelation(r.customer, this.staffByUserid.get(r.userid)!.index, {
        addWay: r.addWay ?? (r.state ? 1 : 2),
        state: r.state,
        byCustomer: CUSTOMER_ADDS.has(r.addWay ?? (r.state ? 1 : 2)),
        createTime: r.createTime,
      });
      if (r.remark) this.setRemark(id, { remark: r.remark });
      if (r.tags?.length)
        this.setRelationTags(
          id,
          r.tags.map((name) => this.tagByName(name)),
        );
    }
  }

  /** The index of a live corp tag by name; throws when the catalogue has none of that name. */
  tagByName(name: string): number {
    const tag = this.tags.liveTags().find((t) => t.name === name);
    if (!tag) throw new Error(`brand: no corp tag named ${JSON.stringify(name)} (give it in tagGroups)`);
    return tag.index;
  }

  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  // ── staff ─────────────────────────────────────────────────────────────────────────────

  private generateStaff(count: number, resigned: number, nowS: number): void {
    const rng = createRng(hash32(this.seed, SALT.name, 0xabc));
    for (let s = 0; s < count; s++) {
      const [surname, surnamePinyin] = rng.pick(SURNAMES);
      const [given, givenPinyin] = rng.pick(GIVEN_NAMES);
      let userid = surnamePinyin + givenPinyin;
      for (let n = 2; this.staffByUserid.has(userid); n++) userid = `${surnamePinyin}${givenPinyin}${n}`;
      const isResigned = s >= count - Math.min(resigned, count - 1);
      const staff: Staff = {
        index: s,
        userid,
        name: surname + given,
        department: [s === 0 ? 1 : 2 + (s % 3)],
        position: s === 0 ? '总经理' : rng.pick(POSITIONS),
        gender: rng.next() < 0.5 ? '1' : '2',
        resigned: isResigned,
        dimissionTime: isResigned ? nowS - (1 + rng.int(60)) * DAY : 0,
      };
      this.staff.push(staff);
      this.staffByUserid.set(userid, staff);
    }
  }

  /** A member by userid (resigned ones included). */
  findStaff(userid: unknown): Staff | undefined {
    return typeof userid === 'string' ? this.staffByUserid.get(userid) : undefined;
  }

  /** Members who have not left, in corp order. */
  activeStaff(): Staff[] {
    return this.staff.filter((s) => !s.resigned);
  }

  departments() {
    return DEPARTMENTS;
  }

  // ── customers ─────────────────────────────────────────────────────────────────────────

  private generateCustomers(count: number, nowS: number): void {
    this.ensureCustomerCapacity(count);
    this.ensureRelationCapacity(Math.ceil(count * 1.3) + 16);
    const staffCount = this.staff.length;
    const stateIds = CHANNEL_STATES.map((s) => this.internState(s));
    for (let i = 0; i < count; i++) {
      this.customerCount++;
      const h = hash32(this.seed, SALT.relation, i);
      // Skewed towards the first members: some have many customers, as top sales staff do.
      const primary = Math.floor(staffCount * Math.pow((h >>> 8) / 16_777_216, 1.6));
      const extra = h % 100 < 4 ? 2 : h % 100 < 22 ? 1 : 0;
      const chosen = [primary];
      for (let k = 1; k <= extra && chosen.length < staffCount; k++) {
        const s = hash32(this.seed, SALT.relation, i, k) % staffCount;
        if (!chosen.includes(s)) chosen.push(s);
      }
      for (let k = 0; k < chosen.length; k++) {
        const r = hash32(this.seed, SALT.relation, i, 100 + k);
        const withState = r % 100 < 35;
        const addWay = withState ? 1 : ADD_WAYS[(r >>> 8) % ADD_WAYS.length];
        this.appendRelation(i, chosen[k], {
          createTime: nowS - 730 * DAY + ((r >>> 4) % (729 * DAY)),
          addWay,
          state: withState ? stateIds[(r >>> 12) % stateIds.length] : 0,
          byCustomer: CUSTOMER_ADDS.has(addWay),
        });
      }
    }
    this.generatedRelations = this.relationCount;
  }

  /** A new customer (e.g. one who scans a contact way); returns its index. */
  addCustomer(): number {
    this.ensureCustomerCapacity(this.customerCount + 1);
    return this.customerCount++;
  }

  /** The customer of an external_userid, or undefined. */
  findCustomer(externalUserid: unknown): number | undefined {
    if (typeof externalUserid !== 'string') return undefined;
    const i = this.customerIds.decode(externalUserid);
    return i !== undefined && i < this.customerCount ? i : undefined;
  }

  externalUserid(index: number): string {
    return this.customerIds.encode(index);
  }

  /** Everything WeCom says about a customer, derived from the index. */
  customer(index: number): Customer {
    const described = this.brandCustomers[index];
    if (described) {
      return {
        index,
        externalUserid: this.externalUserid(index),
        name: described.name,
        type: 1,
        gender: described.gender ?? 0,
        unionid: described.unionid,
        avatar: `http://wx.qlogo.cn/mmhead/${hashChars(this.seed, SALT.avatar, index, 40)}/0`,
      };
    }
    const h = hash32(this.seed, SALT.name, index);
    const type: 1 | 2 = hash32(this.seed, SALT.customerType, index) % 25 === 0 ? 2 : 1;
    let name: string;
    if (h % 10 < 6) name = SURNAMES[h % SURNAMES.length][0] + GIVEN_NAMES[(h >>> 8) % GIVEN_NAMES.length][0];
    else name = NICKNAMES[(h >>> 8) % NICKNAMES.length];
    const company = COMPANIES[(h >>> 16) % COMPANIES.length];
    return {
      index,
      externalUserid: this.externalUserid(index),
      name,
      type,
      gender: (hash32(this.seed, SALT.gender, index) % 3) as 0 | 1 | 2,
      unionid: type === 1 ? unionidOf(this.seed, index) : undefined,
      avatar: `http://wx.qlogo.cn/mmhead/${hashChars(this.seed, SALT.avatar, index, 40)}/0`,
      ...(type === 2 ? { corpName: company[0], corpFullName: company[1], position: '经理' } : {}),
    };
  }

  // ── relations ─────────────────────────────────────────────────────────────────────────

  private internState(state: string): number {
    let i = this.stateIndex.get(state);
    if (i === undefined) {
      i = this.states.length;
      this.states.push(state);
      this.stateIndex.set(state, i);
    }
    return i;
  }

  /** Adds a follow relation (a member now follows a customer); returns the relation id. */
  addRelation(customer: number, staff: number, r: { addWay: number; state?: string; byCustomer: boolean; createTime?: number }): number {
    return this.appendRelation(customer, staff, {
      createTime: r.createTime ?? this.nowSeconds(),
      addWay: r.addWay,
      state: this.internState(r.state ?? ''),
      byCustomer: r.byCustomer,
    });
  }

  /** A relation with its remark and the rest, derived for generated ones. */
  relation(id: number): Relation {
    const customer = this.relCustomer[id];
    return {
      id,
      customer,
      staff: this.relStaff[id],
      createTime: this.relTime[id],
      addWay: this.relAddWay[id],
      state: this.states[this.relState[id]],
      byCustomer: this.isByCustomer(id),
      ...this.remarkOf(id, customer),
    };
  }

  private remarkOf(id: number, customer: number): RelationRemark {
    const set = this.remarks.get(id);
    if (set) return set;
    if (id >= this.generatedRelations) return { remark: '', description: '', remarkCorpName: '', remarkMobiles: [] };
    const h = hash32(this.seed, SALT.remark, id);
    const remark = h % 5 === 0 ? `${this.customer(customer).name}${['(老客)', '-VIP', '-门店'][(h >>> 4) % 3]}` : '';
    const mobile = h % 10 === 3 ? [`1${3 + ((h >>> 8) % 6)}${String(hash32(this.seed, SALT.remark, id, 1) % 1_000_000_000).padStart(9, '0')}`] : [];
    return { remark, description: '', remarkCorpName: '', remarkMobiles: mobile };
  }

  /** Replaces the editable parts of a relation (as a member editing the customer does). */
  setRemark(id: number, patch: Partial<RelationRemark>): void {
    const current = this.remarkOf(id, this.relCustomer[id]);
    this.remarks.set(id, { ...current, ...patch });
  }

  // ── tags on relations ─────────────────────────────────────────────────────────────────

  private generateTags(groups: ReadonlyArray<{ name: string; tags: readonly string[] }>, nowS: number): void {
    groups.forEach((g, gi) => {
      const group = this.tags.createGroup(g.name, groups.length - gi, nowS - 800 * DAY + gi * DAY);
      g.tags.forEach((name, ti) => this.tags.createTag(group, name, g.tags.length - ti, group.createTime));
    });
    this.baseTagCount = this.tags.tags.length;
  }

  /** Tag indexes on a relation (live tags only). */
  relationTags(id: number): number[] {
    let list = this.tagOverrides.get(id);
    if (!list) {
      list = [];
      if (id < this.generatedRelations && this.baseTagCount > 0) {
        const h = hash32(this.seed, SALT.tags, id);
        const n = [0, 0, 1, 1, 1, 2, 2, 3][h & 7];
        for (let k = 0; k < n; k++) {
          const t = hash32(this.seed, SALT.tags, id, k + 1) % this.baseTagCount;
          if (!list.includes(t)) list.push(t);
        }
      }
    }
    return list.filter((t) => !this.tags.tags[t].deleted);
  }

  /** Sets the tags of a relation (mark_tag). */
  setRelationTags(id: number, tags: number[]): void {
    this.tagOverrides.set(id, [...new Set(tags)]);
  }
}
