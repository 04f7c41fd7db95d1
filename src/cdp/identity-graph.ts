import type { Identifier, RuleBook } from './identifiers.js';

/** Consent for one purpose/channel, last write wins by event time. */
export interface ConsentEntry {
  granted: boolean;
  at: number;
}

/** A profile's state as the ingest path sees and changes it. */
export interface ProfileState {
  id: string;
  identifiers: Identifier[];
  traits: Record<string, unknown>;
  /** Event time of the write that set each trait (for last-write-wins by timestamp). */
  traitTimes: Record<string, number>;
  consent: Record<string, ConsentEntry>;
  firstSeenAt: number | null;
  lastSeenAt: number | null;
  /** Net: orders neither cancelled nor fully refunded. */
  orderCount: number;
  /** Net: grossSpentFen − refundedFen. */
  totalSpentFen: number;
  grossSpentFen: number;
  refundedFen: number;
  firstPurchaseAt: number | null;
  lastPurchaseAt: number | null;
  createdAt: number;
}

/** A recorded identity decision: a merge, or a merge refused because of an identifier limit. */
export interface MergeRecord {
  kind: 'merge' | 'refused';
  fromProfileId: string;
  intoProfileId: string;
  identifier: Identifier;
  messageId: string | null;
  reason: string;
  at: number;
}

/** A new empty profile state. */
export function emptyProfile(id: string, createdAt: number): ProfileState {
  return {
    id,
    identifiers: [],
    traits: {},
    traitTimes: {},
    consent: {},
    firstSeenAt: null,
    lastSeenAt: null,
    orderCount: 0,
    totalSpentFen: 0,
    grossSpentFen: 0,
    refundedFen: 0,
    firstPurchaseAt: null,
    lastPurchaseAt: null,
    createdAt,
  };
}

const minNullable = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const maxNullable = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/** Sets traits that are not older than what the profile holds (last write wins by event time; ties go to the later write). */
export function applyTraits(p: ProfileState, traits: Record<string, unknown>, at: number): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(traits)) {
    const prev = p.traitTimes[k];
    if (prev !== undefined && prev > at) continue;
    p.traits[k] = v;
    p.traitTimes[k] = at;
    changed = true;
  }
  return changed;
}

/** Folds the state of `from` into `into` (identifiers, traits by time, consent by time, aggregates). */
export function foldProfile(into: ProfileState, from: ProfileState): void {
  into.identifiers.push(...from.identifiers);
  for (const [k, t] of Object.entries(from.traitTimes)) {
    const mine = into.traitTimes[k];
    if (mine === undefined || t > mine) {
      into.traits[k] = from.traits[k];
      into.traitTimes[k] = t;
    }
  }
  for (const [k, c] of Object.entries(from.consent)) {
    const mine = into.consent[k];
    if (!mine || c.at > mine.at) into.consent[k] = c;
  }
  into.firstSeenAt = minNullable(into.firstSeenAt, from.firstSeenAt);
  into.lastSeenAt = maxNullable(into.lastSeenAt, from.lastSeenAt);
  into.orderCount += from.orderCount;
  into.totalSpentFen += from.totalSpentFen;
  into.grossSpentFen += from.grossSpentFen;
  into.refundedFen += from.refundedFen;
  into.firstPurchaseAt = minNullable(into.firstPurchaseAt, from.firstPurchaseAt);
  into.lastPurchaseAt = maxNullable(into.lastPurchaseAt, from.lastPurchaseAt);
  into.createdAt = Math.min(into.createdAt, from.createdAt);
}

const keyOf = (id: Identifier) => id.type + '\u0000' + id.value;

/**
 * One ID over a working set of profiles, in memory. The ingest path loads the profiles an
 * event batch touches, resolves every event here, and writes the recorded changes back in bulk.
 *
 * Rules: an event's identifiers are taken highest priority first; each brings in the profile that
 * owns it unless that would break a per-type limit (two user_ids, say), in which case that
 * identifier is refused and stays with its owner. The profiles brought in merge into the oldest
 * (smallest id); unowned identifiers attach to it; with none owned, a new profile is created.
 */
export class IdentityGraph {
  /** identifier key -> owning profile id (always a live profile). */
  readonly owners = new Map<string, string>();
  readonly profiles = new Map<string, ProfileState>();
  /** Profiles created in this working set. */
  readonly created = new Set<string>();
  /** Profiles whose state changed and must be written. */
  readonly dirty = new Set<string>();
  /** Merged-away profile id -> the profile it was merged into (follow with `live`). */
  readonly mergedAway = new Map<string, string>();
  /** Identifiers first seen here: identifier key -> (identifier, message id, time). */
  readonly newIdentifiers = new Map<string, { identifier: Identifier; messageId: string | null; at: number }>();
  readonly merges: MergeRecord[] = [];

