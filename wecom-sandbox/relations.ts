/**
 * Follow relations (a member following a customer) in typed arrays, a struct of arrays: about
 * 30 bytes a relation, so 200,000 customers with 1.3 members each take ~8 MB. Each customer and
 * each member has a linked list of its relations, appended at the tail so that cursors handed
 * out stay valid while relations are added; a removed relation is only marked dead.
 */

const FLAG_ALIVE = 1;
const FLAG_BY_CUSTOMER = 2;

/** The relation store the fake corp builds on. */
export class RelationTable {
  relationCount = 0;
  protected relCustomer = new Int32Array(0);
  protected relStaff = new Uint16Array(0);
  protected relTime = new Uint32Array(0);
  protected relAddWay = new Uint8Array(0);
  /** Index into the corp's table of state strings. */
  protected relState = new Int32Array(0);
  protected relFlags = new Uint8Array(0);
  private relNextOfCustomer = new Int32Array(0);
  private relNextOfStaff = new Int32Array(0);
  private custFirst = new Int32Array(0);
  private custLast = new Int32Array(0);
  private readonly staffFirst: Int32Array;
  private readonly staffLast: Int32Array;

  constructor(staffCount: number) {
    this.staffFirst = new Int32Array(staffCount).fill(-1);
    this.staffLast = new Int32Array(staffCount).fill(-1);
  }

  protected ensureCustomerCapacity(n: number): void {
    if (n <= this.custFirst.length) return;
    const cap = Math.max(n, Math.ceil(this.custFirst.length * 1.5), 64);
    const grow = (a: Int32Array) => {
      const b = new Int32Array(cap).fill(-1);
      b.set(a);
      return b;
    };
    this.custFirst = grow(this.custFirst);
    this.custLast = grow(this.custLast);
  }

  protected ensureRelationCapacity(n: number): void {
    if (n <= this.relCustomer.length) return;
    const cap = Math.max(n, this.relCustomer.length * 2, 64);
    const grow = <T extends Int32Array | Uint32Array | Uint16Array | Uint8Array>(a: T, make: (cap: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.relCustomer = grow(this.relCustomer, (c) => new Int32Array(c));
    this.relStaff = grow(this.relStaff, (c) => new Uint16Array(c));
    this.relTime = grow(this.relTime, (c) => new Uint32Array(c));
    this.relAddWay = grow(this.relAddWay, (c) => new Uint8Array(c));
    this.relState = grow(this.relState, (c) => new Int32Array(c));
    this.relFlags = grow(this.relFlags, (c) => new Uint8Array(c));
    this.relNextOfCustomer = grow(this.relNextOfCustomer, (c) => new Int32Array(c));
    this.relNextOfStaff = grow(this.relNextOfStaff, (c) => new Int32Array(c));
  }

  protected appendRelation(customer: number, staff: number, r: { createTime: number; addWay: number; state: number; byCustomer: boolean }): number {
    this.ensureRelationCapacity(this.relationCount + 1);
    const id = this.relationCount++;
    this.relCustomer[id] = customer;
    this.relStaff[id] = staff;
    this.relTime[id] = r.createTime;
    this.relAddWay[id] = r.addWay;
    this.relState[id] = r.state;
    this.relFlags[id] = FLAG_ALIVE | (r.byCustomer ? FLAG_BY_CUSTOMER : 0);
    this.relNextOfCustomer[id] = -1;
    this.relNextOfStaff[id] = -1;
    if (this.custLast[customer] < 0) this.custFirst[customer] = id;
    else this.relNextOfCustomer[this.custLast[customer]] = id;
    this.custLast[customer] = id;
    if (this.staffLast[staff] < 0) this.staffFirst[staff] = id;
    else this.relNextOfStaff[this.staffLast[staff]] = id;
    this.staffLast[staff] = id;
    return id;
  }

  /** Ends a follow relation; cursors already handed out stay valid. */
  removeRelation(id: number): void {
    this.relFlags[id] &= ~FLAG_ALIVE;
  }

  /** True for a relation that exists and has not been removed. */
  isAlive(id: number): boolean {
    return id >= 0 && id < this.relationCount && (this.relFlags[id] & FLAG_ALIVE) !== 0;
  }

  /** Live relations of a customer, oldest first. */
  relationsOfCustomer(customer: number): number[] {
    const out: number[] = [];
    for (let r = this.custFirst[customer] ?? -1; r >= 0; r = this.relNextOfCustomer[r]) if (this.relFlags[r] & FLAG_ALIVE) out.push(r);
    return out;
  }

  /** The live relation between a member and a customer, or -1. */
  relationBetween(staff: number, customer: number): number {
    for (let r = this.custFirst[customer] ?? -1; r >= 0; r = this.relNextOfCustomer[r])
      if (this.relStaff[r] === staff && this.relFlags[r] & FLAG_ALIVE) return r;
    return -1;
  }

  /** The first relation id of a member's list (for walking with {@link nextOfStaff}), or -1. */
  firstOfStaff(staff: number): number {
    return this.staffFirst[staff];
  }

  /** The relation after `id` in its member's list, or -1. */
  nextOfStaff(id: number): number {
    return this.relNextOfStaff[id];
  }

  /** Live relations of a member, oldest first. */
  relationsOfStaff(staff: number): number[] {
    const out: number[] = [];
    for (let r = this.staffFirst[staff]; r >= 0; r = this.relNextOfStaff[r]) if (this.relFlags[r] & FLAG_ALIVE) out.push(r);
    return out;
  }

  /** The customer index of a relation. */
  customerOf(id: number): number {
    return this.relCustomer[id];
  }

  /** The member index of a relation. */
  staffOf(id: number): number {
    return this.relStaff[id];
  }

  /** True when the customer added the member (scan, card), false when the member added the customer. */
  isByCustomer(id: number): boolean {
    return (this.relFlags[id] & FLAG_BY_CUSTOMER) !== 0;
  }
}
