import type { XmlField } from '../src/wecom/index.js';
import { encodeMember, type MemberRef } from './groups.js';
import type { SandboxState } from './state.js';

/**
 * Callback scenarios: what a customer, a member or an admin does in WeCom's apps, applied to the
 * sandbox's state, and the event WeCom would push about it (「客户联系 事件格式」). Because the
 * state changes first, an API read after the callback agrees with it.
 */
export type CallbackScenario =
  | { scenario: 'add-contact'; userid?: string; externalUserid?: string; configId?: string; state?: string; welcomeCode?: boolean }
  | { scenario: 'edit-contact'; userid?: string; externalUserid?: string; remark?: string; description?: string; addTags?: string[]; removeTags?: string[] }
  | { scenario: 'del-follow-user'; userid?: string; externalUserid?: string }
  | { scenario: 'del-external-contact'; userid?: string; externalUserid?: string }
  | { scenario: 'transfer-fail'; externalUserid?: string; reason?: 'customer_refused' | 'customer_limit_exceed' }
  | { scenario: 'group-create'; owner?: string; name?: string; members?: string[] }
  | { scenario: 'group-join'; chatId?: string; members?: string[]; joinScene?: 0 | 1 | 3; invitor?: string }
  | { scenario: 'group-quit'; chatId?: string; members?: string[]; quitScene?: 0 | 1 }
  | { scenario: 'group-rename'; chatId?: string; name?: string }
  | { scenario: 'group-dismiss'; chatId?: string }
  | { scenario: 'tag-create'; groupId?: string; groupName?: string; name?: string }
  | { scenario: 'tag-update'; tagId?: string; name?: string }
  | { scenario: 'tag-delete'; tagId?: string };

/** The scenario names, with what each one does, for help texts. */
export const SCENARIOS: Readonly<Record<CallbackScenario['scenario'], string>> = {
  'add-contact': 'a customer adds a member (through a contact way with --config-id, or directly); carries State and a WelcomeCode',
  'edit-contact': "a member edits a customer's remark or tags (edit_external_contact)",
  'del-follow-user': 'a customer deletes the member (del_follow_user)',
  'del-external-contact': 'a member deletes the customer (del_external_contact)',
  'transfer-fail': 'a pending handover fails: the customer refused, or the takeover member is at the limit (transfer_fail)',
  'group-create': 'a member creates a customer group (change_external_chat create)',
  'group-join': 'customers or members join a group (update, add_member); --invitor names the group member who invited them',
  'group-quit': 'members leave a group (update, del_member)',
  'group-rename': 'the group is renamed (update, change_name)',
  'group-dismiss': 'the owner dismisses the group (dismiss)',
  'tag-create': 'an admin creates a corp tag, or a tag group with --group-name (change_external_tag create)',
  'tag-update': 'an admin renames a corp tag or group (change_external_tag update)',
  'tag-delete': 'an admin deletes a corp tag or group (change_external_tag delete)',
};

/** A scenario that cannot be applied to the current state (unknown member, no such group, …). */
export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** What applying a scenario produced: the event's fields in WeCom's order, and the welcome code if any. */
export interface AppliedScenario {
  fields: Record<string, XmlField>;
  welcomeCode?: string;
}

function staffIndex(state: SandboxState, userid: string, what = 'member'): number {
  const s = state.corp.findStaff(userid);
  if (!s || s.resigned) throw new ScenarioError(`no active ${what} with userid "${userid}"`);
  return s.index;
}

function customerIndex(state: SandboxState, externalUserid: string): number {
  const c = state.corp.findCustomer(externalUserid);
  if (c === undefined) throw new ScenarioError(`no customer with external_userid "${externalUserid}"`);
  return c;
}