  constructor(
    private readonly rules: RuleBook,
    private readonly newProfileId: (at: number) => string,
  ) {}

  /** Adds a stored profile (with all its identifiers) to the working set. */
  load(p: ProfileState): void {
    this.profiles.set(p.id, p);
    for (const id of p.identifiers) this.owners.set(keyOf(id), p.id);
  }

  /** The live profile for an id that may have been merged away in this working set. */
  live(profileId: string): string {
    let id = profileId;
    for (let next = this.mergedAway.get(id); next !== undefined; next = this.mergedAway.get(id)) id = next;
    // Path compression: later look-ups of the same chain take one step.
    if (id !== profileId) this.mergedAway.set(profileId, id);
    return id;
  }

  /** The profile owning an identifier, if any. */
  ownerOf(id: Identifier): string | undefined {
    return this.owners.get(keyOf(id));
  }

  private limit(type: string): number {
    return this.rules.rule(type)?.maxPerProfile ?? 1;
  }

  /** Whether adding `ids` to the per-type value sets `counts` keeps every type within its limit. */
  private fits(counts: Map<string, Set<string>>, ids: Identifier[]): string | undefined {
    const extra = new Map<string, Set<string>>();
    for (const id of ids) {
      const have = counts.get(id.type);
      if (have?.has(id.value)) continue;
      let e = extra.get(id.type);
      if (!e) extra.set(id.type, (e = new Set()));
      e.add(id.value);
    }
    for (const [type, vals] of extra) {
      const total = (counts.get(type)?.size ?? 0) + vals.size;
      if (total > this.limit(type)) return `a profile may hold at most ${this.limit(type)} ${type}`;
    }
    return undefined;
  }

  private count(counts: Map<string, Set<string>>, ids: Identifier[]): void {
    for (const id of ids) {
      let s = counts.get(id.type);
      if (!s) counts.set(id.type, (s = new Set()));
      s.add(id.value);
    }
  }

  /**
   * Resolves one event's identifiers (already normalised, highest priority first) to a live
   * profile id, merging, attaching and creating as the rules allow.
   */
  resolve(ids: Identifier[], messageId: string | null, at: number): string {
    const group: string[] = [];
    const linkedBy = new Map<string, Identifier>();
    const counts = new Map<string, Set<string>>();
    const fresh: Identifier[] = [];
    const refused: { id: Identifier; owner: string | undefined; reason: string }[] = [];
    for (const id of ids) {
      const owner = this.owners.get(keyOf(id));
      if (owner !== undefined) {
        if (group.includes(owner)) continue;
        const p = this.profiles.get(owner)!;
        const problem = this.fits(counts, p.identifiers);
        if (problem) refused.push({ id, owner, reason: `merge refused: ${problem}` });
        else {
          group.push(owner);
          linkedBy.set(owner, id);
          this.count(counts, p.identifiers);
        }
      } else {
        const problem = this.fits(counts, [id]);
        if (problem) refused.push({ id, owner: undefined, reason: `identifier not attached: ${problem}` });
        else {
          fresh.push(id);
          this.count(counts, [id]);
        }
      }
    }

    let target: string;
    if (group.length === 0) {
      target = this.newProfileId(at);
      this.profiles.set(target, emptyProfile(target, at));
      this.created.add(target);
    } else {
      target = group.reduce((a, b) => (b < a ? b : a));
      for (const other of group) if (other !== target) this.merge(other, target, linkedBy.get(other)!, messageId, at);
    }
    const tp = this.profiles.get(target)!;
    for (const id of fresh) {
      const k = keyOf(id);
      this.owners.set(k, target);
      tp.identifiers.push(id);
      this.newIdentifiers.set(k, { identifier: id, messageId, at });
    }
    if (fresh.length) this.dirty.add(target);
    for (const r of refused) {
      this.merges.push({ kind: 'refused', fromProfileId: r.owner ?? target, intoProfileId: target, identifier: r.id, messageId, reason: r.reason, at });
    }
    return target;
  }

  private merge(from: string, into: string, via: Identifier, messageId: string | null, at: number): void {
    const src = this.profiles.get(from)!;
    const dst = this.profiles.get(into)!;
    for (const id of src.identifiers) this.owners.set(keyOf(id), into);
    foldProfile(dst, src);
    this.profiles.delete(from);
    this.dirty.delete(from);
    this.dirty.add(into);
    this.mergedAway.set(from, into);
    this.merges.push({ kind: 'merge', fromProfileId: from, intoProfileId: into, identifier: via, messageId, reason: `shared ${via.type}`, at });
  }
}
