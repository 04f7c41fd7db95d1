/**
 * The console's client of the Siyu HTTP API (secret key, `Authorization: Bearer sk_...`). Its
 * types are derived from the routes' own JSON schemas (api-types.ts); the rule language is shared
 * with the server too (src/segments/rule.types.ts).
 */
import type {
  ComputeAnswer,
  ComputeBody,
  CouponAnswer,
  CouponTemplate,
  CouponTemplatePage,
  CouponTemplateQuery,
  CreateCouponTemplateBody,
  CreateSegmentBody,
  ErrorBody,
  IssueCouponBody,
  MemberPage,
  MembersQuery,
  ModelSettings,
  Preview,
  PreviewBody,
  Profile,
  RfmReport,
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
} from './api-types.ts';

export type * from './api-types.ts';

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
function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The API calls the console makes, bound to one secret key. */
export function createApi(secretKey: string, onUnauthorized?: () => void) {
  /** A JSON body, or `raw` sent as it is with its own content type (a CSV file). */
  async function call(method: string, path: string, body?: unknown, raw?: { body: Blob; type: string }): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${secretKey}` };
    let payload: BodyInit | undefined;
    if (raw) {
      headers['content-type'] = raw.type;
      payload = raw.body;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(path, { method, headers, body: payload });
    if (res.ok) return res;
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
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> => (await call(method, path, body)).json() as Promise<T>;

  return {
    workspace: () => json<Workspace>('GET', '/v1/workspace'),
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
    rfmReport: () => json<RfmReport>('GET', '/v1/models/rfm/report'),
    modelSettings: () => json<ModelSettings>('GET', '/v1/models/settings'),
    /**
     * Replaces the segmentation settings. The server fills anything left out with its default, so
     * the console always sends all three models' settings (cell names included) to change one value.
     */
    saveModelSettings: (settings: SegmentationSettings) => json<ModelSettings>('PUT', '/v1/models/settings', settings satisfies SettingsBody),
    computeModels: (models: NonNullable<ComputeBody['models']>) => json<ComputeAnswer>('POST', '/v1/models/compute', { models } satisfies ComputeBody),
    listCouponTemplates: (q: CouponTemplateQuery) => json<CouponTemplatePage>('GET', `/v1/loyalty/coupon-templates${query(q)}`),
    createCouponTemplate: (body: CreateCouponTemplateBody) => json<CouponTemplate>('POST', '/v1/loyalty/coupon-templates', body),
    /** Issues one coupon to a profile; the idempotency key makes a double click issue once. */
    issueCoupon: (body: IssueCouponBody) => json<CouponAnswer>('POST', '/v1/loyalty/coupons/issue', body),
  };
}

/** The API client type. */
export type Api = ReturnType<typeof createApi>;
