/**
 * A client for WeCom's (企业微信) server API: access tokens, retries, errors, and typed calls
 * for staff, customers, tags, contact ways, welcome messages, customer groups, mass messages
 * and handover. See docs/wecom-client.md for the policy in prose.
 */
import { createHash } from 'node:crypto';
import { WeComBadResponseError, WeComError, WeComNetworkError } from './errcodes.js';
import type * as W from './types.js';

export { WeComBadResponseError, WeComError, WeComNetworkError } from './errcodes.js';

// ── Options ──────────────────────────────────────────────────────────────────────────────

/** The subset of a pino logger the client writes to; it never receives the secret or a token. */
export interface WeComLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Access tokens shared by every client built with it, keyed by (baseUrl, corpId, secret). */
export interface WeComTokenCache {
  /** @internal */
  readonly entries: Map<string, TokenEntry>;
}

interface TokenEntry {
  token?: string;
  /** Epoch ms after which the token is refreshed before use. */
  refreshAt: number;
  inflight?: Promise<string>;
  /** Tokens this entry has held, to blank them out of error text. */
  seen: string[];
}

/** A token cache to share between clients of one process (one per app secret is kept in it). */
export function createTokenCache(): WeComTokenCache {
  return { entries: new Map() };
}

/** How a client is built; only `corpId` and `secret` are required. */
export interface WeComClientOptions {
  /** Default `https://qyapi.weixin.qq.com`; the sandbox's address in tests. */
  baseUrl?: string;
  corpId: string;
  /** The 客户联系 secret or that of a self-built app allowed to call the 客户联系 APIs. */
  secret: string;
  fetch?: typeof globalThis.fetch;
  /** Epoch ms; decides when the cached token is refreshed. */
  now?: () => number;
  log?: WeComLogger;
  /** Share tokens between clients; each client has its own cache otherwise. */
  tokens?: WeComTokenCache;
  /** Requests in flight at once from this client (default 8). */
  maxConcurrency?: number;
  /** Back-off retries after a rate-limit or transient answer (default 5). */
  maxRetries?: number;
  /** First back-off ceiling; doubles each retry (default 2,000 ms). */
  baseDelayMs?: number;
  /** Largest back-off ceiling (default 32,000 ms). */
  maxDelayMs?: number;
  /** Per-request time-out (default 15,000 ms). */
  timeoutMs?: number;
  /** Refresh the token this long before WeCom's `expires_in` runs out (default 5 minutes). */
  refreshMarginMs?: number;
  /** Waits between retries; replace in tests so that nothing sleeps. */
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); the jitter source. */
  random?: () => number;
}

/** The options of a call made through `request`, for an API without a typed method yet. */
export interface CallSpec {
  /** Path under `/cgi-bin/`, e.g. `externalcontact/get`; also the `api` of errors. */
  api: string;
  method: 'GET' | 'POST';
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Safe to send twice: retried after network errors and -1 (system busy) too. */
  idempotent: boolean;
}

/**
 * Errcodes after which the token is refreshed once (single-flight) and the call retried:
 * 40014 invalid and 42001 expired token. 40001 (bad secret) is not here: a new token from the
 * same secret cannot help, so it is surfaced at once.
 */
const TOKEN_STALE = new Set([40014, 42001]);

/**
 * Errcodes after which the call is retried with exponential back-off and jitter. WeCom refuses
 * 45009/45011/45033 before doing anything, so any call may be retried; -1 (system busy) may
 * follow partial work, so only idempotent calls are retried, at most 3 times as WeCom advises.
 * A 45009 block lasts about a minute: the default ceilings 2+4+8+16+32 s span 31–62 s of waiting.
 */
const RATE_LIMITED = new Set([45009, 45011, 45033]);
const SYSTEM_BUSY = -1;

/** HTTP statuses retried like a network error (idempotent calls only), and 429 for any call. */
const TRANSIENT_STATUS = new Set([502, 503, 504]);

const noLog: WeComLogger = { debug() {}, warn() {} };

/** The WeCom client: every method resolves with WeCom's answer or throws one of the three errors above. */
export type WeComClient = ReturnType<typeof createWeComClient>;

