import type { Identifier } from '../../src/cdp/identifiers.js';
import { createRandom, uuidLike } from './random.js';

/**
 * Identifier links for the identity benchmark: each link is the identifier set one event
 * carries. The population is conflict-free (every identifier belongs to one person and no person
 * exceeds a per-type limit), so a correct resolver must find exactly the connected components.
 *
 * Per person: 1-3 anonymous ids (60/30/10%), an app device id on 35% of them; 65% have a
 * user_id; phones on 60% of account holders (5% of others, from lead forms); one email on 45%
 * of account holders (a second on 8%), newsletter emails on 10% of others. Link kinds, weighted:
 * [anon] 40, [anon, user_id] 30, [anon, device_id] 15, [user_id, phone] 5, [user_id, email] 5,
 * [user_id, phone, email] 3, [anon, email] 3, [anon, phone] 2, [phone] 2.
 */
export interface LinkSet {
  links: Identifier[][];
  people: number;
  /** Distinct identifiers across all links. */
  identifiers: number;
}

interface Person {
  anon: Identifier[];
  device: (Identifier | null)[];
  user: Identifier | null;
  phone: Identifier | null;
  email: Identifier[];
}

const KINDS: [weight: number, make: (p: Person, k: number, e: number) => Identifier[] | null][] = [
  [40, (p, k) => [p.anon[k]!]],
  [30, (p, k) => (p.user ? [p.anon[k]!, p.user] : null)],
  [15, (p, k) => (p.device[k] ? [p.anon[k]!, p.device[k]!] : null)],
  [5, (p) => (p.user && p.phone ? [p.user, p.phone] : null)],
  [5, (p, _k, e) => (p.user && p.email.length ? [p.user, p.email[e % p.email.length]!] : null)],
  [3, (p) => (p.user && p.phone && p.email.length ? [p.user, p.phone, p.email[0]!] : null)],
  [3, (p, k, e) => (p.email.length ? [p.anon[k]!, p.email[e % p.email.length]!] : null)],
  [2, (p, k) => (p.phone ? [p.anon[k]!, p.phone] : null)],
  [2, (p) => (p.phone ? [p.phone] : null)],
];
const TOTAL_WEIGHT = KINDS.reduce((s, [w]) => s + w, 0);

/**
 * Generates `count` links over `people` people (default one person per eight links). A person's
 * identifier objects are shared by their links (a resolver only reads them), which keeps a
 * million links in ~150 MB. Links come in event order, not yet sorted by priority.
 */
export function generateLinks(opts: { count: number; seed: number; people?: number }): LinkSet {
  const r = createRandom(opts.seed);
  const n = opts.people ?? Math.max(10, Math.round(opts.count / 8));
  const people: Person[] = [];
  for (let i = 0; i < n; i++) {
    const anonCount = r.chance(0.1) ? 3 : r.chance(0.33) ? 2 : 1;
    const anon: Identifier[] = [];
    const device: (Identifier | null)[] = [];
    for (let k = 0; k < anonCount; k++) {
      anon.push({ type: 'anonymous_id', value: uuidLike(r) });
      device.push(r.chance(0.35) ? { type: 'device_id', value: r.hex(16).toUpperCase() } : null);
    }
    const registered = r.chance(0.65);
    const email: Identifier[] = [];
    if (r.chance(registered ? 0.45 : 0.1)) email.push({ type: 'email', value: `p${i}@example.com` });
    if (registered && email.length && r.chance(0.08)) email.push({ type: 'email', value: `p${i}.work@example.org` });
    people.push({
      anon,
      device,
      user: registered ? { type: 'user_id', value: `usr_${i.toString(36)}${r.hex(4)}` } : null,
      phone: r.chance(registered ? 0.6 : 0.05) ? { type: 'phone', value: `+86138${String(i).padStart(8, '0')}` } : null,
      email,
    });
  }

  const links: Identifier[][] = [];
  const seen = new Set<string>();
  while (links.length < opts.count) {
    const p = people[r.int(n)]!;
    let roll = r.next() * TOTAL_WEIGHT;
    let kind = 0;
    while (roll >= KINDS[kind]![0]) roll -= KINDS[kind++]![0];
    const link = KINDS[kind]![1](p, r.int(p.anon.length), r.int(2));
    if (!link) continue;
    links.push(link);
    for (const id of link) seen.add(id.type + '\u0000' + id.value);
  }
  return { links, people: n, identifiers: seen.size };
}

/**
 * The baseline resolver: a plain union-find keyed by "type\0value", with path compression
 * (halving) and union by size over typed arrays.
 */
export class UnionFind {
  readonly index = new Map<string, number>();
  private parent = new Int32Array(1024);
  private size = new Int32Array(1024);
  private n = 0;

  /** The element for an identifier key, created as a singleton on first sight. */
  element(key: string): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.n++;
      if (i === this.parent.length) {
        const parent = new Int32Array(i * 2);
        parent.set(this.parent);
        this.parent = parent;
        const size = new Int32Array(i * 2);
        size.set(this.size);
        this.size = size;
      }
      this.parent[i] = i;
      this.size[i] = 1;
      this.index.set(key, i);
    }
    return i;
  }

  /** The representative of an element's set. */
  find(i: number): number {
    const parent = this.parent;
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }

  /** Joins two sets, the smaller under the larger; returns the new representative. */
  union(a: number, b: number): number {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return ra;
    if (this.size[ra] < this.size[rb]) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] += this.size[rb];
    return ra;
  }

  /** Resolves one link: every identifier in it ends up in one set. */
  link(ids: Identifier[]): number {
    let root = this.element(ids[0]!.type + '\u0000' + ids[0]!.value);
    for (let i = 1; i < ids.length; i++) root = this.union(root, this.element(ids[i]!.type + '\u0000' + ids[i]!.value));
    return this.find(root);
  }

  /** Number of disjoint sets. */
  sets(): number {
    let c = 0;
    for (let i = 0; i < this.n; i++) if (this.parent[i] === i) c++;
    return c;
  }
}