/** The live relation a scenario is about: the given pair, the member's or customer's first, or the corp's first. */
function pickRelation(state: SandboxState, userid?: string, externalUserid?: string): number {
  const { corp } = state;
  const staff = userid === undefined ? undefined : staffIndex(state, userid);
  const customer = externalUserid === undefined ? undefined : customerIndex(state, externalUserid);
  let rel = -1;
  if (staff !== undefined && customer !== undefined) rel = corp.relationBetween(staff, customer);
  else if (staff !== undefined) rel = corp.relationsOfStaff(staff)[0] ?? -1;
  else if (customer !== undefined) rel = corp.relationsOfCustomer(customer).find((r) => !corp.staff[corp.staffOf(r)].resigned) ?? -1;
  else for (let r = 0; r < corp.relationCount && rel < 0; r++) if (corp.isAlive(r) && !corp.staff[corp.staffOf(r)].resigned) rel = r;
  if (rel < 0) throw new ScenarioError(`no member follows ${externalUserid ?? 'that customer'}${userid ? ` as ${userid}` : ''}`);
  return rel;
}

function memberRefs(state: SandboxState, ids: string[]): MemberRef[] {
  return ids.map((id) => {
    const s = state.corp.findStaff(id);
    if (s) return { staff: s.index };
    return { customer: customerIndex(state, id) };
  });
}

const refId = (state: SandboxState, ref: MemberRef) => ('staff' in ref ? state.corp.staff[ref.staff].userid : state.corp.externalUserid(ref.customer));

