import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyScenario } from './scenarios.js';
import { startSandbox } from './test-helpers.js';

let h: Awaited<ReturnType<typeof startSandbox>>;
beforeAll(async () => {
  h = await startSandbox({ staff: 8, customers: 400, resignedStaff: 2, groups: 30, followUserPageSize: 2 });
});
afterAll(() => h?.close());

const active = () => h.sb.corp.activeStaff().map((s) => s.userid);

describe('staff', () => {
  it('pages user/list_id with a cursor and refuses a limit above 10,000', async () => {
    const first = await h.ok('user/list_id', { body: { limit: 4 } });
    const second = await h.ok('user/list_id', { body: { limit: 4, cursor: first.next_cursor } });
    expect(first.dept_user).toHaveLength(4);
    expect(second.next_cursor).toBe('');
    expect([...first.dept_user, ...second.dept_user].map((u: any) => u.userid)).toEqual(active());
    expect(await h.errcode('user/list_id', { body: { limit: 10_001 } })).toBe(40058);
    expect(await h.errcode('user/list_id', { body: { cursor: 'bm90IG91cnM' } })).toBe(50100);
  });

  it('lists department members and the members allowed to have customers', async () => {
    const all = await h.ok('user/simplelist', { query: { department_id: '1', fetch_child: '1' } });
    expect(all.userlist.map((u: any) => u.userid)).toEqual(active());
    expect(await h.errcode('user/simplelist', { query: { department_id: '99' } })).toBe(60123);
    expect((await h.ok('externalcontact/get_follow_user_list')).follow_user).toEqual(active());
  });
});

