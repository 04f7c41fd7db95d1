/**
 * The errcodes the sandbox answers with, and WeCom's errmsg wording for each. Numbers follow
 * WeCom's 全局错误码 page and the 客户联系 API pages; an answer is `{ errcode, errmsg }` with
 * HTTP 200, as WeCom does, and errmsg carries a `hint:` naming what the sandbox found wrong.
 */
export const ERRCODES = {
  SYSTEM_BUSY: [-1, 'system busy'],
  INVALID_CREDENTIAL: [40001, 'invalid credential'],
  INVALID_USERID: [40003, 'invalid userid'],
  INVALID_CORPID: [40013, 'invalid corpid'],
  INVALID_ACCESS_TOKEN: [40014, 'invalid access_token'],
  INVALID_CHATID: [40050, 'chatid not found'],
  INVALID_PARAMETER: [40058, 'invalid Request Parameter'],
  INVALID_TAGID: [40068, 'invalid tagid'],
  TAG_NAME_EXISTS: [40071, 'UserTag Name Already Exist'],
  INVALID_TAG_NAME_LENGTH: [40072, 'invalid tag name length'],
  INVALID_EXTERNAL_USERID: [40096, 'invalid external userid'],
  NOT_RESIGNED: [40097, 'handover user is not resigned'],
  IN_TRANSFER: [40100, 'external contact is already in transfer'],
  TRANSFER_TOO_OFTEN: [40128, 'customer transfer too frequently'],
  CUSTOMER_IN_TRANSFER: [40129, 'customer is in transfer'],
  SAME_HANDOVER_TAKEOVER: [40130, 'handover userid is same as takeover userid'],
  NOT_FOLLOWER: [40131, 'handover userid is not the follow user of the customer'],
  ACCESS_TOKEN_MISSING: [41001, 'access_token missing'],
  CORPID_MISSING: [41002, 'corpid missing'],
  SECRET_MISSING: [41004, 'corpsecret missing'],
  USERID_MISSING: [41009, 'missing userid'],
  EXTERNAL_USERID_MISSING: [41035, 'missing external userid'],
  CONTACT_WAY_TYPE_MISSING: [41037, 'missing contact way type'],
  CONTACT_WAY_SCENE_MISSING: [41038, 'missing contact way scene'],
  INVALID_CONTACT_WAY_TYPE: [41039, 'invalid contact way type'],
  INVALID_CONTACT_WAY_SCENE: [41040, 'invalid contact way scene'],
  CONTACT_WAY_TOO_MANY_USERS: [41041, 'contact way user count exceed limit'],
  CONFIG_ID_MISSING: [41043, 'missing config_id'],
  INVALID_CONFIG_ID: [41044, 'invalid config_id'],
  MSGID_MISSING: [41046, 'missing msgid'],
  INVALID_MSGID: [41047, 'invalid msgid'],
  NO_CUSTOMER: [41048, 'no available external contact to send'],
  WELCOME_CODE_MISSING: [41049, 'missing welcome code'],
  INVALID_WELCOME_CODE: [41050, 'invalid welcome code'],
  ALREADY_CHATTING: [41051, 'externaluser has started chatting'],
  ACCESS_TOKEN_EXPIRED: [42001, 'access_token expired'],
  REQUIRE_GET: [43001, 'require GET method'],
  REQUIRE_POST: [43002, 'require POST method'],
  EMPTY_CONTENT: [44004, 'empty content'],
  FREQ_OUT_OF_LIMIT: [45009, 'api freq out of limit'],
  DATA_FORMAT_ERROR: [47001, 'data format error'],
  INVALID_AGENTID: [40056, 'invalid agentid'],
  INVALID_CURSOR: [50100, 'invalid cursor'],
  ALL_RECIPIENTS_INVALID: [81013, 'user & party & tag all invalid'],
  DEPARTMENT_NOT_FOUND: [60123, 'invalid party id'],
  NOT_EXTERNAL_CONTACT: [84061, 'not external contact'],
} as const satisfies Record<string, readonly [number, string]>;

/** A name in the sandbox's errcode catalogue. */
export type ErrName = keyof typeof ERRCODES;

/** An expected WeCom failure; the server answers it as `{ errcode, errmsg }`. */
export class WeComApiError extends Error {
  readonly errcode: number;
  readonly errmsg: string;
  constructor(
    readonly code: ErrName,
    readonly hint?: string,
  ) {
    const [errcode, base] = ERRCODES[code];
    const errmsg = hint ? `${base}, hint: [${hint}]` : base;
    super(errmsg);
    this.name = 'WeComApiError';
    this.errcode = errcode;
    this.errmsg = errmsg;
  }
}

/** Throws the named WeCom error. */
export function fail(name: ErrName, hint?: string): never {
  throw new WeComApiError(name, hint);
}