/** Applies a scenario to the state and returns the event WeCom would send about it. */
export function applyScenario(state: SandboxState, spec: CallbackScenario): AppliedScenario {
  const { corp, groups } = state;
  const head = (event: string): Record<string, XmlField> => ({
    ToUserName: corp.corpId,
    FromUserName: 'sys',
    CreateTime: corp.nowSeconds(),
    MsgType: 'event',
    Event: event,
  });
  const contactEvent = (changeType: string, rel: number) => ({
    ...head('change_external_contact'),
    ChangeType: changeType,
    UserID: corp.staff[corp.staffOf(rel)].userid,
    ExternalUserID: corp.externalUserid(corp.customerOf(rel)),
  });
  const chatOf = (chatId?: string) => {
    const g = chatId === undefined ? groups.groups.find((x) => !x.dismissed) : groups.find(chatId);
    if (!g) throw new ScenarioError(chatId ? `no customer group ${chatId}` : 'the corp has no customer group');
    return g;
  };

  switch (spec.scenario) {
    case 'add-contact': {
      let staff: number;
      let channel = spec.state ?? '';
      if (spec.configId !== undefined) {
        const way = state.contactWays.get(spec.configId);
        if (!way) throw new ScenarioError(`no contact way ${spec.configId}`);
        const users = way.user.map((u) => staffIndex(state, u));
        const inParty = corp
          .activeStaff()
          .filter((s) => s.department.some((d) => way.party.includes(d)))
          .map((s) => s.index);
        const allowed = [...users, ...inParty];
        staff = spec.userid !== undefined ? staffIndex(state, spec.userid) : allowed[0];
        if (staff === undefined || !allowed.includes(staff))
          throw new ScenarioError(`member ${spec.userid ?? '(none)'} is not a user of contact way ${spec.configId}`);
        channel = spec.state ?? way.state;
      } else {
        staff = spec.userid !== undefined ? staffIndex(state, spec.userid) : corp.activeStaff()[0].index;
      }
      let customer: number;
      if (spec.externalUserid !== undefined) {
        customer = customerIndex(state, spec.externalUserid);
        if (corp.relationBetween(staff, customer) >= 0) throw new ScenarioError(`${corp.staff[staff].userid} already follows ${spec.externalUserid}`);
      } else customer = corp.addCustomer();
      const rel = corp.addRelation(customer, staff, { addWay: 1, state: channel, byCustomer: true });
      const welcomeCode = spec.welcomeCode === false ? undefined : state.issueWelcomeCode(rel);
      return { fields: { ...contactEvent('add_external_contact', rel), State: channel || undefined, WelcomeCode: welcomeCode }, welcomeCode };
    }
    case 'edit-contact': {
      const rel = pickRelation(state, spec.userid, spec.externalUserid);
      const r = corp.relation(rel);
      corp.setRemark(rel, {
        remark: spec.remark ?? `${corp.customer(r.customer).name}（已编辑）`,
        ...(spec.description !== undefined ? { description: spec.description } : {}),
      });
      if (spec.addTags?.length || spec.removeTags?.length) {
        const idx = (id: string) =>
          corp.tags.findTag(id)?.index ??
          (() => {
            throw new ScenarioError(`no tag ${id}`);
          })();
        const remove = new Set((spec.removeTags ?? []).map(idx));
        corp.setRelationTags(
          rel,
          [...corp.relationTags(rel), ...(spec.addTags ?? []).map(idx)].filter((t) => !remove.has(t)),
        );
      }
      return { fields: contactEvent('edit_external_contact', rel) };
    }
    case 'del-follow-user':
    case 'del-external-contact': {
      const rel = pickRelation(state, spec.userid, spec.externalUserid);
      corp.removeRelation(rel);
      return { fields: contactEvent(spec.scenario === 'del-follow-user' ? 'del_follow_user' : 'del_external_contact', rel) };
    }
    case 'transfer-fail': {
      const pending = state.transfers.find(
        (t) => t.status === 2 && (spec.externalUserid === undefined || corp.externalUserid(t.customer) === spec.externalUserid),
      );
      if (!pending) throw new ScenarioError('no handover is waiting' + (spec.externalUserid ? ` for ${spec.externalUserid}` : ''));
      const reason = spec.reason ?? 'customer_refused';
      pending.status = reason === 'customer_refused' ? 3 : 4;
      return {
        fields: {
          ...head('change_external_contact'),
          ChangeType: 'transfer_fail',
          FailReason: reason,
          UserID: corp.staff[pending.takeover].userid,
          ExternalUserID: corp.externalUserid(pending.customer),
        },
      };
    }
    case 'group-create': {
      const owner = spec.owner !== undefined ? staffIndex(state, spec.owner, 'owner') : corp.activeStaff()[0].index;
      const members = spec.members
        ? memberRefs(state, spec.members)
        : corp
            .relationsOfStaff(owner)
            .slice(0, 3)
            .map((r) => ({ customer: corp.customerOf(r) }));
      const group = groups.create(owner, spec.name ?? `新建客户群 ${groups.groups.length + 1}`, members);
      return { fields: { ...head('change_external_chat'), ChatId: group.chatId, ChangeType: 'create' } };
    }
    case 'group-join':
    case 'group-quit': {
      const group = chatOf(spec.chatId);
      const last = groups.memberVersion(group);
      let changed: MemberRef[];
      if (spec.scenario === 'group-join') {
        let refs = spec.members ? memberRefs(state, spec.members) : undefined;
        if (!refs) {
          const present = new Set(group.members);
          const c = corp.customerCount > 0 ? Array.from({ length: Math.min(corp.customerCount, 1000) }, (_, k) => k).find((k) => !present.has(k)) : undefined;
          refs = [{ customer: c ?? corp.addCustomer() }];
        }
        // Event JoinScene 0 direct invitation, 1 invitation link, 3 group QR code; member_list's join_scene is 1, 2, 3.
        const scene = spec.joinScene ?? 0;
        const invitor = spec.invitor === undefined ? undefined : encodeMember(memberRefs(state, [spec.invitor])[0]);
        if (invitor !== undefined && scene === 3) throw new ScenarioError('a join by the group QR code has no invitor');
        if (invitor !== undefined && !group.members.includes(invitor)) throw new ScenarioError(`the invitor "${spec.invitor}" is not a member of the group`);
        const nowS = corp.nowSeconds();
        changed = groups.addMembers(
          group,
          refs,
          () => nowS,
          () => (scene === 0 ? 1 : scene === 1 ? 2 : 3),
        );
        if (!changed.length) throw new ScenarioError('they are already members of the group');
        if (invitor !== undefined) for (const r of changed) group.invitors.set(encodeMember(r), invitor);
        return {
          fields: {
            ...head('change_external_chat'),
            ChatId: group.chatId,
            ChangeType: 'update',
            UpdateDetail: 'add_member',
            JoinScene: scene,
            MemChangeCnt: changed.length,
            MemChangeList: changed.map((r) => refId(state, r)),
            LastMemVer: last,
            CurMemVer: groups.memberVersion(group),
          },
        };
      }
      const refs = spec.members
        ? memberRefs(state, spec.members)
        : group.members.length > 1
          ? [
              group.members[group.members.length - 1] < 0
                ? { staff: -group.members[group.members.length - 1] - 1 }
                : { customer: group.members[group.members.length - 1] },
            ]
          : [];
      changed = groups.removeMembers(group, refs);
      if (!changed.length) throw new ScenarioError('none of them is a member of the group other than its owner');
      return {
        fields: {
          ...head('change_external_chat'),
          ChatId: group.chatId,
          ChangeType: 'update',
          UpdateDetail: 'del_member',
          QuitScene: spec.quitScene ?? 0,
          MemChangeCnt: changed.length,
          MemChangeList: changed.map((r) => refId(state, r)),
          LastMemVer: last,
          CurMemVer: groups.memberVersion(group),
        },
      };
    }
    case 'group-rename': {
      const group = chatOf(spec.chatId);
      group.name = spec.name ?? `${group.name}（改名）`;
      return { fields: { ...head('change_external_chat'), ChatId: group.chatId, ChangeType: 'update', UpdateDetail: 'change_name' } };
    }
    case 'group-dismiss': {
      const group = chatOf(spec.chatId);
      group.dismissed = true;
      return { fields: { ...head('change_external_chat'), ChatId: group.chatId, ChangeType: 'dismiss' } };
    }
    case 'tag-create': {
      const nowS = corp.nowSeconds();
      const tags = corp.tags;
      const existing =
        spec.groupId !== undefined ? tags.findGroup(spec.groupId) : spec.groupName !== undefined ? tags.findGroupByName(spec.groupName) : tags.liveGroups()[0];
      if (spec.groupId !== undefined && !existing) throw new ScenarioError(`no tag group ${spec.groupId}`);
      const name = spec.name ?? `新标签 ${tags.tags.length + 1}`;
      if (existing) {
        const { added } = tags.addTags({ groupId: existing.id, tags: [{ name }] }, nowS);
        return { fields: { ...head('change_external_tag'), Id: added[0].id, TagType: 'tag', ChangeType: 'create' } };
      }
      const { group } = tags.addTags({ groupName: spec.groupName ?? '新标签组', tags: [{ name }] }, nowS);
      return { fields: { ...head('change_external_tag'), Id: group.id, TagType: 'tag_group', ChangeType: 'create' } };
    }
    case 'tag-update':
    case 'tag-delete': {
      const tags = corp.tags;
      const id = spec.tagId ?? tags.liveTags()[0]?.id;
      if (!id) throw new ScenarioError('the corp has no tags');
      const isGroup = tags.findGroup(id) !== undefined;
      if (!isGroup && !tags.findTag(id)) throw new ScenarioError(`no tag or tag group ${id}`);
      if (spec.scenario === 'tag-update') {
        const current = isGroup ? tags.findGroup(id)!.name : tags.findTag(id)!.name;
        tags.edit(id, spec.name ?? `${current}*`, undefined);
      } else tags.delete(isGroup ? [] : [id], isGroup ? [id] : []);
      return {
        fields: {
          ...head('change_external_tag'),
          Id: id,
          TagType: isGroup ? 'tag_group' : 'tag',
          ChangeType: spec.scenario === 'tag-update' ? 'update' : 'delete',
        },
      };
    }
  }
}
