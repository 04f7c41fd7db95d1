import { createHash } from 'node:crypto';
import type { BrandGroup } from './brand.js';
import type { FakeCorp } from './corp.js';
import { fail } from './errors.js';
import { hash32, indexedIdCodec, SALT, type IndexedIdCodec } from './ids.js';
import { GROUP_NAMES } from './names.js';

/**
 * Customer groups (客户群). Members are packed in an Int32Array: a member of the corp is stored
 * as -(staff index + 1), a customer as its index; join times and scenes sit in parallel arrays.
 */
export interface GroupChat {
  readonly index: number;
  readonly chatId: string;
  name: string;
  owner: number;
  /** Seconds. */
  readonly createTime: number;
  notice: string;
  admins: number[];
  members: Int32Array;
  joinTimes: Uint32Array;
  /** 1 invited directly, 2 invited by link, 3 scanned the group QR code. */
  joinScenes: Uint8Array;
  /** Who invited a member (member code to inviter code) when not the owner; invited members without an entry were invited by the owner. */
  invitors: Map<number, number>;
  dismissed: boolean;
  /** 0 normal, 1 owner left (离职待继承), 2 being inherited, 3 inherited. */
  status: 0 | 1 | 2 | 3;
}

/** A member of a group as callers name it: a userid or an external_userid. */
export type MemberRef = { staff: number } | { customer: number };

/** How a member is stored in `members`. */
export const encodeMember = (m: MemberRef) => ('staff' in m ? -(m.staff + 1) : m.customer);

/** The customer groups of the fake corp. */
export class GroupStore {
  readonly groups: GroupChat[] = [];
  private readonly ids: IndexedIdCodec;

  constructor(
    private readonly corp: FakeCorp,
    count: number,
    described?: readonly BrandGroup[],
  ) {
    this.ids = indexedIdCodec(hash32(corp.seed, SALT.chatId), 'wr', SALT.chatId);
    if (described) this.describe(described);
    else this.generate(count);
  }

  /** A brand's groups as described (brand.ts): owner, name, members with their join times and scenes. */
  private describe(described: readonly BrandGroup[]): void {
    for (const g of described) {
      const owner = this.corp.findStaff(g.owner)!.index;
      const group = this.create(owner, g.name, [], g.createTime);
      group.notice = g.notice ?? '';
      // addMembers numbers the members it adds: leave out the owner and repeats first so the numbers match.
      const seen = new Set<number>(group.members);
      const members = g.members
        .map((m) => ({ m, ref: ('userid' in m ? { staff: this.corp.findStaff(m.userid)!.index } : { customer: m.customer }) as MemberRef }))
        .filter(({ ref }) => !seen.has(encodeMember(ref)) && !!seen.add(encodeMember(ref)));
      this.addMembers(
        group,
        members.map((x) => x.ref),
        (k) => members[k]!.m.joinTime,
        (k) => {
          const m = members[k]!.m;
          return 'joinScene' in m && m.joinScene ? m.joinScene : 1;
        },
      );
    }
  }

  private generate(count: number): void {
    const staffCount = this.corp.staff.length;
    const nowS = this.corp.nowSeconds();
    for (let g = 0; g < count; g++) {
      const h = hash32(this.corp.seed, SALT.group, g);
      const owner = h % staffCount;
      const createTime = nowS - 400 * 86_400 + ((h >>> 3) % (399 * 86_400));
      const members: MemberRef[] = [{ staff: owner }];
      const others = (h >>> 7) % 3;
      for (let k = 0; k < others; k++) {
        const s = hash32(this.corp.seed, SALT.group, g, 1000 + k) % staffCount;
        if (!members.some((m) => 'staff' in m && m.staff === s)) members.push({ staff: s });
      }
      const customers = this.corp.customerCount === 0 ? 0 : Math.min(this.corp.customerCount, 3 + ((h >>> 11) % 60));
      for (let k = 0, tries = 0; k < customers && tries < customers * 4; tries++) {
        const c = hash32(this.corp.seed, SALT.group, g, 2000 + tries) % this.corp.customerCount;
        if (!members.some((m) => 'customer' in m && m.customer === c)) {
          members.push({ customer: c });
          k++;
        }
      }
      const group = this.create(owner, `${GROUP_NAMES[g % GROUP_NAMES.length]} ${g + 1}`, [], createTime);
      group.notice = h % 4 === 0 ? '欢迎加入，群内文明交流' : '';
      const span = Math.max(1, nowS - createTime);
      const joinTime = (k: number) => createTime + (hash32(this.corp.seed, SALT.group, g, 3000 + k) % span);
      const joinScene = (k: number) => (1 + (hash32(this.corp.seed, SALT.group, g, 4000 + k) % 3)) as 1 | 2 | 3;
      this.addMembers(group, members.slice(1), joinTime, joinScene);
      if (members.length > 2 && h % 3 === 0 && 'staff' in members[1]) group.admins = [members[1].staff];
      if (this.corp.staff[owner].resigned) group.status = 1;
    }
  }

