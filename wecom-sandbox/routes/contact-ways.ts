import { encodeCursor, optBool, optInt, optString, pageSize, readCursor, reqString, stringList, type ApiRequest, type ApiRoute } from '../api.js';
import { fail } from '../errors.js';
import { SALT } from '../ids.js';
import type { ContactWay, SandboxState } from '../state.js';

const MAX_STATE = 30;
const MAX_USERS = 100;
const DAY = 86_400;

/** Checks and applies the fields of add_contact_way / update_contact_way onto `way`. */
function applyFields(state: SandboxState, way: ContactWay, body: ApiRequest['body']): void {
  const style = optInt(body.style, 'style');
  if (style !== undefined) way.style = style;
  const remark = optString(body.remark, 'remark');
  if (remark !== undefined) way.remark = remark;
  const skip = optBool(body.skip_verify, 'skip_verify');
  if (skip !== undefined) way.skipVerify = skip;
  const st = optString(body.state, 'state');
  if (st !== undefined) {
    if ([...st].length > MAX_STATE) fail('INVALID_PARAMETER', `state has ${[...st].length} characters, at most ${MAX_STATE}`);
    way.state = st;
  }
  if (body.user !== undefined) {
    const users = stringList(body.user, 'user', Number.MAX_SAFE_INTEGER);
    if (users.length > MAX_USERS) fail('CONTACT_WAY_TOO_MANY_USERS', `${users.length} users, at most ${MAX_USERS}`);
    for (const u of users) state.activeStaff(u, 'user');
    way.user = users;
  }
  if (body.party !== undefined) {
    if (!Array.isArray(body.party) || body.party.some((p) => !Number.isInteger(p))) fail('INVALID_PARAMETER', 'party must be a list of department ids');
    for (const p of body.party as number[]) if (!state.corp.departments().some((d) => d.id === p)) fail('DEPARTMENT_NOT_FOUND', `no department ${p}`);
    way.party = body.party as number[];
  }
  for (const [field, key] of [
    ['expires_in', 'expiresIn'],
    ['chat_expires_in', 'chatExpiresIn'],
  ] as const) {
    const n = optInt(body[field], field);
    if (n !== undefined) way[key] = n;
  }
  const unionid = optString(body.unionid, 'unionid');
  if (unionid !== undefined) way.unionid = unionid;
  if (body.conclusions !== undefined) way.conclusions = body.conclusions;
  if (!way.user.length && !way.party.length) fail('INVALID_PARAMETER', 'user and party cannot both be empty');
  if (way.type === 1 && (way.user.length !== 1 || way.party.length))
    fail('INVALID_PARAMETER', 'a type 1 (single member) contact way has exactly one user and no party');
}

function findWay(state: SandboxState, configId: unknown): ContactWay {
  const id = reqString(configId, 'config_id', 'CONFIG_ID_MISSING');
  return state.contactWays.get(id) ?? fail('INVALID_CONFIG_ID', `no contact way ${id}`);
}

/** The 「联系我」 object as get_contact_way returns it. */
function wayJson(way: ContactWay) {
  const out: Record<string, unknown> = { config_id: way.configId, type: way.type, scene: way.scene };
  if (way.style !== undefined) out.style = way.style;
  Object.assign(out, { remark: way.remark, skip_verify: way.skipVerify, state: way.state });
  if (way.scene === 2) out.qr_code = qrCode(way.configId);
  Object.assign(out, { user: way.user, party: way.party, is_temp: way.isTemp });
  if (way.isTemp)
    Object.assign(out, {
      expires_in: way.expiresIn ?? 7 * DAY,
      chat_expires_in: way.chatExpiresIn ?? DAY,
      unionid: way.unionid ?? '',
      conclusions: way.conclusions ?? {},
    });
  out.is_exclusive = way.isExclusive;
  return out;
}

const qrCode = (configId: string) => `https://wework.qpic.cn/wwpic/sandbox_${configId}/0`;

