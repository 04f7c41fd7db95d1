/**
 * The SCRM (WeCom) API's answers, bodies and queries as the console uses them, derived from the
 * routes' own schemas like api-types.ts (types only: nothing of the server is bundled).
 */
import type { connectionSchema, connectionTestSchema, putBody, syncStatusSchema } from '../../src/scrm/connection.schemas.ts';
import type { contactPage, contactsQuery, corpTagSchema, profileWeComSchema, staffQuery, staffSchema } from '../../src/scrm/staff.schemas.ts';
import type {
  addSchema,
  createBody as liveCodeCreateBody,
  listQuery as liveCodeListQuery,
  liveCodeSchema,
  patchBody as liveCodePatchBody,
  statsSchema as liveCodeStatsSchema,
} from '../../src/scrm/livecodes/live-codes.schemas.ts';
import type { groupCodeCreateBody, groupCodePatchBody, groupCodeSchema } from '../../src/scrm/livecodes/group-codes.schemas.ts';
import type {
  detailSchema as groupDetailSchema,
  listQuery as groupListQuery,
  listSchema as groupListSchema,
  statsSchema as groupStatsSchema,
} from '../../src/scrm/groups/groups.schemas.ts';
import type {
  alertSchema,
  alertsQuery,
  archiveMessageSchema,
  archiveSearchQuery,
  handoverBody,
  handoverResultSchema,
  handoverSchema,
  handoversQuery,
  sopSchema,
  taskSchema,
  tasksQuery,
  unassignedSchema,
  wordSchema,
} from '../../src/scrm/ops/ops.schemas.ts';
import type { Answer, Input } from './api-types.ts';

/** `GET /v1/wecom/connection` (secrets masked). */
export type WeComConnection = Answer<typeof connectionSchema>;
/** Body of `PUT /v1/wecom/connection`. */
export type WeComConnectionBody = Input<typeof putBody>;
/** `POST /v1/wecom/connection/test`. */
export type WeComConnectionTest = Answer<typeof connectionTestSchema>;
/** `GET` and `POST /v1/wecom/sync`: the workspace's full sync. */
export type WeComSyncStatus = Answer<typeof syncStatusSchema>;

/** A staff member (`GET /v1/wecom/staff`). */
export type ScrmStaff = Answer<typeof staffSchema>;
/** Query of `GET /v1/wecom/staff`. */
export type ScrmStaffQuery = Input<typeof staffQuery>;
/** A customer with their followers (`GET /v1/wecom/contacts`). */
export type ScrmContact = Answer<typeof contactPage>['data'][number];
/** GET /v1/profiles/:id/wecom: a profile's WeCom customers, staff (owner first) and groups. */
export type ProfileWeCom = Answer<typeof profileWeComSchema>;
/** Query of `GET /v1/wecom/contacts`. */
export type ScrmContactsQuery = Input<typeof contactsQuery>;
/** A corp tag. */
export type CorpTag = Answer<typeof corpTagSchema>;

/** A live code (`today` only when read alone). */
export type LiveCode = Answer<typeof liveCodeSchema>;
/** Query of `GET /v1/wecom/live-codes`. */
export type LiveCodeListQuery = Input<typeof liveCodeListQuery>;
/** Body of `POST /v1/wecom/live-codes`. */
export type LiveCodeCreateBody = Input<typeof liveCodeCreateBody>;
/** Body of `PATCH /v1/wecom/live-codes/:id`. */
export type LiveCodePatchBody = Input<typeof liveCodePatchBody>;
/** `GET /v1/wecom/live-codes/:id/stats`. */
export type LiveCodeStats = Answer<typeof liveCodeStatsSchema>;
/** A customer who came through a live code. */
export type LiveCodeAdd = Answer<typeof addSchema>;

/** A customer group in lists. */
export type ScrmGroup = Answer<typeof groupListSchema>['data'][number];
/** Query of `GET /v1/wecom/groups`. */
export type ScrmGroupQuery = Input<typeof groupListQuery>;
/** A group with its members. */
export type ScrmGroupDetail = Answer<typeof groupDetailSchema>;
/** Joins, quits and net growth by day. */
export type ScrmGroupStats = Answer<typeof groupStatsSchema>;
/** A group live code. */
export type GroupCode = Answer<typeof groupCodeSchema>;
/** Body of `POST /v1/wecom/group-codes`. */
export type GroupCodeCreateBody = Input<typeof groupCodeCreateBody>;
/** Body of `PATCH /v1/wecom/group-codes/:id`. */
export type GroupCodePatchBody = Input<typeof groupCodePatchBody>;

/** A SOP. */
export type Sop = Answer<typeof sopSchema>;
/** A SOP task. */
export type SopTask = Answer<typeof taskSchema>;
/** Query of `GET /v1/wecom/tasks`. */
export type SopTaskQuery = Input<typeof tasksQuery>;
/** One customer's handover. */
export type Handover = Answer<typeof handoverSchema>;
/** Query of `GET /v1/wecom/handovers`. */
export type HandoverQuery = Input<typeof handoversQuery>;
/** Body of `POST /v1/wecom/handovers`. */
export type HandoverBody = Input<typeof handoverBody>;
/** `POST /v1/wecom/handovers`. */
export type HandoverResult = Answer<typeof handoverResultSchema>;
/** A customer of a member who left. */
export type Unassigned = Answer<typeof unassignedSchema>;
/** A churn or sensitive-word alert. */
export type ScrmAlert = Answer<typeof alertSchema>;
/** Query of `GET /v1/wecom/alerts`. */
export type ScrmAlertQuery = Input<typeof alertsQuery>;
/** A sensitive word. */
export type SensitiveWord = Answer<typeof wordSchema>;
/** An archived message with its sensitive-word hits. */
export type ArchiveMessage = Answer<typeof archiveMessageSchema>;
/** Query of `GET /v1/wecom/archive/messages`. */
export type ArchiveQuery = Input<typeof archiveSearchQuery>;