  /** Creates a group owned by a member, with the owner as first member. */
  create(owner: number, name: string, members: MemberRef[], createTime = this.corp.nowSeconds()): GroupChat {
    const index = this.groups.length;
    const group: GroupChat = {
      index,
      chatId: this.ids.encode(index),
      name,
      owner,
      createTime,
      notice: '',
      admins: [],
      members: Int32Array.of(-(owner + 1)),
      joinTimes: Uint32Array.of(createTime),
      joinScenes: Uint8Array.of(1),
      invitors: new Map(),
      dismissed: false,
      status: 0,
    };
    this.groups.push(group);
    this.addMembers(
      group,
      members,
      () => createTime,
      () => 1,
    );
    return group;
  }

  /** A live (not dismissed) group by chat id. */
  find(chatId: unknown): GroupChat | undefined {
    if (typeof chatId !== 'string') return undefined;
    const i = this.ids.decode(chatId);
    const g = i === undefined ? undefined : this.groups[i];
    return g && !g.dismissed ? g : undefined;
  }

  /** Like {@link find}, failing with WeCom's errcode. */
  get(chatId: unknown): GroupChat {
    return this.find(chatId) ?? fail('INVALID_CHATID', `no customer group ${String(chatId)}`);
  }

  /** Adds members not already in the group; returns those added. */
  addMembers(group: GroupChat, refs: MemberRef[], joinTime: (k: number) => number, joinScene: (k: number) => 1 | 2 | 3): MemberRef[] {
    const present = new Set(group.members);
    const added: MemberRef[] = [];
    const codes: number[] = [];
    for (const ref of refs) {
      const code = encodeMember(ref);
      if (present.has(code)) continue;
      present.add(code);
      codes.push(code);
      added.push(ref);
    }
    if (!codes.length) return added;
    const n = group.members.length;
    const members = new Int32Array(n + codes.length);
    const times = new Uint32Array(n + codes.length);
    const scenes = new Uint8Array(n + codes.length);
    members.set(group.members);
    times.set(group.joinTimes);
    scenes.set(group.joinScenes);
    codes.forEach((code, k) => {
      members[n + k] = code;
      times[n + k] = joinTime(k);
      scenes[n + k] = joinScene(k);
    });
    Object.assign(group, { members, joinTimes: times, joinScenes: scenes });
    return added;
  }

  /** Removes members (never the owner); returns those removed. */
  removeMembers(group: GroupChat, refs: MemberRef[]): MemberRef[] {
    const drop = new Set(refs.map(encodeMember));
    drop.delete(-(group.owner + 1));
    const keep: number[] = [];
    const removed: MemberRef[] = [];
    group.members.forEach((code, k) => {
      if (drop.has(code)) removed.push(code < 0 ? { staff: -code - 1 } : { customer: code });
      else keep.push(k);
    });
    group.members = Int32Array.from(keep, (k) => group.members[k]);
    group.joinTimes = Uint32Array.from(keep, (k) => group.joinTimes[k]);
    group.joinScenes = Uint8Array.from(keep, (k) => group.joinScenes[k]);
    group.admins = group.admins.filter((s) => group.members.includes(-(s + 1)));
    for (const code of drop) group.invitors.delete(code);
    return removed;
  }

  /** member_version: a digest of the member list, as WeCom's LastMemVer / CurMemVer. */
  memberVersion(group: GroupChat): string {
    return createHash('md5')
      .update(Buffer.from(group.members.buffer, group.members.byteOffset, group.members.byteLength))
      .digest('hex');
  }

  /** The id a member is known by in WeCom: userid or external_userid. */
  memberId(code: number): string {
    return code < 0 ? this.corp.staff[-code - 1].userid : this.corp.externalUserid(code);
  }

  /** groupchat/get's `group_chat`. */
  toJson(group: GroupChat, needName: boolean) {
    const member_list = Array.from(group.members, (code, k) => {
      const scene = group.joinScenes[k];
      const base: Record<string, unknown> = { userid: this.memberId(code), type: code < 0 ? 1 : 2 };
      if (code >= 0) {
        const c = this.corp.customer(code);
        if (c.unionid) base.unionid = c.unionid;
        if (needName) base.name = c.name;
      } else if (needName) base.name = this.corp.staff[-code - 1].name;
      base.join_time = group.joinTimes[k];
      base.join_scene = scene;
      if (scene !== 3 && k > 0) base.invitor = { userid: this.memberId(group.invitors.get(code) ?? -(group.owner + 1)) };
      base.group_nickname = '';
      return base;
    });
    return {
      chat_id: group.chatId,
      name: group.name,
      owner: this.corp.staff[group.owner].userid,
      create_time: group.createTime,
      notice: group.notice,
      member_list,
      admin_list: group.admins.map((s) => ({ userid: this.corp.staff[s].userid })),
      member_version: this.memberVersion(group),
    };
  }
}
