/**
 * The console's client of the Siyu HTTP API (secret key, `Authorization: Bearer sk_...`). The
 * types mirror the routes' JSON schemas: src/platform/platform.routes.ts,
 * src/segments/segments.routes.ts, src/cdp/profiles.schemas.ts and
 * src/segments/models/models.schemas.ts. The rule language itself is shared with the server.
 */
import type { ModelSettingsAnswer as ModelSettings, RfmReport, SegmentationSettings } from '../../src/segments/models/model.types.ts';

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

/** One problem of a RULE_INVALID answer (`details.errors`): the JSON path of the bad node and what was wrong. */
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

export interface Workspace {
  id: string;
  name: string;
  settings: { currency?: string; timezone?: string; [k: string]: unknown };
  createdAt: string;
}

export type SegmentStatus = 'active' | 'archived';

export interface Segment {
  id: string;
  name: string;
  description: string;
  kind: 'rule' | 'static';
  rule: Record<string, unknown> | null;
  /** A readable summary of the rule per locale, when the server gives one. */
  summary?: { en?: string; 'zh-CN'?: string } | null;
  version: number;
  timeDependent: boolean;
  status: SegmentStatus;
  memberCount: number;
  /** A full computation is in progress; memberCount is still settling. */
  computing: boolean;
  /** How its computation is going: after a failure it waits until retryAt; `failed` after 8 in a row. */
  recompute?: { state: 'ok' | 'retrying' | 'failed'; failures: number; lastError: string | null; lastFailedAt: string | null; retryAt: string | null };
  evaluatedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SegmentDetail extends Segment {
  versions: { version: number; rule: Record<string, unknown> | null; createdAt: string }[];
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Preview {
  count: number;
  /** Live profiles in the workspace. */
  total: number;
  sample: { id: string; traits: Record<string, unknown>; lastSeenAt: string | null }[];
  tookMs: number;
}

export interface Member {
  profileId: string;
  version: number;
  enteredAt: string;
}

export interface Profile {
  id: string;
  identifiers: { type: string; value: string | null; firstSeenAt: string }[];
  traits: Record<string, unknown>;
  tags: { id?: string; group?: string; name?: string }[];
  aggregates: { orderCount: number; totalSpentFen: number; firstPurchaseAt: string | null; lastPurchaseAt: string | null };
  firstSeenAt: string | null;
  lastSeenAt: string | null;
}

/** The models' settings (GET /v1/models/settings) and RFM report, as the server declares them. */
export type {
  ModelSettingsAnswer as ModelSettings,
  RfmCellReport,
  RfmReport,
  SegmentationSettings,
  Thresholds,
} from '../../src/segments/models/model.types.ts';

/** How an uploaded list changes a static segment's members. */
export type UploadMode = 'add' | 'replace' | 'remove';

/** The answer of `POST /v1/segments/:id/members` (a static segment's CSV upload). */
export interface StaticUploadReport {
  /** Data rows read (rows that could not be parsed are counted in errorCount only). */
  rows: number;
  added: number;
  alreadyMembers: number;
  removed: number;
  /** Every row that was skipped; `errors` lists the first 1,000 of them. */
  errorCount: number;
  errors: { line: number; reason: string }[];
}

export interface ComputeAnswer {
  computedAt: string;
  segmentsRecomputing: string[];
  rfm?: { buyers: number; cells: Record<string, number> };
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
      const json = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown } };
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
    listSegments: (q: { status: 'active' | 'archived' | 'all'; limit: number; cursor?: string }) => json<Page<Segment>>('GET', `/v1/segments${query(q)}`),
    getSegment: (id: string) => json<SegmentDetail>('GET', `/v1/segments/${encodeURIComponent(id)}`),
    createSegment: (body: { name: string; description?: string; kind?: 'rule' | 'static'; rule?: unknown }) => json<Segment>('POST', '/v1/segments', body),
    updateSegment: (id: string, body: { name?: string; description?: string; rule?: unknown }) =>
      json<Segment>('PATCH', `/v1/segments/${encodeURIComponent(id)}`, body),
    archiveSegment: (id: string) => json<Segment>('DELETE', `/v1/segments/${encodeURIComponent(id)}`),
    recompute: (id: string) => json<Segment>('POST', `/v1/segments/${encodeURIComponent(id)}/recompute`),
    preview: (rule: unknown, sampleSize = 10) => json<Preview>('POST', '/v1/segments/preview', { rule, sampleSize }),
    members: (id: string, q: { limit: number; cursor?: string }) => json<Page<Member>>('GET', `/v1/segments/${encodeURIComponent(id)}/members${query(q)}`),
    /** The whole member list as CSV (streamed by the server), as a Blob to save. */
    membersCsv: async (id: string, traits: string[]) =>
      (await call('GET', `/v1/segments/${encodeURIComponent(id)}/members${query({ format: 'csv', traits: traits.join(',') })}`)).blob(),
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
    saveModelSettings: (settings: SegmentationSettings) => json<ModelSettings>('PUT', '/v1/models/settings', settings),
    computeModels: (models: ('rfm' | 'lifecycle' | 'community')[]) => json<ComputeAnswer>('POST', '/v1/models/compute', { models }),
  };
}

/** The API client type. */
export type Api = ReturnType<typeof createApi>;