/** Builds a WeCom client for one corp and one secret. */
export function createWeComClient(options: WeComClientOptions) {
  const baseUrl = (options.baseUrl ?? 'https://qyapi.weixin.qq.com').replace(/\/+$/, '');
  const { corpId, secret } = options;
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const log = options.log ?? noLog;
  const maxRetries = options.maxRetries ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 2_000;
  const maxDelayMs = options.maxDelayMs ?? 32_000;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const refreshMarginMs = options.refreshMarginMs ?? 5 * 60_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const limit = createLimiter(options.maxConcurrency ?? 8);

  // The key holds a digest of the secret, not the secret: caches get dumped in debuggers.
  const secretDigest = createHash('sha256').update(secret).digest('hex').slice(0, 32);
  const cache = options.tokens ?? createTokenCache();
  const key = `${baseUrl}\n${corpId}\n${secretDigest}`;
  let entry = cache.entries.get(key);
  if (!entry) {
    entry = { refreshAt: 0, seen: [] };
    cache.entries.set(key, entry);
  }
  const tokenEntry = entry;

  function redact(text: string): string {
    let out = text;
    // WeCom's secrets (43 characters) and tokens (~200) are long; a short value would blank out
    // ordinary words, so only values of 8 characters or more are replaced.
    for (const s of [secret, ...tokenEntry.seen]) if (s.length >= 8) out = out.split(s).join('[redacted]');
    return out;
  }

  async function getToken(): Promise<string> {
    if (tokenEntry.token && now() < tokenEntry.refreshAt) return tokenEntry.token;
    // Single flight: every caller arriving while a gettoken is out waits for that one.
    tokenEntry.inflight ??= fetchToken().finally(() => {
      tokenEntry.inflight = undefined;
    });
    return tokenEntry.inflight;
  }

  async function fetchToken(): Promise<string> {
    const res = await call<W.GetTokenResponse>({ api: 'gettoken', method: 'GET', query: { corpid: corpId, corpsecret: secret }, idempotent: true }, false);
    if (typeof res.access_token !== 'string' || !res.access_token || typeof res.expires_in !== 'number') {
      throw new WeComBadResponseError('gettoken', 200, '', 'answer without access_token or expires_in');
    }
    const lifetimeMs = res.expires_in * 1000;
    tokenEntry.token = res.access_token;
    tokenEntry.refreshAt = now() + lifetimeMs - Math.min(refreshMarginMs, lifetimeMs / 2);
    tokenEntry.seen = [res.access_token, ...tokenEntry.seen].slice(0, 4);
    log.debug({ api: 'gettoken', expiresIn: res.expires_in }, 'wecom: access token refreshed');
    return res.access_token;
  }

  /** Forget `stale` unless another caller already replaced it. */
  function invalidate(stale: string): void {
    if (tokenEntry.token === stale) {
      tokenEntry.token = undefined;
      tokenEntry.refreshAt = 0;
    }
  }

  async function send(spec: CallSpec, token: string | undefined): Promise<{ status: number; text: string }> {
    const params = new URLSearchParams();
    if (token) params.set('access_token', token);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) params.set(k, String(v));
    const url = `${baseUrl}/cgi-bin/${spec.api}?${params}`;
    const init: RequestInit = { method: spec.method };
    if (spec.method === 'POST') {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(spec.body ?? {});
    }
    try {
      return await limit(async () => {
        // The time-out starts when a slot is free: waiting in the queue is not WeCom's slowness.
        const res = await doFetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
        return { status: res.status, text: await res.text() };
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const cause = err instanceof Error ? (err.cause as { code?: string } | undefined) : undefined;
      const detail = redact(cause?.code ?? (err instanceof Error ? err.message : String(err)));
      throw new WeComNetworkError(spec.api, timedOut, detail, { cause: err });
    }
  }

  function parse(spec: CallSpec, status: number, text: string): Record<string, unknown> {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
    if (!isObject || (status >= 300 && typeof (body as { errcode?: unknown }).errcode !== 'number')) {
      const reason = isObject ? 'HTTP error' : 'answer is not a JSON object';
      throw new WeComBadResponseError(spec.api, status, redact(text.slice(0, 200)), reason);
    }
    return body as Record<string, unknown>;
  }

  function backoffDelay(retry: number): number {
    // "Equal jitter": half the ceiling for sure, the other half at random, so that callers that
    // were refused together spread out but none comes back immediately.
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  async function call<R extends W.WeComOk>(spec: CallSpec, auth = true): Promise<R> {
    let retries = 0;
    let refreshed = false;
    for (;;) {
      const token = auth ? await getToken() : undefined;
      let body: Record<string, unknown>;
      try {
        const { status, text } = await send(spec, token);
        body = parse(spec, status, text);
      } catch (err) {
        const transient =
          (err instanceof WeComNetworkError && spec.idempotent) ||
          (err instanceof WeComBadResponseError && (err.status === 429 || (spec.idempotent && TRANSIENT_STATUS.has(err.status))));
        if (transient && retries < maxRetries) {
          const delayMs = backoffDelay(retries++);
          log.warn({ api: spec.api, retry: retries, delayMs, error: (err as Error).message }, 'wecom: transient failure, retrying');
          await sleep(delayMs);
          continue;
        }
        throw err;
      }
      const errcode = typeof body.errcode === 'number' ? body.errcode : 0;
      if (errcode === 0) return body as unknown as R;
      const errmsg = redact(typeof body.errmsg === 'string' ? body.errmsg : '');
      if (token && TOKEN_STALE.has(errcode) && !refreshed) {
        refreshed = true;
        invalidate(token);
        log.debug({ api: spec.api, errcode }, 'wecom: token rejected, refreshing once');
        continue;
      }
      const retryLimit = RATE_LIMITED.has(errcode) ? maxRetries : errcode === SYSTEM_BUSY && spec.idempotent ? Math.min(3, maxRetries) : 0;
      if (retries < retryLimit) {
        const delayMs = backoffDelay(retries++);
        log.warn({ api: spec.api, errcode, retry: retries, delayMs }, 'wecom: rate limited or busy, backing off');
        await sleep(delayMs);
        continue;
      }
      throw new WeComError(spec.api, errcode, errmsg);
    }
  }

  const get = <R extends W.WeComOk>(api: string, query?: CallSpec['query']) => call<R>({ api, method: 'GET', query, idempotent: true });
  const read = <R extends W.WeComOk>(api: string, body: unknown) => call<R>({ api, method: 'POST', body, idempotent: true });
  const write = <R extends W.WeComOk>(api: string, body: unknown, idempotent = false) => call<R>({ api, method: 'POST', body, idempotent });

  /** Walks a cursor-paged call until WeCom returns no cursor. */
  async function* pages<R extends W.Cursored>(fetchPage: (cursor: string | undefined) => Promise<R>): AsyncGenerator<R> {
    let cursor: string | undefined;
    for (;;) {
      const page = await fetchPage(cursor);
      yield page;
      if (!page.next_cursor) return;
      if (page.next_cursor === cursor) throw new WeComBadResponseError('cursor', 200, '', 'the same next_cursor came back twice');
      cursor = page.next_cursor;
    }
  }

  return {
    /** The current access token, fetched or refreshed if needed (single-flight). */
    accessToken: getToken,

    /** Calls any API under `/cgi-bin/` with the token, retries and errors of the typed calls. */
    request: <R extends W.WeComOk>(spec: CallSpec) => call<R>(spec),

    // Staff
    /** `user/list_id`: one page of userids with their departments. */
    listUserIds: (req: W.ListUserIdsRequest = {}) => read<W.ListUserIdsResponse>('user/list_id', req),
    /** Every member's userid and department, walking `user/list_id` (a member in two departments comes twice). */
    async *iterateUserIds(pageSize = 10_000) {
      for await (const page of pages((cursor) => read<W.ListUserIdsResponse>('user/list_id', { cursor, limit: pageSize }))) yield* page.dept_user;
    },
    /** `user/simplelist`: the members of one department. */
    listDepartmentUsers: (departmentId: number) => get<W.SimpleListResponse>('user/simplelist', { department_id: departmentId }),
    /** `user/list`: the members of one department, with their details. */
    listDepartmentUserDetails: (departmentId: number) => get<W.UserListResponse>('user/list', { department_id: departmentId }),
    /** `externalcontact/get_follow_user_list`: the members allowed to have customers. */
    getFollowUserList: () => get<W.FollowUserListResponse>('externalcontact/get_follow_user_list'),

    // Customers
    /** `externalcontact/list`: the external userids of one member's customers. */
    listExternalContacts: (userid: string) => get<W.ListExternalContactsResponse>('externalcontact/list', { userid }),
    /** `externalcontact/get`: one customer and one page (≤ 500) of the members following them. */
    getExternalContact: (externalUserid: string, cursor?: string) =>
      get<W.GetExternalContactResponse>('externalcontact/get', { external_userid: externalUserid, cursor }),
    /** `externalcontact/get` with every page of `follow_user` joined. */
    async getExternalContactWithAllFollowers(externalUserid: string): Promise<W.GetExternalContactResponse> {
      let first: W.GetExternalContactResponse | undefined;
      for await (const page of pages((cursor) => get<W.GetExternalContactResponse>('externalcontact/get', { external_userid: externalUserid, cursor }))) {
        if (!first) first = { ...page, follow_user: [...page.follow_user] };
        else first.follow_user.push(...page.follow_user);
      }
      delete first!.next_cursor;
      return first!;
    },
    /** `externalcontact/batch/get_by_user`: one page of (customer, member) pairs for ≤ 100 members. */
    batchGetByUser: (req: W.BatchGetByUserRequest) => read<W.BatchGetByUserResponse>('externalcontact/batch/get_by_user', req),
    /**
     * Every (customer, member) pair for any number of members: asks for 100 members at a time
     * (WeCom's cap on `userid_list`) and walks each batch's cursor, `limit` pairs a page (≤ 100).
     */
    async *iterateExternalContactsByUser(userids: readonly string[], opts: { limit?: number } = {}): AsyncGenerator<W.BatchExternalContact> {
      const pageLimit = Math.min(100, Math.max(1, opts.limit ?? 100));
      for (let i = 0; i < userids.length; i += 100) {
        const userid_list = userids.slice(i, i + 100);
        const walk = pages((cursor) => read<W.BatchGetByUserResponse>('externalcontact/batch/get_by_user', { userid_list, cursor, limit: pageLimit }));
        for await (const page of walk) yield* page.external_contact_list;
      }
    },

    // Corp tags
    /** `externalcontact/get_corp_tag_list`: all tag groups, or those of the given tag or group ids. */
    getCorpTagList: (req: W.GetCorpTagListRequest = {}) => read<W.GetCorpTagListResponse>('externalcontact/get_corp_tag_list', req),
    /** `externalcontact/add_corp_tag`: adds tags to a group, creating the group when named by `group_name`. */
    addCorpTag: (req: W.AddCorpTagRequest) => write<W.AddCorpTagResponse>('externalcontact/add_corp_tag', req),
    /** `externalcontact/edit_corp_tag`: renames or reorders a tag or a tag group. */
    editCorpTag: (req: W.EditCorpTagRequest) => write<W.WeComOk>('externalcontact/edit_corp_tag', req, true),
    /** `externalcontact/del_corp_tag`: deletes tags, or whole groups. */
    delCorpTag: (req: W.DelCorpTagRequest) => write<W.WeComOk>('externalcontact/del_corp_tag', req),
    /** `externalcontact/mark_tag`: adds and removes corp tags on a customer, as seen by one member. */
    markTag: (req: W.MarkTagRequest) => write<W.WeComOk>('externalcontact/mark_tag', req, true),

    // Contact ways (联系我)
    /** `externalcontact/add_contact_way`: a "contact me" button or QR code. */
    addContactWay: (req: W.AddContactWayRequest) => write<W.AddContactWayResponse>('externalcontact/add_contact_way', req),
    /** `externalcontact/get_contact_way`. */
    getContactWay: (configId: string) => read<W.GetContactWayResponse>('externalcontact/get_contact_way', { config_id: configId }),
    /** `externalcontact/update_contact_way`: fields left out are kept. */
    updateContactWay: (req: W.UpdateContactWayRequest) => write<W.WeComOk>('externalcontact/update_contact_way', req, true),
    /** `externalcontact/del_contact_way`. */
    delContactWay: (configId: string) => write<W.WeComOk>('externalcontact/del_contact_way', { config_id: configId }),
    /** `externalcontact/list_contact_way`: config ids created in a time range, paged. */
    listContactWays: (req: W.ListContactWayRequest = {}) => read<W.ListContactWayResponse>('externalcontact/list_contact_way', req),

    // Welcome messages
    /** `externalcontact/send_welcome_msg`: once per welcome_code, within 20 s of the add-contact event; never retried after a network error. */
    sendWelcomeMsg: (req: W.SendWelcomeMsgRequest) => write<W.WeComOk>('externalcontact/send_welcome_msg', req),

    // Customer groups
    /** `externalcontact/groupchat/list`: one page of customer groups. */
    listGroupChats: (req: W.GroupChatListRequest) => read<W.GroupChatListResponse>('externalcontact/groupchat/list', req),
    /** Every customer group matching the filter, walking `groupchat/list` (`limit` ≤ 1,000 a page). */
    async *iterateGroupChats(filter: Omit<W.GroupChatListRequest, 'cursor' | 'limit'> = {}, opts: { limit?: number } = {}) {
      const pageLimit = Math.min(1000, Math.max(1, opts.limit ?? 1000));
      for await (const page of pages((cursor) => read<W.GroupChatListResponse>('externalcontact/groupchat/list', { ...filter, cursor, limit: pageLimit }))) {
        yield* page.group_chat_list;
      }
    },
    /** `externalcontact/groupchat/get`: a group with its members. */
    getGroupChat: (chatId: string, needName: 0 | 1 = 0) =>
      read<W.GroupChatGetResponse>('externalcontact/groupchat/get', { chat_id: chatId, need_name: needName }),

    // Group join ways (加入群聊)
    /** `externalcontact/groupchat/add_join_way`: a "join group" QR code or button over ≤ 5 groups. */
    addJoinWay: (req: W.AddJoinWayRequest) => write<W.AddJoinWayResponse>('externalcontact/groupchat/add_join_way', req),
    /** `externalcontact/groupchat/get_join_way`: the join way with its QR code. */
    getJoinWay: (configId: string) => read<W.GetJoinWayResponse>('externalcontact/groupchat/get_join_way', { config_id: configId }),
    /** `externalcontact/groupchat/update_join_way`: replaces the configuration (scene and chat_id_list required). */
    updateJoinWay: (req: W.UpdateJoinWayRequest) => write<W.WeComOk>('externalcontact/groupchat/update_join_way', req, true),
    /** `externalcontact/groupchat/del_join_way`. */
    delJoinWay: (configId: string) => write<W.WeComOk>('externalcontact/groupchat/del_join_way', { config_id: configId }),

    // Mass messages
    /** `externalcontact/add_msg_template`: a mass-message task; members confirm before it is sent. */
    addMsgTemplate: (req: W.AddMsgTemplateRequest) => write<W.AddMsgTemplateResponse>('externalcontact/add_msg_template', req),
    /** `externalcontact/get_groupmsg_list_v2`: mass messages created in a time range. */
    getGroupMsgListV2: (req: W.GetGroupMsgListV2Request) => read<W.GetGroupMsgListV2Response>('externalcontact/get_groupmsg_list_v2', req),
    /** `externalcontact/get_groupmsg_task`: which members have sent a mass message. */
    getGroupMsgTask: (req: W.GetGroupMsgTaskRequest) => read<W.GetGroupMsgTaskResponse>('externalcontact/get_groupmsg_task', req),
    /** `externalcontact/get_groupmsg_send_result`: to whom one member's sending went. */
    getGroupMsgSendResult: (req: W.GetGroupMsgSendResultRequest) => read<W.GetGroupMsgSendResultResponse>('externalcontact/get_groupmsg_send_result', req),

    // Handover
    /** `externalcontact/transfer_customer`: moves ≤ 100 customers of an employed member to another. */
    transferCustomer: (req: W.TransferCustomerRequest) => write<W.TransferCustomerResponse>('externalcontact/transfer_customer', req),
    /** `externalcontact/transfer_result`: how the customers of an employed member's transfer fared. */
    transferResult: (req: W.TransferResultRequest) => read<W.TransferResultResponse>('externalcontact/transfer_result', req),
    /** `externalcontact/resigned/transfer_customer`: moves ≤ 100 customers of a member who left. */
    resignedTransferCustomer: (req: W.ResignedTransferCustomerRequest) => write<W.TransferCustomerResponse>('externalcontact/resigned/transfer_customer', req),
    /** `externalcontact/resigned/transfer_result`. */
    resignedTransferResult: (req: W.TransferResultRequest) => read<W.TransferResultResponse>('externalcontact/resigned/transfer_result', req),
    /** `externalcontact/get_unassigned_list`: customers of members who left, not yet reassigned. */
    getUnassignedList: (req: W.GetUnassignedListRequest = {}) => read<W.GetUnassignedListResponse>('externalcontact/get_unassigned_list', req),

    // App messages
    /** `message/send`: an app message to members (by the app's `agentid`); never retried after a network error. */
    sendAppMessage: (req: W.AppMessageRequest) => write<W.AppMessageResponse>('message/send', req),
  };
}

/** At most `max` calls of `run` at once; the others wait in arrival order. */
function createLimiter(max: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async function run<R>(fn: () => Promise<R>): Promise<R> {
    if (active < max) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so `active` never drops below the queue's need.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