describe('customers', () => {
  it("lists a member's customers; 40003 for someone not in the corp", async () => {
    const { corp } = h.sb;
    const staff = corp.activeStaff()[0];
    const list = await h.ok('externalcontact/list', { query: { userid: staff.userid } });
    expect(list.external_userid).toEqual(corp.relationsOfStaff(staff.index).map((r) => corp.externalUserid(corp.customerOf(r))));
    expect(await h.errcode('externalcontact/list', { query: { userid: 'nobody' } })).toBe(40003);
  });

  it('pages follow_user of externalcontact/get with next_cursor', async () => {
    const { corp, state } = h.sb;
    const customer = corp.customerOf(corp.relationsOfStaff(0)[0]);
    const extId = corp.externalUserid(customer);
    for (const s of corp.activeStaff())
      if (corp.relationBetween(s.index, customer) < 0)
        applyScenario(state, { scenario: 'add-contact', userid: s.userid, externalUserid: extId, welcomeCode: false });
    const followers: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await h.ok('externalcontact/get', { query: { external_userid: extId, ...(cursor ? { cursor } : {}) } });
      expect(page.external_contact.external_userid).toBe(extId);
      expect(page.follow_user.length).toBeLessThanOrEqual(2);
      followers.push(...page.follow_user.map((f: any) => f.userid));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(new Set(followers)).toEqual(new Set(corp.relationsOfCustomer(customer).map((r) => corp.staff[corp.staffOf(r)].userid)));
    expect(followers.length).toBe(corp.relationsOfCustomer(customer).length);
    expect(pages).toBe(Math.ceil(followers.length / 2));
    expect(await h.errcode('externalcontact/get', { query: { external_userid: 'wmnotacustomer' } })).toBe(40096);
  });

  it('walks batch/get_by_user over several members exactly once, at most 100 a page', async () => {
    const { corp } = h.sb;
    const userids = active().slice(0, 4);
    const expected = userids.flatMap((u) => corp.relationsOfStaff(corp.findStaff(u)!.index).map((r) => `${u}/${corp.externalUserid(corp.customerOf(r))}`));
    expect(expected.length).toBeGreaterThan(100);
    const seen: string[] = [];
    let cursor = '';
    let sizes: number[] = [];
    do {
      const page = await h.ok('externalcontact/batch/get_by_user', { body: { userid_list: userids, cursor, limit: 1000 } });
      sizes.push(page.external_contact_list.length);
      for (const e of page.external_contact_list) {
        expect(Object.keys(e.follow_info)).toEqual(expect.arrayContaining(['userid', 'createtime', 'tag_id', 'add_way', 'oper_userid']));
        seen.push(`${e.follow_info.userid}/${e.external_contact.external_userid}`);
      }
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(expected);
    expect(Math.max(...sizes)).toBe(100); // a limit above 100 is taken as 100
    sizes = [];
    const small = await h.ok('externalcontact/batch/get_by_user', { body: { userid_list: userids } });
    expect(small.external_contact_list).toHaveLength(50); // WeCom's default
    expect(await h.errcode('externalcontact/batch/get_by_user', { body: { userid_list: Array(101).fill(userids[0]) } })).toBe(40058);
    expect(await h.errcode('externalcontact/batch/get_by_user', { body: { userid_list: ['nobody'] } })).toBe(40003);
    expect(await h.errcode('externalcontact/batch/get_by_user', { body: { userid_list: userids.slice(1), cursor: small.next_cursor } })).toBe(50100);
  });

  it('lists the customers of members who left, paged, until handed over', async () => {
    const { corp } = h.sb;
    const resigned = corp.staff.filter((s) => s.resigned);
    const expected = resigned.flatMap((s) => corp.relationsOfStaff(s.index).map((r) => corp.externalUserid(corp.customerOf(r))));
    const seen: string[] = [];
    let cursor = '';
    for (;;) {
      const page = await h.ok('externalcontact/get_unassigned_list', { body: { cursor, page_size: 7 } });
      expect(page.info.length).toBeLessThanOrEqual(7);
      seen.push(...page.info.map((i: any) => i.external_userid));
      expect(page.info.every((i: any) => i.dimission_time > 0 && resigned.some((s) => s.userid === i.handover_userid))).toBe(true);
      if (page.is_last) break;
      cursor = page.next_cursor;
    }
    expect(seen).toEqual(expected);
  });
});

describe('corp tags', () => {
  it('adds, lists, edits, marks and deletes tags as WeCom does', async () => {
    const added = await h.ok('externalcontact/add_corp_tag', { body: { group_name: '会员活动', tag: [{ name: '双11' }, { name: '周年庆', order: 2 }] } });
    expect(added.tag_group.group_name).toBe('会员活动');
    const [t1, t2] = added.tag_group.tag;
    expect(await h.errcode('externalcontact/add_corp_tag', { body: { group_id: added.tag_group.group_id, tag: [{ name: '双11' }] } })).toBe(40071);
    expect(await h.errcode('externalcontact/add_corp_tag', { body: { group_name: 'x', tag: [{ name: 'a'.repeat(31) }] } })).toBe(40072);

    const byTag = await h.ok('externalcontact/get_corp_tag_list', { body: { tag_id: [t1.id] } });
    expect(byTag.tag_group).toHaveLength(1);
    expect(byTag.tag_group[0].tag.map((t: any) => t.id)).toEqual([t1.id]);
    // with both, group_id filters and tag_id is ignored
    const both = await h.ok('externalcontact/get_corp_tag_list', { body: { tag_id: [t1.id], group_id: [added.tag_group.group_id] } });
    expect(both.tag_group[0].tag.map((t: any) => t.id)).toEqual([t1.id, t2.id]);

    await h.ok('externalcontact/edit_corp_tag', { body: { id: t1.id, name: '双十一' } });
    const { corp } = h.sb;
    const rel = corp.relationsOfStaff(0)[0];
    const userid = corp.staff[0].userid;
    const extId = corp.externalUserid(corp.customerOf(rel));
    await h.ok('externalcontact/mark_tag', { body: { userid, external_userid: extId, add_tag: [t1.id, t2.id] } });
    await h.ok('externalcontact/mark_tag', { body: { userid, external_userid: extId, remove_tag: [t2.id] } });
    const mine = (await h.ok('externalcontact/get', { query: { external_userid: extId } })).follow_user.find((f: any) => f.userid === userid);
    expect(mine.tags).toContainEqual({ group_name: '会员活动', tag_name: '双十一', tag_id: t1.id, type: 1 });
    expect(mine.tags.some((t: any) => t.tag_id === t2.id)).toBe(false);
    expect(await h.errcode('externalcontact/mark_tag', { body: { userid, external_userid: extId, add_tag: ['etnope'] } })).toBe(40068);

    await h.ok('externalcontact/del_corp_tag', { body: { tag_id: [t1.id, t2.id] } });
    const all = await h.ok('externalcontact/get_corp_tag_list', { body: {} });
    expect(all.tag_group.some((g: any) => g.group_id === added.tag_group.group_id)).toBe(false); // emptied group goes too
    const after = (await h.ok('externalcontact/get', { query: { external_userid: extId } })).follow_user.find((f: any) => f.userid === userid);
    expect(after.tags.some((t: any) => t.tag_id === t1.id)).toBe(false);
    expect(await h.errcode('externalcontact/edit_corp_tag', { body: { id: t1.id, name: 'x' } })).toBe(40068);
  });
});

describe('contact ways', () => {
  it("adds, gets, updates, lists and deletes a 「联系我」 with WeCom's checks", async () => {
    const user = active()[1];
    const made = await h.ok('externalcontact/add_contact_way', { body: { type: 1, scene: 2, state: 'store_gz_01', user: [user], remark: '广州店' } });
    expect(made.config_id).toMatch(/^[0-9a-f]{32}$/);
    expect(made.qr_code).toMatch(/^https:\/\//);
    const got = await h.ok('externalcontact/get_contact_way', { body: { config_id: made.config_id } });
    expect(got.contact_way).toMatchObject({
      config_id: made.config_id,
      type: 1,
      scene: 2,
      state: 'store_gz_01',
      user: [user],
      remark: '广州店',
      qr_code: made.qr_code,
    });
    await h.ok('externalcontact/update_contact_way', { body: { config_id: made.config_id, state: 'store_gz_02' } });
    expect((await h.ok('externalcontact/get_contact_way', { body: { config_id: made.config_id } })).contact_way.state).toBe('store_gz_02');
    expect((await h.ok('externalcontact/list_contact_way', { body: {} })).contact_way).toContainEqual({ config_id: made.config_id });

    expect(await h.errcode('externalcontact/add_contact_way', { body: { scene: 2, user: [user] } })).toBe(41037);
    expect(await h.errcode('externalcontact/add_contact_way', { body: { type: 3, scene: 2, user: [user] } })).toBe(41039);
    expect(await h.errcode('externalcontact/add_contact_way', { body: { type: 1, user: [user] } })).toBe(41038);
    expect(await h.errcode('externalcontact/add_contact_way', { body: { type: 1, scene: 2, user: [user, active()[2]] } })).toBe(40058);
    expect(await h.errcode('externalcontact/add_contact_way', { body: { type: 2, scene: 2, user: ['nobody'] } })).toBe(40003);
    expect(await h.errcode('externalcontact/add_contact_way', { body: { type: 1, scene: 2, user: [user], state: 'x'.repeat(31) } })).toBe(40058);
    expect(await h.errcode('externalcontact/update_contact_way', { body: { config_id: made.config_id, state: 'x'.repeat(31) } })).toBe(40058);
    expect((await h.ok('externalcontact/get_contact_way', { body: { config_id: made.config_id } })).contact_way.state).toBe('store_gz_02');

    await h.ok('externalcontact/del_contact_way', { body: { config_id: made.config_id } });
    expect(await h.errcode('externalcontact/get_contact_way', { body: { config_id: made.config_id } })).toBe(41044);
    expect(await h.errcode('externalcontact/get_contact_way', { body: {} })).toBe(41043);
  });
});

describe('customer groups', () => {
  it('pages groupchat/list, filters by owner and status, and requires limit 1..1000', async () => {
    const ids: string[] = [];
    let cursor = '';
    do {
      const page = await h.ok('externalcontact/groupchat/list', { body: { limit: 7, cursor } });
      expect(page.group_chat_list.length).toBeLessThanOrEqual(7);
      ids.push(...page.group_chat_list.map((g: any) => g.chat_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(ids).toEqual(h.sb.state.groups.groups.filter((g) => !g.dismissed).map((g) => g.chatId));
    const owner = h.sb.corp.staff[h.sb.state.groups.groups[0].owner].userid;
    const mine = await h.ok('externalcontact/groupchat/list', { body: { limit: 1000, owner_filter: { userid_list: [owner] } } });
    expect(mine.group_chat_list.length).toBe(h.sb.state.groups.groups.filter((g) => h.sb.corp.staff[g.owner].userid === owner).length);
    const orphaned = await h.ok('externalcontact/groupchat/list', { body: { limit: 1000, status_filter: 1 } });
    expect(orphaned.group_chat_list.every((g: any) => g.status === 1)).toBe(true);
    expect(await h.errcode('externalcontact/groupchat/list', { body: {} })).toBe(40058);
    expect(await h.errcode('externalcontact/groupchat/list', { body: { limit: 1001 } })).toBe(40058);
  });

  it('returns a group with its members', async () => {
    const g = h.sb.state.groups.groups[0];
    const got = await h.ok('externalcontact/groupchat/get', { body: { chat_id: g.chatId, need_name: 1 } });
    expect(got.group_chat.member_list).toHaveLength(g.members.length);
    expect(got.group_chat.member_list[0]).toMatchObject({ userid: h.sb.corp.staff[g.owner].userid, type: 1 });
    expect(got.group_chat.member_list.every((m: any) => typeof m.name === 'string')).toBe(true);
    expect(got.group_chat.member_version).toMatch(/^[0-9a-f]{32}$/);
    expect(await h.errcode('externalcontact/groupchat/get', { body: { chat_id: 'wrnope' } })).toBe(40050);
  });
});

describe('mass messages', () => {
  it('creates a task, reports it unsent, then sent once the member confirms', async () => {
    const { corp } = h.sb;
    const sender = corp.activeStaff()[0];
    const customers = corp
      .relationsOfStaff(sender.index)
      .slice(0, 3)
      .map((r) => corp.externalUserid(corp.customerOf(r)));
    const made = await h.ok('externalcontact/add_msg_template', {
      body: { sender: sender.userid, external_userid: [...customers, 'wmnotacustomer'], text: { content: '周末咖啡买一送一' } },
    });
    expect(made.fail_list).toEqual(['wmnotacustomer']);
    const nowS = Math.floor(h.clock.now() / 1000);
    const list = await h.ok('externalcontact/get_groupmsg_list_v2', { body: { chat_type: 'single', start_time: nowS - 3600, end_time: nowS + 3600 } });
    expect(list.group_msg_list).toContainEqual({ msgid: made.msgid, create_time: nowS, create_type: 0, text: { content: '周末咖啡买一送一' } });
    expect((await h.ok('externalcontact/get_groupmsg_task', { body: { msgid: made.msgid } })).task_list).toEqual([{ userid: sender.userid, status: 0 }]);
    h.sb.confirmGroupMsg(made.msgid);
    expect((await h.ok('externalcontact/get_groupmsg_task', { body: { msgid: made.msgid } })).task_list).toEqual([
      { userid: sender.userid, status: 2, send_time: nowS },
    ]);
    const result = await h.ok('externalcontact/get_groupmsg_send_result', { body: { msgid: made.msgid, userid: sender.userid, limit: 2 } });
    expect(result.send_list).toHaveLength(2);
    expect(result.send_list[0]).toEqual({ external_userid: customers[0], userid: sender.userid, status: 1, send_time: nowS });
    const rest = await h.ok('externalcontact/get_groupmsg_send_result', { body: { msgid: made.msgid, userid: sender.userid, cursor: result.next_cursor } });
    expect(rest.send_list.map((s: any) => s.external_userid)).toEqual([customers[2]]);
    expect(rest.next_cursor).toBe('');

    expect(await h.errcode('externalcontact/add_msg_template', { body: { sender: sender.userid } })).toBe(44004);
    expect(await h.errcode('externalcontact/get_groupmsg_list_v2', { body: { chat_type: 'single', start_time: nowS - 40 * 86_400, end_time: nowS } })).toBe(
      40058,
    );
    expect(await h.errcode('externalcontact/get_groupmsg_task', { body: { msgid: 'msgnope' } })).toBe(41047);
  });
});

describe('handover', () => {
  it('transfers a customer after 24 hours, with per-customer errcodes', async () => {
    const { corp } = h.sb;
    const [from, to] = corp.activeStaff();
    const rels = corp.relationsOfStaff(from.index).filter((r) => corp.relationBetween(to.index, corp.customerOf(r)) < 0);
    const ext = corp.externalUserid(corp.customerOf(rels[0]));
    const notMine = corp.externalUserid(
      corp.customerOf(corp.relationsOfStaff(corp.activeStaff()[3].index).find((r) => corp.relationBetween(from.index, corp.customerOf(r)) < 0)!),
    );
    const res = await h.ok('externalcontact/transfer_customer', {
      body: { handover_userid: from.userid, takeover_userid: to.userid, external_userid: [ext, notMine, 'wmnope'] },
    });
    expect(res.customer).toEqual([
      { external_userid: ext, errcode: 0 },
      { external_userid: notMine, errcode: 40131 },
      { external_userid: 'wmnope', errcode: 40096 },
    ]);
    const again = await h.ok('externalcontact/transfer_customer', {
      body: { handover_userid: from.userid, takeover_userid: to.userid, external_userid: [ext] },
    });
    expect(again.customer[0].errcode).toBe(40129);
    expect((await h.ok('externalcontact/transfer_result', { body: { handover_userid: from.userid, takeover_userid: to.userid } })).customer).toEqual([
      { external_userid: ext, status: 2, takeover_time: 0 },
    ]);
    h.clock.advance(24 * 3600_000);
    const done = await h.ok('externalcontact/transfer_result', { body: { handover_userid: from.userid, takeover_userid: to.userid } });
    expect(done.customer[0]).toMatchObject({ external_userid: ext, status: 1 });
    const followers = (await h.ok('externalcontact/get', { query: { external_userid: ext } })).follow_user.map((f: any) => f.userid);
    expect(followers).toContain(to.userid);
    expect(followers).not.toContain(from.userid);

    expect(
      await h.errcode('externalcontact/resigned/transfer_customer', {
        body: { handover_userid: from.userid, takeover_userid: to.userid, external_userid: [ext] },
      }),
    ).toBe(40097);
    expect(
      await h.errcode('externalcontact/transfer_customer', { body: { handover_userid: from.userid, takeover_userid: from.userid, external_userid: [ext] } }),
    ).toBe(40130);
  });

  it('hands the customers of a member who left to another', async () => {
    const { corp } = h.sb;
    const left = corp.staff.find((s) => s.resigned && corp.relationsOfStaff(s.index).length)!;
    const to = corp.activeStaff()[2];
    const ext = corp.externalUserid(corp.customerOf(corp.relationsOfStaff(left.index)[0]));
    const res = await h.ok('externalcontact/resigned/transfer_customer', {
      body: { handover_userid: left.userid, takeover_userid: to.userid, external_userid: [ext] },
    });
    expect(res.customer).toEqual([{ external_userid: ext, errcode: 0 }]);
    const unassigned = await h.ok('externalcontact/get_unassigned_list', { body: {} });
    expect(unassigned.info.some((i: any) => i.external_userid === ext && i.handover_userid === left.userid)).toBe(false);
    expect(h.sb.completeTransfers()).toBe(1);
    expect(
      (await h.ok('externalcontact/resigned/transfer_result', { body: { handover_userid: left.userid, takeover_userid: to.userid } })).customer[0].status,
    ).toBe(1);
  });
});
