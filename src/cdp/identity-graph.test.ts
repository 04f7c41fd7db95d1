import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRuleBook, type Identifier, sortByPriority } from './identifiers.js';
import { IdentityGraph } from './identity-graph.js';

const rules = createRuleBook();

/** Identifier universe small enough that events collide often. */
const identifierArb = fc.oneof(
  fc.constantFrom('u0', 'u1', 'u2', 'u3').map((v) => ({ type: 'user_id', value: v })),
  fc.constantFrom('+8613800000000', '+8613800000001', '+8613800000002').map((v) => ({ type: 'phone', value: v })),
  fc.constantFrom('a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7').map((v) => ({ type: 'anonymous_id', value: v })),
  fc.constantFrom('d0', 'd1', 'd2').map((v) => ({ type: 'device_id', value: v })),
  fc.constantFrom('x@a.com', 'y@a.com').map((v) => ({ type: 'email', value: v })),
);
const eventArb = fc.uniqueArray(identifierArb, { minLength: 1, maxLength: 3, selector: (i) => i.type + i.value });
const eventsArb = fc.array(eventArb, { minLength: 1, maxLength: 25 });

const key = (i: Identifier) => `${i.type}:${i.value}`;

let seq = 0;
function run(events: Identifier[][]): Map<string, string> {
  const g = new IdentityGraph(rules, () => `prf_${String(++seq).padStart(8, '0')}`);
  events.forEach((ids, i) => g.resolve(sortByPriority([...ids], rules), `m${i}`, i));
  const out = new Map<string, string>();
  for (const [k, p] of g.owners) out.set(k.replace('\u0000', ':'), p);
  checkInvariants(g);
  return out;
}

function checkInvariants(g: IdentityGraph): void {
  for (const p of g.profiles.values()) {
    const perType = new Map<string, Set<string>>();
    for (const id of p.identifiers) {
      const s = perType.get(id.type) ?? new Set();
      s.add(id.value);
      perType.set(id.type, s);
      // Every identifier a profile holds is owned by that profile and no other.
      expect(g.owners.get(id.type + '\u0000' + id.value)).toBe(p.id);
    }
    for (const [type, vals] of perType) expect(vals.size).toBeLessThanOrEqual(rules.rule(type)!.maxPerProfile);
  }
  for (const owner of g.owners.values()) expect(g.profiles.has(owner)).toBe(true);
}

/** Partition as a canonical set of sorted groups. */
function partition(owners: Map<string, string>): string[] {
  const groups = new Map<string, string[]>();
  for (const [k, p] of owners) groups.set(p, [...(groups.get(p) ?? []), k]);
  return [...groups.values()].map((g) => g.sort().join(',')).sort();
}

/** Connected components with a plain union-find. */
function unionFind(events: Identifier[][]): { parts: string[]; conflictFree: boolean } {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    const p = parent.get(x)!;
    if (p === x) return x;
    const r = find(p);
    parent.set(x, r);
    return r;
  };
  for (const ev of events) {
    for (const id of ev) if (!parent.has(key(id))) parent.set(key(id), key(id));
    for (let i = 1; i < ev.length; i++) parent.set(find(key(ev[i]!)), find(key(ev[0]!)));
  }
  const groups = new Map<string, string[]>();
  for (const k of parent.keys()) groups.set(find(k), [...(groups.get(find(k)) ?? []), k]);
  let conflictFree = true;
  for (const g of groups.values()) {
    const counts = new Map<string, number>();
    for (const k of g) {
      const type = k.slice(0, k.indexOf(':'));
      counts.set(type, (counts.get(type) ?? 0) + 1);
    }
    for (const [type, n] of counts) if (n > rules.rule(type)!.maxPerProfile) conflictFree = false;
  }
  return { parts: [...groups.values()].map((g) => g.sort().join(',')).sort(), conflictFree };
}

