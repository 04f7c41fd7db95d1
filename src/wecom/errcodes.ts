/**
 * WeCom (企业微信) errcodes that the calls of `client.ts` can return, with their meanings.
 *
 * Source: WeCom's 全局错误码 page (developer.work.weixin.qq.com, document 90313) and the
 * 客户联系 API pages; the Chinese text follows WeCom's wording, the English is ours. WeCom asks
 * callers to decide on `errcode`, never on `errmsg` (its wording changes), so this table, not
 * the server's text, is what a `WeComError` explains itself with. The three error classes the
 * client throws live here too, so that every failure it can report is in one file.
 */

/** What an errcode means, in English and in WeCom's Chinese. */
export interface ErrcodeMeaning {
  readonly en: string;
  readonly zh: string;
}

const table: Record<number, ErrcodeMeaning> = {
  [-1]: { en: 'System busy; retry later (WeCom advises at most 3 retries)', zh: '系统繁忙' },
  0: { en: 'OK', zh: '请求成功' },

  // Credentials and tokens
  40001: { en: 'Invalid secret: check the app secret (or whether it was rotated)', zh: '不合法的secret参数' },
  40013: { en: 'Invalid CorpID', zh: '不合法的CorpID' },
  40014: { en: 'Invalid access_token', zh: '不合法的access_token' },
  41001: { en: 'access_token is missing', zh: '缺少access_token参数' },
  41002: { en: 'corpid is missing', zh: '缺少corpid参数' },
  41004: { en: 'corpsecret is missing', zh: '缺少secret参数' },
  42001: { en: 'access_token has expired; fetch a new one', zh: 'access_token已过期' },
  48002: { en: 'This app has no permission to call this API (add it to 客户联系 可调用接口的应用)', zh: 'API接口无权限调用' },
  60020: { en: "Calling IP address is not in the app's trusted IP list", zh: '访问ip不在白名单之中' },

  // Limits
  45009: { en: 'API call frequency limit exceeded; calls are refused for about a minute', zh: '接口调用超过限制' },
  45011: { en: 'API called too often; retry later', zh: 'API调用太频繁，请稍候再试' },
  45033: { en: 'Too many concurrent calls to this API', zh: '接口并发调用超过限制' },

  // Parameters
  40003: { en: 'Invalid UserID', zh: '无效的UserID' },
  40031: { en: 'Invalid UserID list', zh: '不合法的UserID列表' },
  40032: { en: 'Invalid UserID list length (too many userids)', zh: '不合法的UserID列表长度' },
  40035: { en: 'Invalid parameter', zh: '不合法的参数' },
  40058: { en: "Invalid parameter: a value is out of range or malformed (see the API's page)", zh: '不合法的参数' },
  40063: { en: 'A required parameter is empty', zh: '参数为空' },
  41009: { en: 'userid is missing', zh: '缺少userid参数' },
  43001: { en: 'This API must be called with GET', zh: '指定的请求必须使用GET方式' },
  43002: { en: 'This API must be called with POST', zh: '指定的请求必须使用POST方式' },
  44004: { en: 'Message content is empty (text.content and attachments both empty)', zh: '文本消息content参数为空' },
  47001: { en: 'The body is not valid JSON (or not a JSON object)', zh: '解析JSON/XML内容错误' },
  48001: { en: 'API not authorised for this app (or no such API)', zh: 'api未授权' },
  50100: { en: 'Invalid paging cursor', zh: '分页查询的游标无效' },

  // Staff and visibility
  46004: { en: 'The user does not exist', zh: '指定的用户不存在' },
  50002: { en: "The member is outside the app's visible range", zh: '成员不在权限范围' },
  60011: { en: 'No privilege to access this member, department or tag', zh: '指定的成员/部门/标签参数无权限' },
  60111: { en: 'UserID does not exist', zh: 'UserID不存在' },
  60123: { en: 'Invalid department id', zh: '无效的部门id' },

  // External contacts (客户)
  40096: { en: 'Invalid external_userid', zh: '不合法的外部联系人userid' },
  41035: { en: 'external_userid is missing', zh: '缺少外部联系人userid参数' },
  41054: { en: 'The user has not activated WeCom yet', zh: '该用户尚未激活' },
  41056: { en: 'Wrong kind of external contact id', zh: '外部联系人id类型不正确' },
  84061: { en: 'No external-contact relationship between this member and this customer', zh: '不存在外部联系人的关系' },
  84074: { en: 'No permission for external contacts (客户联系)', zh: '没有外部联系人权限' },

  // Corp tags (企业客户标签)
  40068: { en: 'Invalid tag id', zh: '不合法的标签ID' },
  40071: { en: 'Invalid tag name (a tag of that name already exists)', zh: '不合法的标签名字' },
  40072: { en: 'Invalid tag name length', zh: '不合法的标签名字长度' },
  40126: { en: 'Corp tag limit reached (at most 3,000 tags)', zh: '企业标签个数达到上限，最多为3000个' },
  41017: { en: 'tag id is missing', zh: '缺少tagid参数' },

  // Contact ways (联系我)
  41037: { en: 'Contact way: type is missing', zh: '缺少「联系我」type参数' },
  41038: { en: 'Contact way: scene is missing', zh: '缺少「联系我」scene参数' },
  41039: { en: 'Contact way: invalid type', zh: '无效的「联系我」type参数' },
  41040: { en: 'Contact way: invalid scene', zh: '无效的「联系我」scene参数' },
  41041: { en: 'Contact way: too many members', zh: '「联系我」使用人数超过限制' },
  41042: { en: 'Contact way: invalid style', zh: '无效的「联系我」style参数' },
  41043: { en: 'Contact way: config_id is missing', zh: '缺少「联系我」config_id参数' },
  41044: { en: 'Contact way: invalid config_id', zh: '无效的「联系我」config_id参数' },
  41045: { en: 'Contact ways added through the API reached their limit', zh: 'API添加「联系我」达到数量上限' },

  // Welcome messages (欢迎语)
  41049: { en: 'welcome_code is missing', zh: '缺少欢迎语code参数' },
  41050: { en: 'Invalid welcome_code: unknown, already used, or past its 20-second window', zh: '无效的欢迎语code' },
  41051: { en: 'The customer and the member have already started chatting (welcome message already delivered)', zh: '客户和服务人员已经开始聊天了' },
  41096: { en: 'Another app is sending the welcome message for this customer; it may still fail, so a retry is allowed', zh: '欢迎语正在被其他应用发送' },

  // Mass messages (企业群发)
  41046: { en: 'msgid is missing', zh: '缺少企业群发消息id' },
  41047: { en: 'Invalid msgid', zh: '无效的企业群发消息id' },
  41048: { en: 'No customer to send to', zh: '无可发送的客户' },
  41052: { en: 'Invalid send time', zh: '无效的发送时间' },
  41063: { en: 'The mass message is still being dispatched; retry later', zh: '群发消息正在被派发中，请稍后再试' },
  41064: { en: 'Attachment too large', zh: '附件大小超过限制' },
  41065: { en: 'Invalid attachment type', zh: '无效的附件类型' },

  // Customer groups (客户群)
  40050: { en: 'chat_id does not exist', zh: 'chatid不存在' },
  49008: { en: 'The group has been dissolved', zh: '群已经解散' },

  // App messages (应用消息)
  40056: { en: 'Invalid agentid (the app id of message/send)', zh: '不合法的agentid' },
  81013: { en: 'Every recipient (user, department and tag) is invalid', zh: 'UserID、部门ID、标签ID全部非法或无权限' },

  // Handover (在职继承 / 离职继承)
  40097: { en: 'The member has not left the company (resigned transfer needs a departed member)', zh: '该成员尚未离职' },
  40098: { en: 'The takeover member has not verified their real name', zh: '成员尚未实名认证' },
  40099: { en: 'The takeover member has reached their external-contact limit', zh: '外部联系人的数量已达上限' },
  40100: { en: "This member's customers are already being transferred", zh: '此用户的外部联系人已经在转移流程中' },
  40128: {
    en: 'Customer transferred too often (once in 90 days, at most twice in all)',
    zh: '客户转接过于频繁（90天内只允许转接一次，同一个客户最多只能转接两次）',
  },
  40129: { en: 'The customer is being transferred', zh: '当前客户正在转接中' },
  40130: { en: 'Handover and takeover member are the same', zh: '原跟进人与接手人一样，不可继承' },
  40131: { en: 'handover_userid does not follow this customer', zh: 'handover_userid 并不是外部联系人的跟进人' },
};

