/** JSON schemas of the WeCom connection API; free of server code (the console derives its types from them). */

/** A connection as the API shows it (secrets masked). */
export const connectionSchema = {
  type: 'object',
  required: ['corpId', 'agentId', 'apiBaseUrl', 'secretSet', 'callbackTokenSet', 'encodingAesKeySet', 'callbackPath', 'createdAt', 'updatedAt'],
  properties: {
    corpId: { type: 'string' },
    agentId: { type: ['string', 'null'] },
    apiBaseUrl: { type: 'string' },
    secretSet: { type: 'boolean' },
    callbackTokenSet: { type: 'boolean' },
    encodingAesKeySet: { type: 'boolean' },
    callbackPath: { type: 'string', description: "WeCom's 接收事件服务器 URL is this server's public origin followed by this path" },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

/** Body of `PUT /v1/wecom/connection`. */
export const putBody = {
  type: 'object',
  required: ['corpId', 'secret', 'callbackToken', 'encodingAesKey'],
  additionalProperties: false,
  properties: {
    corpId: { type: 'string', description: 'The corp id (我的企业 → 企业信息)' },
    secret: { type: 'string', description: 'The 客户联系 Secret, or that of a self-built app allowed to call the 客户联系 APIs' },
    callbackToken: { type: 'string', description: 'Token of 接收事件服务器' },
    encodingAesKey: { type: 'string', description: 'EncodingAESKey of 接收事件服务器: 43 letters and digits' },
    agentId: { type: ['string', 'integer', 'null'], description: 'AgentId of the self-built app, if any' },
    apiBaseUrl: { type: ['string', 'null'], description: 'Default https://qyapi.weixin.qq.com (the local sandbox for trials)' },
  },
} as const;

/** The checks a connection test runs, in order. */
export const CONNECTION_CHECKS = ['token', 'contact_api'] as const;

/** `POST /v1/wecom/connection/test`: what WeCom answered the stored connection. */
export const connectionTestSchema = {
  type: 'object',
  required: ['ok', 'corpId', 'apiBaseUrl', 'checkedAt', 'checks', 'followUsers', 'lastCallbackAt'],
  properties: {
    ok: { type: 'boolean', description: 'every check passed' },
    corpId: { type: 'string' },
    apiBaseUrl: { type: 'string' },
    checkedAt: { type: 'string' },
    checks: {
      type: 'array',
      description:
        'token: gettoken with the corp id and secret; contact_api: externalcontact/get_follow_user_list (the secret may call the 客户联系 APIs). A check is skipped when one before it failed.',
      items: {
        type: 'object',
        required: ['check', 'status', 'ms', 'errcode', 'message', 'hint'],
        properties: {
          check: { type: 'string', enum: [...CONNECTION_CHECKS] },
          status: { type: 'string', enum: ['ok', 'failed', 'skipped'] },
          ms: { type: ['integer', 'null'], description: 'how long WeCom took to answer' },
          errcode: { type: ['integer', 'null'], description: "WeCom's errcode when it refused" },
          message: { type: ['string', 'null'], description: 'what went wrong, in English' },
          hint: {
            type: ['object', 'null'],
            required: ['en', 'zh'],
            description: "the errcode's meaning in English and Chinese, when WeCom gave one",
            properties: { en: { type: 'string' }, zh: { type: 'string' } },
          },
        },
      },
    },
    followUsers: { type: ['integer', 'null'], description: 'members allowed to have customers (客户联系), when contact_api passed' },
    lastCallbackAt: { type: ['string', 'null'], description: 'when the last WeCom callback for this workspace was received' },
  },
} as const;

const syncCounts = {
  type: 'object',
  description: 'counts of the run so far (staff, resigned staff, tags, relations, contacts events, groups, group members, ...)',
  additionalProperties: { type: 'integer' },
} as const;

/** `GET` and `POST /v1/wecom/sync`: the workspace's full sync, read from the database (any process's run, API or CLI). */
export const syncStatusSchema = {
  type: 'object',
  required: ['running', 'runningSince', 'run', 'last'],
  properties: {
    running: { type: 'boolean', description: 'a sync of this workspace runs now (from the API or `siyu wecom sync`)' },
    runningSince: { type: ['string', 'null'] },
    run: {
      type: ['object', 'null'],
      description: 'the checkpoint of the current or last run; `phase` is `done` when it finished',
      required: ['runId', 'corpId', 'phase', 'startedAt', 'finishedAt', 'counts'],
      properties: {
        runId: { type: 'string' },
        corpId: { type: 'string' },
        phase: { type: 'string', enum: ['staff', 'tags', 'contacts', 'groups', 'done'] },
        startedAt: { type: 'string' },
        finishedAt: { type: ['string', 'null'] },
        counts: syncCounts,
      },
    },
    last: {
      type: ['object', 'null'],
      description:
        'how the last sync started from the API ended: completed, stopped (the server stopped; the next run resumes) or failed (WeCom refused; the error says why)',
      required: ['runId', 'outcome', 'error', 'at'],
      properties: {
        runId: { type: ['string', 'null'] },
        outcome: { type: 'string', enum: ['completed', 'stopped', 'failed'] },
        error: { type: ['string', 'null'] },
        at: { type: 'string' },
      },
    },
  },
} as const;
