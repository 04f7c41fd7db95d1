import { optInt, optString, reqString, stringList, type ApiRequest, type ApiRoute } from '../api.js';
import { fail } from '../errors.js';
import { SALT } from '../ids.js';
import type { SandboxState } from '../state.js';

/** A 「加入群聊」 join way, as add_join_way configured it. */
export interface JoinWay {
  configId: string;
  scene: 1 | 2;
  remark: string;
  autoCreateRoom: 0 | 1;
  roomBaseName: string;
  roomBaseId: number;
  chatIds: string[];
  state: string;
}

const MAX_STATE = 30;
const MAX_REMARK = 30;
const MAX_ROOM_BASE_NAME = 40;
const MAX_CHATS = 5;

// The join ways live beside the state (keyed by it) so the shared SandboxState stays unchanged.
const store = new WeakMap<SandboxState, Map<string, JoinWay>>();

/** The join ways of a sandbox, by config_id; tests read it to see what Siyu configured. */
export function joinWaysOf(state: SandboxState): Map<string, JoinWay> {
  let ways = store.get(state);
  if (!ways) {
    ways = new Map();
    store.set(state, ways);
  }
  return ways;
}

/** Checks the fields add_join_way and update_join_way share (both require scene and chat_id_list). */
function readFields(state: SandboxState, body: ApiRequest['body']): Omit<JoinWay, 'configId'> {
  const scene = optInt(body.scene, 'scene') ?? fail('CONTACT_WAY_SCENE_MISSING', 'scene is required (1 mini-program plugin, 2 QR code)');
  if (scene !== 1 && scene !== 2) fail('INVALID_CONTACT_WAY_SCENE', `scene is ${scene}; 1 or 2 is accepted`);
  if (body.chat_id_list === undefined) fail('INVALID_PARAMETER', 'chat_id_list is required (1 to 5 customer group ids)');
  const chatIds = stringList(body.chat_id_list, 'chat_id_list', MAX_CHATS);
  if (!chatIds.length) fail('INVALID_PARAMETER', 'chat_id_list is empty; give 1 to 5 customer group ids');
  if (new Set(chatIds).size !== chatIds.length) fail('INVALID_PARAMETER', 'chat_id_list lists a group twice');
  for (const id of chatIds) state.groups.get(id);
  const st = optString(body.state, 'state') ?? '';
  if ([...st].length > MAX_STATE) fail('INVALID_PARAMETER', `state has ${[...st].length} characters, at most ${MAX_STATE}`);
  const autoCreate = optInt(body.auto_create_room, 'auto_create_room') ?? 1;
  if (autoCreate !== 0 && autoCreate !== 1) fail('INVALID_PARAMETER', `auto_create_room is ${autoCreate}; 0 or 1 is accepted`);
  const roomBaseName = optString(body.room_base_name, 'room_base_name') ?? '';
  if ([...roomBaseName].length > MAX_ROOM_BASE_NAME)
    fail('INVALID_PARAMETER', `room_base_name has ${[...roomBaseName].length} characters, at most ${MAX_ROOM_BASE_NAME}`);
  // WeCom truncates a long remark rather than refusing it.
  const remark = [...(optString(body.remark, 'remark') ?? '')].slice(0, MAX_REMARK).join('');
  return { scene, remark, autoCreateRoom: autoCreate, roomBaseName, roomBaseId: optInt(body.room_base_id, 'room_base_id') ?? 0, chatIds, state: st };
}

function findWay(state: SandboxState, configId: unknown): JoinWay {
  const id = reqString(configId, 'config_id', 'CONFIG_ID_MISSING');
  return joinWaysOf(state).get(id) ?? fail('INVALID_CONFIG_ID', `no join way ${id}`);
}

const qrCode = (configId: string) => `https://wework.qpic.cn/wwpic/sandbox_join_${configId}/0`;

/** Customer group 「加入群聊」: groupchat/add_join_way, get_join_way, update_join_way, del_join_way. */
export const joinWayRoutes: ApiRoute[] = [
  {
    method: 'POST',
    api: 'externalcontact/groupchat/add_join_way',
    handler: (state, { body }) => {
      const way: JoinWay = { configId: state.newId(SALT.configId, 32, true), ...readFields(state, body) };
      joinWaysOf(state).set(way.configId, way);
      return { config_id: way.configId };
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/groupchat/get_join_way',
    handler: (state, { body }) => {
      const way = findWay(state, body.config_id);
      const out: Record<string, unknown> = { config_id: way.configId, scene: way.scene, remark: way.remark, auto_create_room: way.autoCreateRoom };
      if (way.autoCreateRoom === 1) Object.assign(out, { room_base_name: way.roomBaseName, room_base_id: way.roomBaseId });
      out.chat_id_list = way.chatIds;
      if (way.scene === 2) out.qr_code = qrCode(way.configId);
      out.state = way.state;
      return { join_way: out };
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/groupchat/update_join_way',
    handler: (state, { body }) => {
      const way = findWay(state, body.config_id);
      Object.assign(way, readFields(state, body));
      return {};
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/groupchat/del_join_way',
    handler: (state, { body }) => {
      joinWaysOf(state).delete(findWay(state, body.config_id).configId);
      return {};
    },
  },
];