/** Every errcode this client knows, frozen. */
export const WECOM_ERRCODES: Readonly<Record<number, ErrcodeMeaning>> = Object.freeze(table);

/** The meaning of an errcode; for one not in the table, a pointer to WeCom's own look-up page. */
export function errcodeMeaning(errcode: number): ErrcodeMeaning {
  return (
    table[errcode] ?? {
      en: `Errcode not in Siyu's table; see https://open.work.weixin.qq.com/devtool/query?e=${errcode}`,
      zh: `未收录的错误码，请查询 https://open.work.weixin.qq.com/devtool/query?e=${errcode}`,
    }
  );
}

// ── Retryable errcodes ───────────────────────────────────────────────────────────────────

/**
 * Errcodes WeCom answers before doing anything because of its rate limits: 45009 (frequency
 * limit, a block of about a minute), 45011 (too often) and 45033 (too many concurrent calls). A
 * call refused with one of them may be sent again, idempotent or not.
 */
export const RATE_LIMITED_ERRCODES: ReadonlySet<number> = new Set([45009, 45011, 45033]);

/** -1, system busy: may follow partial work, so only idempotent calls are sent again (WeCom advises at most 3 retries). */
export const SYSTEM_BUSY_ERRCODE = -1;

/**
 * The errcodes a later attempt may not meet again: the rate limits and "system busy". The client
 * backs off on them itself; callers that retry later (the callback inbox, the message dispatcher)
 * treat a WeComError with one of these as transient and any other errcode as WeCom's final answer.
 */
