/**
 * The console's client of the Siyu HTTP API: the signed-in user's session cookie (httpOnly, sent
 * by the browser), the session's CSRF token on every change, and the chosen workspace. Its
 * types are derived from the routes' own JSON schemas (api-types.ts); the rule language is shared
 * with the server too (src/segments/rule.types.ts).
 */
import type {
  CohortAnswer,
  CohortQuery,
  CatalogueTag,
  EventCatalog,
  EventProperties,
  TraitCatalog,
  ConsoleSession,
  AuditEntry,
  RateLimitsAnswer,
  KeyStatus,
  RateLimitsBody,
  AuditQuery,
  NewPrivacyRequestBody,
  PrivacyListQuery,
  PrivacyRequest,
  CreatedKey,
  MergePage,
  ProfileListQuery,
  ProfileSummary,
  ProfileTags,
  TimelinePage,
  InvitationAnswer,
  InviteBody,
  KeyInfo,
  Page,
  PatchUserBody,
  PatchWorkspaceBody,
  UserMember,
  ClvAtRiskPage,
  ClvAtRiskQuery,
  ClvFitAnswer,
  ClvFitBody,
  ClvOverview,
  ComputeAnswer,
  FunnelAnswer,
  FunnelBody,
  MetricAnswer,
  MetricName,
  MetricQuery,
  ComputeBody,
  CouponAnswer,
  CouponTemplate,
  CouponTemplatePage,
  CouponTemplateQuery,
  CreateCouponTemplateBody,
  CreateSegmentBody,
  DemoBody,
  DemoSummary,
  ErrorBody,
  Experiment,
  ExperimentListQuery,
  ExperimentPage,
  ExperimentResults,
  IssueCouponBody,
  MemberPage,
  MembersQuery,
  ModelSettings,
  Preview,
  PreviewBody,
  Profile,
  ProfileClv,
  RfmReport,
  LifecycleFlow,
  LifecycleFlowQuery,
  SegmentationSettings,
  SegmentDetail,
  Segment,
  SegmentListQuery,
  SegmentPage,
  SettingsBody,
  StaticUploadReport,
  UpdateSegmentBody,
  UploadMode,
  Workspace,
  CreateSurveyBody,
  Survey,
  SurveyLinkAnswer,
  SurveyLinkBody,
  SurveyListQuery,
  SurveyPage,
  SurveyReport,
  SurveyReportQuery,
  UpdateSurveyBody,
  VerbatimPage,
  VerbatimsQuery,
  Broadcast,
  BroadcastBody,
  BroadcastListQuery,
  BroadcastStats,
  BroadcastTestAnswer,
  BroadcastTestBody,
  ChannelConfig,
  ChannelInfoPage,
  ChannelName,
  ChannelTestBody,
  ChannelTestResult,
  ConsentImportQuery,
  ConsentImportReport,
  ConsentSearchPage,
  ConsentSearchQuery,
  MessageTemplateBody,
  MessageTemplateDetail,
  MessageTemplatePage,
  MessageTemplateQuery,
  MessagingSettings,
  TemplatePreview,
  TemplatePreviewBody,
} from './api-types.ts';

import { rewardsCalls } from './api-rewards.ts';
import { scrmCalls } from './api-scrm.ts';
import { membersCalls } from './api-members.ts';
import { retentionCalls } from './api-retention.ts';

export type * from './api-types.ts';
export type * from './api-types-scrm.ts';
export type * from './api-types-members.ts';
import { referralCalls } from './api-referrals.ts';

export type * from './api-referrals.ts';
export type * from './api-types-rewards.ts';

/** `{ error: { code, message, details? } }`, the API's one error shape, as a thrown error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/**
 * One problem of a RULE_INVALID answer (`details.errors`): the JSON path of the bad node and what
 * was wrong. Error details are free-form in the error schema, so they are checked as they are read.
 */
export interface RuleProblem {
  path: string;
  message: string;
}

/** The rule problems of an error, when it is a RULE_INVALID with `details.errors`. */
export function ruleProblems(err: unknown): RuleProblem[] {
  if (!(err instanceof ApiError) || !err.details || typeof err.details !== 'object') return [];
  const list = (err.details as { errors?: unknown }).errors;
  if (!Array.isArray(list)) return [];
  return list.filter((e): e is RuleProblem => !!e && typeof e === 'object' && typeof e.path === 'string' && typeof e.message === 'string');
}

