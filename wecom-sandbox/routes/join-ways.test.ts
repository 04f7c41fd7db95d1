import { afterAll, beforeAll, expect, it } from 'vitest';
import { createWeComClient, WeComError } from '../../src/wecom/client.js';
import { startSandbox } from '../test-helpers.js';
import { joinWaysOf } from './join-ways.js';

let h: Awaited<ReturnType<typeof startSandbox>>;
beforeAll(async () => {
  h = await startSandbox({ staff: 4, customers: 20, groups: 7 });
});
afterAll(() => h?.close());

const client = () => createWeComClient({ baseUrl: h.url, corpId: h.sb.credentials.corpId, secret: h.sb.credentials.secret, now: h.clock.now });
const chats = () => h.sb.state.groups.groups.map((g) => g.chatId);
const errcode = async (p: Promise<unknown>) =>
  p.then(
    () => 0,
    (e) => (e instanceof WeComError ? e.errcode : -999),
  );

it('adds, reads, updates and deletes a join way as WeCom documents it', async () => {
  const c = client();
  const { config_id } = await c.addJoinWay({
    scene: 2,
    remark: 'r'.repeat(40),
    chat_id_list: chats().slice(0, 2),
    state: 'gc_test',
    auto_create_room: 1,
    room_base_name: '福利群',
    room_base_id: 3,
  });
  const got = (await c.getJoinWay(config_id)).join_way;
  expect(got).toMatchObject({
    config_id,
    scene: 2,
    remark: 'r'.repeat(30),
    auto_create_room: 1,
    room_base_name: '福利群',
    room_base_id: 3,
    chat_id_list: chats().slice(0, 2),
    state: 'gc_test',
  });
  expect(got.qr_code).toMatch(/^https:\/\//);

  // update_join_way replaces the configuration; scene and chat_id_list are required again.
  await c.updateJoinWay({ config_id, scene: 1, chat_id_list: [chats()[3]!], auto_create_room: 0 });
  const after = (await c.getJoinWay(config_id)).join_way;
  expect(after).toMatchObject({ scene: 1, chat_id_list: [chats()[3]], auto_create_room: 0, state: '' });
  expect(after.qr_code).toBeUndefined();
  expect(await errcode(c.request({ api: 'externalcontact/groupchat/update_join_way', method: 'POST', body: { config_id, scene: 2 }, idempotent: true }))).toBe(
    40058,
  );

  await c.delJoinWay(config_id);
  expect(joinWaysOf(h.sb.state).has(config_id)).toBe(false);
  expect(await errcode(c.getJoinWay(config_id))).toBe(41044);
  expect(await errcode(c.delJoinWay(config_id))).toBe(41044);
});

it('refuses what WeCom refuses', async () => {
  const c = client();
  expect(await errcode(c.addJoinWay({ scene: 2, chat_id_list: chats().slice(0, 6) }))).toBe(40058);
  expect(await errcode(c.addJoinWay({ scene: 2, chat_id_list: [] }))).toBe(40058);
  expect(await errcode(c.addJoinWay({ scene: 3 as 2, chat_id_list: [chats()[0]!] }))).toBe(41040);
  expect(await errcode(c.addJoinWay({ scene: 2, chat_id_list: ['wrNOTAGROUP'] }))).toBe(40050);
  expect(await errcode(c.addJoinWay({ scene: 2, chat_id_list: [chats()[0]!], state: 's'.repeat(31) }))).toBe(40058);
  expect(await errcode(c.addJoinWay({ scene: 2, chat_id_list: [chats()[0]!, chats()[0]!] }))).toBe(40058);
  expect(
    await errcode(c.request({ api: 'externalcontact/groupchat/add_join_way', method: 'POST', body: { chat_id_list: [chats()[0]] }, idempotent: false })),
  ).toBe(41038);
});
