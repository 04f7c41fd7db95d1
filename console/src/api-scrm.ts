/**
 * The console's calls of the SCRM (WeCom) API, built on the client's JSON call (api.ts) and typed
 * with the routes' own schemas (api-types-scrm.ts). Reached as `api.scrm`.
 */
import type { Page, Segment } from './api-types.ts';
import type {
  ArchiveMessage,
  ArchiveQuery,
  CorpTag,
  GroupCode,
  GroupCodeCreateBody,
  GroupCodePatchBody,
  Handover,
  HandoverBody,
  HandoverQuery,
  HandoverResult,
  LiveCode,
  LiveCodeAdd,
  LiveCodeCreateBody,
  LiveCodeListQuery,
  LiveCodePatchBody,
  LiveCodeStats,
  ScrmAlert,
  ScrmAlertQuery,
  ScrmContact,
  ProfileWeCom,
  ScrmContactsQuery,
  ScrmGroup,
  ScrmGroupDetail,
  ScrmGroupQuery,
  ScrmGroupStats,
  ScrmStaff,
  ScrmStaffQuery,
  SensitiveWord,
  Sop,
  SopTask,
  SopTaskQuery,
  Unassigned,
  WeComConnection,
  WeComConnectionBody,
  WeComConnectionTest,
  WeComSyncStatus,
} from './api-types-scrm.ts';

export type * from './api-types-scrm.ts';

/** The JSON call of the API client: method, path, optional body; resolves with the answer (undefined for 204). */
export type JsonCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

type Params = Record<string, string | number | boolean | undefined>;