/** Query string from defined values only. */
function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** What every call carries: the session's CSRF token and the workspace the console shows. */
export interface ApiContext {
  csrfToken: string;
  workspaceId: string;
}

/** Throws the API's error of a failed answer (`onUnauthorized` first, for a 401). */
async function failure(res: Response, onUnauthorized?: () => void): Promise<never> {
  let code = 'HTTP_' + res.status;
  let message = res.statusText || `HTTP ${res.status}`;
  let details: unknown;
  try {
    const json = (await res.json()) as ErrorBody;
    if (json.error) {
      code = json.error.code ?? code;
      message = json.error.message ?? message;
      details = json.error.details;
    }
  } catch {
    /* not JSON: keep the status line */
  }
  if (res.status === 401) onUnauthorized?.();
  throw new ApiError(res.status, code, message, details);
}

/** A JSON call without a session (sign-in, the session check, accepting an invitation). */
async function open<T>(method: string, path: string, body?: unknown, csrfToken?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (!res.ok) return failure(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Sign-in and the session, before a workspace is chosen. */
export const consoleAuth = {
  /** The session of the browser's cookie (401 ApiError when signed out). */
  session: () => open<ConsoleSession>('GET', '/v1/console/session'),
  login: (email: string, password: string) => open<ConsoleSession>('POST', '/v1/console/login', { email, password }),
  logout: (csrfToken: string) => open<void>('POST', '/v1/console/logout', undefined, csrfToken),
  logoutEverywhere: (csrfToken: string) => open<{ ended: number }>('POST', '/v1/console/logout-everywhere', undefined, csrfToken),
  changePassword: (csrfToken: string, current: string, next: string) => open<void>('POST', '/v1/console/password', { current, next }, csrfToken),
  acceptInvitation: (token: string, name: string, password: string) =>
    open<ConsoleSession>('POST', '/v1/console/invitations/accept', { token, name, password }),
};

/** The API calls the console makes, in one workspace of the signed-in session. */
export function createApi(ctx: ApiContext, onUnauthorized?: () => void) {
  /** A JSON body, or `raw` sent as it is with its own content type (a CSV file). */
  async function call(method: string, path: string, body?: unknown, raw?: { body: Blob; type: string }): Promise<Response> {
    const headers: Record<string, string> = { 'x-siyu-workspace': ctx.workspaceId };
    if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = ctx.csrfToken;
    let payload: BodyInit | undefined;
    if (raw) {
      headers['content-type'] = raw.type;
      payload = raw.body;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
    if (res.ok) return res;
    return failure(res, onUnauthorized);
  }
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await call(method, path, body);
    return (res.status === 204 ? undefined : await res.json()) as T;
  };

  return {
    /** The SCRM (WeCom) screens' calls (api-scrm.ts). */
    scrm: scrmCalls(json),
    /** Loyalty members, tiers and earning rules (api-members.ts). */
    loyalty: membersCalls(json),
    referrals: referralCalls(json),
    /** The reward catalogue, lottery and group-buy screens' calls (api-rewards.ts). */
    rewards: rewardsCalls(json),
    /** Retention periods and the job's reports (api-retention.ts). */
    retention: retentionCalls(json),
    workspace: () => json<Workspace>('GET', '/v1/workspace'),
    updateWorkspace: (body: PatchWorkspaceBody) => json<Workspace>('PATCH', '/v1/workspace', body),
    users: (cursor?: string) => json<Page<UserMember>>('GET', `/v1/users${query({ limit: 100, cursor })}`),
    invite: (body: InviteBody) => json<InvitationAnswer>('POST', '/v1/users/invitations', body),
    updateUser: (id: string, body: PatchUserBody) => json<UserMember>('PATCH', `/v1/users/${encodeURIComponent(id)}`, body),
    removeUser: async (id: string) => void (await call('DELETE', `/v1/users/${encodeURIComponent(id)}`)),
    keys: (cursor?: string) => json<Page<KeyInfo>>('GET', `/v1/keys${query({ limit: 100, cursor })}`),
    createKey: (kind: 'write' | 'secret', name: string) => json<CreatedKey>('POST', '/v1/keys', { kind, name }),
    revokeKey: async (id: string) => void (await call('DELETE', `/v1/keys/${encodeURIComponent(id)}`)),
    audit: (q: AuditQuery) => json<Page<AuditEntry>>('GET', `/v1/audit${query(q)}`),
    rateLimits: () => json<RateLimitsAnswer>('GET', '/v1/rate-limits'),
    updateRateLimits: (body: RateLimitsBody) => json<RateLimitsAnswer>('PUT', '/v1/rate-limits', body),
    encryptionKeys: () => json<KeyStatus>('GET', '/v1/encryption/keys'),
    rotateEncryptionKey: () => json<KeyStatus>('POST', '/v1/encryption/keys/rotate'),
    auditCsv: async (q: Omit<AuditQuery, 'limit' | 'cursor'>) => (await call('GET', `/v1/audit/export${query(q)}`)).blob(),
    privacyRequests: (q: PrivacyListQuery) => json<Page<PrivacyRequest>>('GET', `/v1/privacy/requests${query(q)}`),
    createPrivacyRequest: (body: NewPrivacyRequestBody) => json<PrivacyRequest>('POST', '/v1/privacy/requests', body),
    rejectPrivacyRequest: (id: string, reason: string) => json<PrivacyRequest>('POST', `/v1/privacy/requests/${encodeURIComponent(id)}/reject`, { reason }),
    carryOutPrivacyRequest: (id: string) => json<PrivacyRequest>('POST', `/v1/privacy/requests/${encodeURIComponent(id)}/carry-out`),
    privacyArchive: async (id: string) => (await call('GET', `/v1/privacy/requests/${encodeURIComponent(id)}/archive`)).blob(),
    staffCustomers: (userid: string, cursor?: string) =>
      json<Page<Record<string, unknown>>>('GET', `/v1/wecom/staff/${encodeURIComponent(userid)}/customers${query({ limit: 50, cursor })}`),
    staffToday: (userid: string) =>
      json<{ date: string; sopTasks: Record<string, unknown>[]; followUps: Record<string, unknown>[] }>(
        'GET',
        `/v1/wecom/staff/${encodeURIComponent(userid)}/today`,
      ),
    recommendations: (userid: string, externalUserid: string) =>
      json<Page<Record<string, unknown>> & { customerTags: string[] }>(
        'GET',
        `/v1/wecom/staff/${encodeURIComponent(userid)}/recommendations${query({ externalUserid, limit: 3 })}`,
      ),
    completeFollowUp: (id: string) => json<Record<string, unknown>>('POST', `/v1/wecom/guide-tasks/${encodeURIComponent(id)}/complete`),
    completeSopTask: (id: string) => json<Record<string, unknown>>('POST', `/v1/wecom/tasks/${encodeURIComponent(id)}/complete`),
    listSegments: (q: SegmentListQuery) => json<SegmentPage>('GET', `/v1/segments${query(q)}`),
    getSegment: (id: string) => json<SegmentDetail>('GET', `/v1/segments/${encodeURIComponent(id)}`),
    createSegment: (body: CreateSegmentBody) => json<Segment>('POST', '/v1/segments', body),
    updateSegment: (id: string, body: UpdateSegmentBody) => json<Segment>('PATCH', `/v1/segments/${encodeURIComponent(id)}`, body),
    archiveSegment: (id: string) => json<Segment>('DELETE', `/v1/segments/${encodeURIComponent(id)}`),
    recompute: (id: string) => json<Segment>('POST', `/v1/segments/${encodeURIComponent(id)}/recompute`),
    preview: (rule: unknown, sampleSize = 10) => json<Preview>('POST', '/v1/segments/preview', { rule, sampleSize } satisfies PreviewBody),
    members: (id: string, q: Omit<MembersQuery, 'format' | 'traits'>) => json<MemberPage>('GET', `/v1/segments/${encodeURIComponent(id)}/members${query(q)}`),
    /** The whole member list as CSV (streamed by the server), as a Blob to save. */
    membersCsv: async (id: string, traits: string[]) =>
      (await call('GET', `/v1/segments/${encodeURIComponent(id)}/members${query({ format: 'csv', traits: traits.join(',') } satisfies MembersQuery)}`)).blob(),
    /** A static segment's upload: the file is the raw body (`text/csv`), with an `identifier` column. */
    uploadMembers: async (id: string, file: Blob, mode: UploadMode) =>
      (
        await call('POST', `/v1/segments/${encodeURIComponent(id)}/members${query({ mode })}`, undefined, { body: file, type: 'text/csv' })
      ).json() as Promise<StaticUploadReport>,
    profile: (id: string) => json<Profile>('GET', `/v1/profiles/${encodeURIComponent(id)}`),
    journeys: (cursor?: string) => json<Page<Journey>>('GET', `/v1/journeys${query({ limit: 50, cursor })}`),
    journey: (id: string) => json<Journey>('GET', `/v1/journeys/${encodeURIComponent(id)}`),
    createJourney: (name: string, definition: unknown) => json<Journey>('POST', '/v1/journeys', { name, definition }),
    saveJourney: (id: string, body: { name?: string; definition?: unknown }) => json<Journey>('PATCH', `/v1/journeys/${encodeURIComponent(id)}`, body),
    journeyAction: (id: string, action: 'publish' | 'pause' | 'resume' | 'archive') =>
      json<Journey>('POST', `/v1/journeys/${encodeURIComponent(id)}/${action}`),
    journeyStats: (id: string) => json<JourneyStats>('GET', `/v1/journeys/${encodeURIComponent(id)}/stats`),
    recipes: () =>
      json<Page<{ name: string; title: string; description: string; params: { name: string; required: boolean; description: string }[] }>>(
        'GET',
        '/v1/journeys/recipes',
      ),
    importRecipe: (name: string, params: Record<string, unknown>) =>
      json<Journey>('POST', `/v1/journeys/recipes/${encodeURIComponent(name)}/import`, { params }),
    profiles: (q: ProfileListQuery) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(q)) for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined && x !== '') params.append(k, String(x));
      const s = params.toString();
      return json<Page<ProfileSummary>>('GET', `/v1/profiles${s ? `?${s}` : ''}`);
    },
    timeline: (id: string, cursor?: string) => json<TimelinePage>('GET', `/v1/profiles/${encodeURIComponent(id)}/events${query({ limit: 30, cursor })}`),
    merges: (id: string) => json<MergePage>('GET', `/v1/profiles/${encodeURIComponent(id)}/merges?limit=50`),
    profileSegments: (id: string) => json<Page<Record<string, unknown>>>('GET', `/v1/profiles/${encodeURIComponent(id)}/segments?limit=100`),
    consent: (id: string) => json<Record<string, unknown>>('GET', `/v1/profiles/${encodeURIComponent(id)}/consent`),
    consentHistory: (id: string) => json<Page<Record<string, unknown>>>('GET', `/v1/profiles/${encodeURIComponent(id)}/consent/history?limit=50`),
    profileMessages: (id: string) => json<Page<Record<string, unknown>>>('GET', `/v1/messages${query({ profileId: id, limit: 50 })}`),
    tags: () => json<Page<CatalogueTag>>('GET', '/v1/tags?limit=500'),
    /** Trait keys and consent categories found on recent profiles (the rule builder's pickers). */
    traitCatalog: () => json<TraitCatalog>('GET', '/v1/catalog/traits'),
    /** Names of the stored track events. */
    eventCatalog: () => json<EventCatalog>('GET', '/v1/catalog/events'),
    /** Property names found on an event's latest occurrences. */
    eventProperties: (event: string) => json<EventProperties>('GET', `/v1/catalog/event-properties${query({ event })}`),
    addTag: (id: string, tag: { id: string } | { group: string; name: string }) =>
      json<ProfileTags>('POST', `/v1/profiles/${encodeURIComponent(id)}/tags`, { tags: [tag] }),
    removeTag: (id: string, tagId: string) => json<ProfileTags>('DELETE', `/v1/profiles/${encodeURIComponent(id)}/tags/${encodeURIComponent(tagId)}`),
    rfmReport: () => json<RfmReport>('GET', '/v1/models/rfm/report'),
    lifecycleFlow: (q: LifecycleFlowQuery) => json<LifecycleFlow>('GET', `/v1/models/lifecycle/flow${query(q)}`),
    modelSettings: () => json<ModelSettings>('GET', '/v1/models/settings'),
    /**
     * Replaces the segmentation settings. The server fills anything left out with its default, so
     * the console always sends all three models' settings (cell names included) to change one value.
     */
    saveModelSettings: (settings: SegmentationSettings) => json<ModelSettings>('PUT', '/v1/models/settings', settings satisfies SettingsBody),
    listExperiments: (q: ExperimentListQuery) => json<ExperimentPage>('GET', `/v1/insight/experiments${query(q)}`),
    getExperiment: (id: string) => json<Experiment>('GET', `/v1/insight/experiments/${encodeURIComponent(id)}`),
    experimentResults: (id: string) => json<ExperimentResults>('GET', `/v1/insight/experiments/${encodeURIComponent(id)}/results`),
    /** One insight metric over a range of local dates (`format` is JSON here; `metricCsv` exports). */
    metric: (name: MetricName, q: Omit<MetricQuery, 'format'>) => json<MetricAnswer>('GET', `/v1/insight/metrics/${name}${query(q)}`),
    /** A metric as CSV, as a Blob to save. */
    metricCsv: async (name: MetricName, q: Omit<MetricQuery, 'format'>) =>
      (await call('GET', `/v1/insight/metrics/${name}${query({ ...q, format: 'csv' })}`)).blob(),
    funnel: (body: FunnelBody) => json<FunnelAnswer>('POST', '/v1/insight/funnels', body),
    cohorts: (q: Omit<CohortQuery, 'format'>) => json<CohortAnswer>('GET', `/v1/insight/cohorts/report${query(q)}`),
    computeModels: (models: NonNullable<ComputeBody['models']>) => json<ComputeAnswer>('POST', '/v1/models/compute', { models } satisfies ComputeBody),
    clvOverview: () => json<ClvOverview>('GET', '/v1/insight/clv'),
    fitClv: (body: ClvFitBody = {}) => json<ClvFitAnswer>('POST', '/v1/insight/clv/fit', body),
    clvAtRisk: (q: ClvAtRiskQuery) => json<ClvAtRiskPage>('GET', `/v1/insight/clv/at-risk${query(q)}`),
    profileClv: (id: string) => json<ProfileClv>('GET', `/v1/profiles/${encodeURIComponent(id)}/clv`),
    listSurveys: (q: SurveyListQuery) => json<SurveyPage>('GET', `/v1/insight/surveys${query(q)}`),
    getSurvey: (id: string) => json<Survey>('GET', `/v1/insight/surveys/${encodeURIComponent(id)}`),
    createSurvey: (body: CreateSurveyBody) => json<Survey>('POST', '/v1/insight/surveys', body),
    updateSurvey: (id: string, body: UpdateSurveyBody) => json<Survey>('PATCH', `/v1/insight/surveys/${encodeURIComponent(id)}`, body),
    archiveSurvey: (id: string) => json<Survey>('POST', `/v1/insight/surveys/${encodeURIComponent(id)}/archive`),
    surveyLink: (id: string, body: SurveyLinkBody) => json<SurveyLinkAnswer>('POST', `/v1/insight/surveys/${encodeURIComponent(id)}/links`, body),
    surveyReport: (id: string, q: SurveyReportQuery) => json<SurveyReport>('GET', `/v1/insight/surveys/${encodeURIComponent(id)}/report${query(q)}`),
    verbatims: (id: string, q: VerbatimsQuery) => json<VerbatimPage>('GET', `/v1/insight/surveys/${encodeURIComponent(id)}/verbatims${query(q)}`),
    listCouponTemplates: (q: CouponTemplateQuery) => json<CouponTemplatePage>('GET', `/v1/loyalty/coupon-templates${query(q)}`),
    createCouponTemplate: (body: CreateCouponTemplateBody) => json<CouponTemplate>('POST', '/v1/loyalty/coupon-templates', body),
    /** Issues one coupon to a profile; the idempotency key makes a double click issue once. */
    issueCoupon: (body: IssueCouponBody) => json<CouponAnswer>('POST', '/v1/loyalty/coupons/issue', body),
    listTemplates: (q: MessageTemplateQuery) => json<MessageTemplatePage>('GET', `/v1/templates${query(q)}`),
    getTemplate: (id: string) => json<MessageTemplateDetail>('GET', `/v1/templates/${encodeURIComponent(id)}`),
    createTemplate: (body: MessageTemplateBody) => json<MessageTemplateDetail>('POST', '/v1/templates', body),
    /** Saves a template: changed variants or default locale make its next version. */
    updateTemplate: (id: string, body: MessageTemplateBody) => json<MessageTemplateDetail>('PATCH', `/v1/templates/${encodeURIComponent(id)}`, body),
    archiveTemplate: async (id: string) => void (await call('DELETE', `/v1/templates/${encodeURIComponent(id)}`)),
    /** Renders a saved template for a real profile, sending nothing (422 TEMPLATE_RENDER_FAILED with `details.problems`). */
    previewTemplate: (id: string, body: TemplatePreviewBody) => json<TemplatePreview>('POST', `/v1/templates/${encodeURIComponent(id)}/preview`, body),
    channels: () => json<ChannelInfoPage>('GET', '/v1/channels'),
    /** Replaces a channel's plain fields; secrets left out are kept, `null` clears one. */
    saveChannel: (channel: ChannelName, body: Record<string, unknown>) => json<ChannelConfig>('PUT', `/v1/channels/${channel}`, body),
    /** Sends one test message on a channel now; a provider's refusal is an answer (`status: failed`), not an error. */
    testChannel: (channel: ChannelName, body: ChannelTestBody) => json<ChannelTestResult>('POST', `/v1/messaging/channels/${channel}/test`, body),
    /** Whether the workspace is connected to WeCom (the WeCom channels send through that connection); 404 when not. */
    wecomConnection: () => json<unknown>('GET', '/v1/wecom/connection'),
    messagingSettings: () => json<MessagingSettings>('GET', '/v1/messaging/settings'),
    /** Changes the guardrails: fields given are replaced (the server checks every value); `null` clears the time zone or the public URL. */
    saveMessagingSettings: (patch: SettingsPatch) => json<MessagingSettings>('PATCH', '/v1/messaging/settings', patch),
    consentLedger: (q: ConsentSearchQuery) => json<ConsentSearchPage>('GET', `/v1/messaging/consent${query(q)}`),
    /** Consent recorded elsewhere, from a CSV file (the raw body); a rejected file throws CONSENT_IMPORT_INVALID with the report as details. */
    importConsent: async (file: Blob, q: ConsentImportQuery) =>
      (await call('POST', `/v1/messaging/consent/imports${query(q)}`, undefined, { body: file, type: 'text/csv' })).json() as Promise<ConsentImportReport>,
    listBroadcasts: (q: BroadcastListQuery) => json<Page<Broadcast>>('GET', `/v1/broadcasts${query(q)}`),
    getBroadcast: (id: string) => json<Broadcast>('GET', `/v1/broadcasts/${encodeURIComponent(id)}`),
    createBroadcast: (body: BroadcastBody) => json<Broadcast>('POST', '/v1/broadcasts', body),
    deleteBroadcast: async (id: string) => void (await call('DELETE', `/v1/broadcasts/${encodeURIComponent(id)}`)),
    scheduleBroadcast: (id: string, sendAt?: string) => json<Broadcast>('POST', `/v1/broadcasts/${encodeURIComponent(id)}/schedule`, sendAt ? { sendAt } : {}),
    broadcastAction: (id: string, action: 'send-now' | 'cancel') => json<Broadcast>('POST', `/v1/broadcasts/${encodeURIComponent(id)}/${action}`),
    broadcastStats: (id: string) => json<BroadcastStats>('GET', `/v1/broadcasts/${encodeURIComponent(id)}/stats`),
    testBroadcast: (id: string, body: BroadcastTestBody) => json<BroadcastTestAnswer>('POST', `/v1/broadcasts/${encodeURIComponent(id)}/test`, body),
    /** Loads the demo brand into this (empty) workspace; takes up to a minute at the default scale. */
    loadDemo: (body: DemoBody = {}) => json<DemoSummary>('POST', '/v1/demo', body),
  };
}

/**
 * A change of the guardrail settings: the answer's shape, any part of it (the PATCH body schema
 * checks only that it is an object; the server's settings reader checks every value and names the
 * field it refuses), with `null` to clear the time zone or the public URL.
 */
export type SettingsPatch = { [K in keyof MessagingSettings]?: MessagingSettings[K] | (K extends 'timeZone' | 'linkBaseUrl' ? null : never) };

/** A journey as the API answers it (the definition is checked by the server; the canvas reads it loosely). */
export interface Journey {
  id: string;
  name: string;
  status: 'draft' | 'active' | 'paused' | 'archived';
  currentVersion: number | null;
  definition: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  warnings?: { code: string; stepId: string; message: string }[];
}

/** `GET /v1/journeys/:id/stats`. */
export interface JourneyStats {
  entered: number;
  active: number;
  completed: number;
  converted: number;
  exited: number;
  failed: number;
  conversionRate: number;
  inStep: Record<string, number>;
  passed: Record<string, number>;
  failedSteps: Record<string, number>;
  splits: Record<string, Record<string, { assigned: number; converted: number; conversionRate: number }>>;
}

/** The API client type. */
export type Api = ReturnType<typeof createApi>;