/** 「联系我」 (contact ways) and welcome messages. */
export const contactWayRoutes: ApiRoute[] = [
  {
    method: 'POST',
    api: 'externalcontact/add_contact_way',
    handler: (state, { body }) => {
      const type = optInt(body.type, 'type') ?? fail('CONTACT_WAY_TYPE_MISSING', 'type is required (1 single member, 2 several)');
      if (type !== 1 && type !== 2) fail('INVALID_CONTACT_WAY_TYPE', `type is ${type}; 1 or 2 is accepted`);
      const scene = optInt(body.scene, 'scene') ?? fail('CONTACT_WAY_SCENE_MISSING', 'scene is required (1 mini program, 2 QR code)');
      if (scene !== 1 && scene !== 2) fail('INVALID_CONTACT_WAY_SCENE', `scene is ${scene}; 1 or 2 is accepted`);
      const isTemp = optBool(body.is_temp, 'is_temp') ?? false;
      if (isTemp && type !== 1) fail('INVALID_PARAMETER', 'a temporary session (is_temp) needs type 1');
      const way: ContactWay = {
        configId: state.newId(SALT.configId, 32, true),
        type,
        scene,
        remark: '',
        skipVerify: true,
        state: '',
        user: [],
        party: [],
        isTemp,
        isExclusive: optBool(body.is_exclusive, 'is_exclusive') ?? false,
        createTime: state.corp.nowSeconds(),
      };
      applyFields(state, way, body);
      state.contactWays.set(way.configId, way);
      return scene === 2 ? { config_id: way.configId, qr_code: qrCode(way.configId) } : { config_id: way.configId };
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/get_contact_way',
    handler: (state, { body }) => ({ contact_way: wayJson(findWay(state, body.config_id)) }),
  },
  {
    method: 'POST',
    api: 'externalcontact/update_contact_way',
    handler: (state, { body }) => {
      const way = findWay(state, body.config_id);
      const copy: ContactWay = { ...way, user: [...way.user], party: [...way.party] };
      applyFields(state, copy, body);
      Object.assign(way, copy);
      return {};
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/del_contact_way',
    handler: (state, { body }) => {
      state.contactWays.delete(findWay(state, body.config_id).configId);
      return {};
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/list_contact_way',
    handler: (state, { body }) => {
      const nowS = state.corp.nowSeconds();
      const end = optInt(body.end_time, 'end_time') ?? nowS;
      const start = optInt(body.start_time, 'start_time') ?? end - 90 * DAY;
      if (end < start) fail('INVALID_PARAMETER', 'end_time is before start_time');
      const limit = pageSize(body.limit, 'limit', { fallback: 100, max: 1000, over: 'max' });
      const ways = [...state.contactWays.values()].filter((w) => w.createTime >= start && w.createTime <= end);
      const [from] = readCursor(body.cursor, 'ways', 1) ?? [0];
      const page = ways.slice(from, from + limit);
      return { contact_way: page.map((w) => ({ config_id: w.configId })), next_cursor: from + limit < ways.length ? encodeCursor('ways', [from + limit]) : '' };
    },
  },
  {
    method: 'POST',
    api: 'externalcontact/send_welcome_msg',
    handler: (state, { body }) => {
      const code = reqString(body.welcome_code, 'welcome_code', 'WELCOME_CODE_MISSING');
      const entry = state.welcomeCodes.get(code);
      if (!entry) fail('INVALID_WELCOME_CODE', 'unknown welcome_code');
      if (entry.used) fail('ALREADY_CHATTING', 'the welcome_code was already used');
      if (state.corp.now() > entry.expiresAt)
        fail('INVALID_WELCOME_CODE', `the welcome_code expired: it can be used for ${state.welcomeCodeTtlMs / 1000} s after the event`);
      if (!state.corp.isAlive(entry.relation)) fail('INVALID_WELCOME_CODE', 'the customer and the member are no longer in contact');
      const text = body.text as { content?: unknown } | undefined;
      const attachments = body.attachments;
      if (attachments !== undefined && (!Array.isArray(attachments) || attachments.length > 9))
        fail('INVALID_PARAMETER', 'attachments must be a list of at most 9');
      const hasText = typeof text?.content === 'string' && text.content.length > 0;
      if (!hasText && !(Array.isArray(attachments) && attachments.length)) fail('EMPTY_CONTENT', 'text.content and attachments cannot both be empty');
      entry.used = true;
      const r = state.corp.relation(entry.relation);
      state.welcomeMessages.push({
        welcomeCode: code,
        userid: state.corp.staff[r.staff].userid,
        externalUserid: state.corp.externalUserid(r.customer),
        text: hasText ? { content: text!.content as string } : undefined,
        attachments: Array.isArray(attachments) ? attachments : undefined,
        at: state.corp.now(),
      });
      return {};
    },
  },
];