/** Query string from defined values only. */
function qs(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

/** The SCRM calls. */
export function scrmCalls(json: JsonCall) {
  const del = (path: string) => json<void>('DELETE', path);
  return {
    connection: () => json<WeComConnection>('GET', '/v1/wecom/connection'),
    saveConnection: (body: WeComConnectionBody) => json<WeComConnection>('PUT', '/v1/wecom/connection', body),
    removeConnection: () => del('/v1/wecom/connection'),
    testConnection: () => json<WeComConnectionTest>('POST', '/v1/wecom/connection/test'),
    syncStatus: () => json<WeComSyncStatus>('GET', '/v1/wecom/sync'),
    startSync: () => json<WeComSyncStatus>('POST', '/v1/wecom/sync'),

    staff: (q: ScrmStaffQuery) => json<Page<ScrmStaff>>('GET', `/v1/wecom/staff${qs(q)}`),
    contacts: (q: ScrmContactsQuery) => json<Page<ScrmContact>>('GET', `/v1/wecom/contacts${qs(q)}`),
    profileWeCom: (profileId: string) => json<ProfileWeCom>('GET', `/v1/profiles/${enc(profileId)}/wecom`),
    corpTags: (cursor?: string) => json<Page<CorpTag>>('GET', `/v1/wecom/corp-tags${qs({ limit: 1000, cursor })}`),
    staffCustomers: (userid: string, cursor?: string) =>
      json<Page<{ externalUserid: string; name: string; remark: string | null }>>(
        'GET',
        `/v1/wecom/staff/${enc(userid)}/customers${qs({ limit: 500, cursor })}`,
      ),

    liveCodes: (q: LiveCodeListQuery) => json<Page<LiveCode>>('GET', `/v1/wecom/live-codes${qs(q)}`),
    liveCode: (id: string) => json<LiveCode>('GET', `/v1/wecom/live-codes/${enc(id)}`),
    createLiveCode: (body: LiveCodeCreateBody) => json<LiveCode>('POST', '/v1/wecom/live-codes', body),
    updateLiveCode: (id: string, body: LiveCodePatchBody) => json<LiveCode>('PATCH', `/v1/wecom/live-codes/${enc(id)}`, body),
    deleteLiveCode: (id: string) => del(`/v1/wecom/live-codes/${enc(id)}`),
    liveCodeStats: (id: string, q: { from?: string; to?: string }) => json<LiveCodeStats>('GET', `/v1/wecom/live-codes/${enc(id)}/stats${qs(q)}`),
    liveCodeAdds: (id: string, cursor?: string) => json<Page<LiveCodeAdd>>('GET', `/v1/wecom/live-codes/${enc(id)}/adds${qs({ limit: 20, cursor })}`),

    groups: (q: ScrmGroupQuery) => json<Page<ScrmGroup>>('GET', `/v1/wecom/groups${qs(q)}`),
    group: (chatId: string) => json<ScrmGroupDetail>('GET', `/v1/wecom/groups/${enc(chatId)}`),
    groupStats: (chatId: string | undefined, q: { from?: string; to?: string }) =>
      json<ScrmGroupStats>('GET', `/v1/wecom/groups/${chatId ? `${enc(chatId)}/stats` : 'stats'}${qs(q)}`),
    setGroupTags: (chatId: string, tags: string[]) => json<{ chatId: string; tags: string[] }>('PUT', `/v1/wecom/groups/${enc(chatId)}/tags`, { tags }),

    groupCodes: (cursor?: string) => json<Page<GroupCode>>('GET', `/v1/wecom/group-codes${qs({ limit: 50, cursor })}`),
    groupCode: (id: string) => json<GroupCode>('GET', `/v1/wecom/group-codes/${enc(id)}`),
    createGroupCode: (body: GroupCodeCreateBody) => json<GroupCode>('POST', '/v1/wecom/group-codes', body),
    updateGroupCode: (id: string, body: GroupCodePatchBody) => json<GroupCode>('PATCH', `/v1/wecom/group-codes/${enc(id)}`, body),
    rotateGroupCode: (id: string) => json<GroupCode>('POST', `/v1/wecom/group-codes/${enc(id)}/rotate`),
    deleteGroupCode: (id: string) => del(`/v1/wecom/group-codes/${enc(id)}`),

    sops: (q: { includeArchived?: boolean; cursor?: string }) => json<Page<Sop>>('GET', `/v1/wecom/sops${qs({ limit: 50, ...q })}`),
    sop: (id: string) => json<Sop>('GET', `/v1/wecom/sops/${enc(id)}`),
    createSop: (body: Record<string, unknown>) => json<Sop>('POST', '/v1/wecom/sops', body),
    updateSop: (id: string, body: Record<string, unknown>) => json<Sop>('PATCH', `/v1/wecom/sops/${enc(id)}`, body),
    archiveSop: (id: string) => json<Sop>('DELETE', `/v1/wecom/sops/${enc(id)}`),
    tasks: (q: SopTaskQuery) => json<Page<SopTask>>('GET', `/v1/wecom/tasks${qs(q)}`),
    completeTask: (id: string) => json<SopTask>('POST', `/v1/wecom/tasks/${enc(id)}/complete`),
    segments: () => json<Page<Segment>>('GET', '/v1/segments?status=active&limit=100'),

    handovers: (q: HandoverQuery) => json<Page<Handover>>('GET', `/v1/wecom/handovers${qs(q)}`),
    requestHandover: (body: HandoverBody) => json<HandoverResult>('POST', '/v1/wecom/handovers', body),
    unassigned: (cursor?: string) => json<Page<Unassigned>>('GET', `/v1/wecom/unassigned${qs({ limit: 100, cursor })}`),
    alerts: (q: ScrmAlertQuery) => json<Page<ScrmAlert>>('GET', `/v1/wecom/alerts${qs(q)}`),
    ackAlert: (id: string) => json<ScrmAlert>('POST', `/v1/wecom/alerts/${enc(id)}/ack`),

    sensitiveWords: (cursor?: string) => json<Page<SensitiveWord>>('GET', `/v1/wecom/sensitive-words${qs({ limit: 1000, cursor })}`),
    addSensitiveWords: (words: string[]) => json<Page<SensitiveWord>>('POST', '/v1/wecom/sensitive-words', { words }),
    deleteSensitiveWord: (id: string) => del(`/v1/wecom/sensitive-words/${enc(id)}`),
    archive: (q: ArchiveQuery) => json<Page<ArchiveMessage>>('GET', `/v1/wecom/archive/messages${qs(q)}`),
  };
}

/** The SCRM calls' type. */
export type ScrmApi = ReturnType<typeof scrmCalls>;
