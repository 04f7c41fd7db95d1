/**
 * The console's calls of the retention API (issue #19), typed with the routes' own schemas
 * (types only: nothing of the server is bundled). Reached as `api.retention`.
 */
import type { JsonCall } from './api-scrm.ts';
import type { Answer, Input } from './api-types.ts';
import type { retentionAnswer, retentionBody, retentionRunSchema, retentionRunsPage } from '../../src/compliance/retention.schemas.ts';

/** `GET`/`PUT /v1/retention`: the periods per kind (days; null: kept forever), the defaults and the bounds. */
export type RetentionAnswer = Answer<typeof retentionAnswer>;
/** Body of `PUT /v1/retention`. */
export type RetentionBody = Input<typeof retentionBody>;
/** One run of the retention job and its report. */
export type RetentionRun = Answer<typeof retentionRunSchema>;
/** `GET /v1/retention/runs`. */
export type RetentionRunsPage = Answer<typeof retentionRunsPage>;
/** The kinds, in the report's order. */
export type RetentionKind = keyof RetentionAnswer['periods'];

/** The retention calls. */
export function retentionCalls(json: JsonCall) {
  return {
    get: () => json<RetentionAnswer>('GET', '/v1/retention'),
    save: (body: RetentionBody) => json<RetentionAnswer>('PUT', '/v1/retention', body),
    runs: (cursor?: string) => json<RetentionRunsPage>('GET', `/v1/retention/runs?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    runNow: () => json<RetentionRun>('POST', '/v1/retention/runs'),
  };
}