describe('IdentityGraph', () => {
  it('links identifiers seen together and keeps them in one profile', () => {
    const owners = run([
      [{ type: 'anonymous_id', value: 'a1' }],
      [
        { type: 'user_id', value: 'u1' },
        { type: 'anonymous_id', value: 'a1' },
      ],
      [
        { type: 'user_id', value: 'u1' },
        { type: 'phone', value: '+8613800000000' },
      ],
    ]);
    expect(new Set(owners.values()).size).toBe(1);
  });

  it('never merges two logged-in people who share a device', () => {
    const g = new IdentityGraph(
      rules,
      (() => {
        let n = 0;
        return () => `prf_${++n}`;
      })(),
    );
    const alice = g.resolve(
      sortByPriority(
        [
          { type: 'user_id', value: 'alice' },
          { type: 'device_id', value: 'ipad' },
        ],
        rules,
      ),
      'm1',
      1,
    );
    const bob = g.resolve(
      sortByPriority(
        [
          { type: 'user_id', value: 'bob' },
          { type: 'device_id', value: 'ipad' },
        ],
        rules,
      ),
      'm2',
      2,
    );
    expect(bob).not.toBe(alice);
    // The device stays with its first owner; the refusal is recorded.
    expect(g.ownerOf({ type: 'device_id', value: 'ipad' })).toBe(alice);
    expect(g.merges).toEqual([
      expect.objectContaining({ kind: 'refused', fromProfileId: alice, intoProfileId: bob, identifier: { type: 'device_id', value: 'ipad' } }),
    ]);
  });

  it('detaches the lower-priority identifier, not the user id, on a conflict', () => {
    const g = new IdentityGraph(
      rules,
      (() => {
        let n = 0;
        return () => `prf_${++n}`;
      })(),
    );
    const p1 = g.resolve(
      [
        { type: 'user_id', value: 'u1' },
        { type: 'phone', value: '+8613800000000' },
      ],
      'm1',
      1,
    );
    // Another account claims the same phone: the account gets its own profile, the phone stays.
    const p2 = g.resolve(
      [
        { type: 'user_id', value: 'u2' },
        { type: 'phone', value: '+8613800000000' },
      ],
      'm2',
      2,
    );
    expect(p2).not.toBe(p1);
    expect(g.profiles.get(p2)!.identifiers).toEqual([{ type: 'user_id', value: 'u2' }]);
  });

  it('merges into the oldest profile and redirects the merged id', () => {
    const g = new IdentityGraph(
      rules,
      (() => {
        let n = 0;
        return () => `prf_${++n}`;
      })(),
    );
    const a = g.resolve([{ type: 'anonymous_id', value: 'a1' }], 'm1', 1);
    const b = g.resolve([{ type: 'user_id', value: 'u1' }], 'm2', 2);
    const merged = g.resolve(
      [
        { type: 'user_id', value: 'u1' },
        { type: 'anonymous_id', value: 'a1' },
      ],
      'm3',
      3,
    );
    expect(merged).toBe(a);
    expect(g.live(b)).toBe(a);
    expect(g.merges[0]).toMatchObject({ kind: 'merge', fromProfileId: b, intoProfileId: a, messageId: 'm3' });
  });

  it('property: on conflict-free input every arrival order gives the union-find partition', () => {
    fc.assert(
      fc.property(
        eventsArb.chain((evs) => fc.tuple(fc.constant(evs), fc.shuffledSubarray(evs, { minLength: evs.length, maxLength: evs.length }))),
        ([events, shuffled]) => {
          const uf = unionFind(events);
          fc.pre(uf.conflictFree);
          expect(partition(run(events))).toEqual(uf.parts);
          expect(partition(run(shuffled))).toEqual(uf.parts);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: in any order, limits hold and people with different user ids never share a profile', () => {
    fc.assert(
      fc.property(
        eventsArb.chain((evs) => fc.shuffledSubarray(evs, { minLength: evs.length, maxLength: evs.length })),
        (events) => {
          const owners = run(events); // checkInvariants runs inside
          const userProfiles = new Map<string, string>();
          for (const [k, p] of owners) if (k.startsWith('user_id:')) userProfiles.set(k, p);
          expect(new Set(userProfiles.values()).size).toBe(userProfiles.size);
        },
      ),
      { numRuns: 500 },
    );
  });
});