export const RETRYABLE_ERRCODES: ReadonlySet<number> = new Set([SYSTEM_BUSY_ERRCODE, ...RATE_LIMITED_ERRCODES]);

/** True for an errcode of {@link RETRYABLE_ERRCODES}. */
export function isRetryableErrcode(errcode: number): boolean {
  return RETRYABLE_ERRCODES.has(errcode);
}

// ── The errors the client throws ─────────────────────────────────────────────────────────

/** WeCom answered with a non-zero errcode; `meaning` comes from Siyu's table, not from `errmsg`. */
export class WeComError extends Error {
  readonly meaning: ErrcodeMeaning;
  constructor(
    readonly api: string,
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    const meaning = errcodeMeaning(errcode);
    super(`WeCom ${api}: errcode ${errcode}, ${meaning.en} (${meaning.zh}); errmsg: ${errmsg}`);
    this.name = 'WeComError';
    this.meaning = meaning;
  }
}

/** The request never got an answer: connection refused or reset, DNS failure, or the time-out passed. */
export class WeComNetworkError extends Error {
  constructor(
    readonly api: string,
    readonly timedOut: boolean,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`WeCom ${api}: ${timedOut ? 'no answer within the time-out' : `network error (${detail})`}`, options);
    this.name = 'WeComNetworkError';
  }
}

/** An answer that is not WeCom's JSON: an HTTP error page, HTML from a proxy, a truncated body. */
export class WeComBadResponseError extends Error {
  constructor(
    readonly api: string,
    readonly status: number,
    /** The first 200 characters of the body, with the secret and tokens blanked out. */
    readonly bodyStart: string,
    reason: string,
  ) {
    super(`WeCom ${api}: ${reason} (HTTP ${status}): ${bodyStart}`);
    this.name = 'WeComBadResponseError';
  }
}

/** True for the three failures the client throws (an errcode, no answer, or an answer that is not WeCom's). */
export function isWeComFailure(err: unknown): err is WeComError | WeComNetworkError | WeComBadResponseError {
  return err instanceof WeComError || err instanceof WeComNetworkError || err instanceof WeComBadResponseError;
}
