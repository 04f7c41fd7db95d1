/**
 * The API's answers, bodies and queries as the console uses them, derived with json-schema-to-ts's
 * `FromSchema` from the very route schemas the server validates requests and serialises answers
 * with — nothing here is restated by hand. Remove or rename a field in a schema and the console's
 * type check (`npm run check`, `npm run build:console`) fails where the console reads it.
 *
 * The schemas come in as types only (`import type`, erased from the bundle), and
 * `npm run check:deps` keeps everything the console reaches in src/ to `*.schemas.ts` and
 * `*.types.ts` files that import no server code (docs/architecture.md, "Console API types").
 */
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type {
  listProfilesQuery,
  mergeListSchema,
  profileSchema,
  profileSummarySchema,
  profileTagsSchema,
  tagSchema,
  timelinePageSchema,
} from '../../src/cdp/profiles.schemas.ts';
import type {
  experimentSchema,
  listQuery as experimentListQuery,
  listSchema as experimentListSchema,
  resultsSchema,
} from '../../src/insight/experiments/experiments.schemas.ts';
import type { atRiskQuery, atRiskSchema, fitBody, fitSchema, overviewSchema, profileClvSchema } from '../../src/insight/clv/clv.schemas.ts';
import type { couponAnswer, issueBody, templateBody, templateSchema, templatesPage, templatesQuery } from '../../src/loyalty/coupons.schemas.ts';
import type { demoBody, demoSummarySchema } from '../../src/demo/demo.schemas.ts';
import type { errorSchema } from '../../src/platform/http-schemas.ts';
import type { eventCatalogSchema, eventPropertiesSchema, traitCatalogSchema } from '../../src/cdp/catalog.schemas.ts';
import type { cohortQuery, cohortSchema } from '../../src/insight/cohorts/cohorts.schemas.ts';
import type { funnelBody, funnelSchema } from '../../src/insight/funnels/funnels.schemas.ts';
import type { metricParams, metricQuery, metricSchema } from '../../src/insight/metrics/metrics.schemas.ts';
import type { createdKeySchema, keyInfo, patchWorkspaceBody, workspaceSchema } from '../../src/platform/platform.schemas.ts';
import type { invitationSchema, inviteBody, memberSchema, patchUserBody, sessionSchema } from '../../src/access/access.schemas.ts';
import type { auditEntrySchema, auditQuery } from '../../src/compliance/audit.schemas.ts';
import type { rateLimitsAnswer, rateLimitsBody } from '../../src/compliance/rate-limit.schemas.ts';
import type { keyStatusSchema } from '../../src/compliance/keys.schemas.ts';
import type { newPrivacyRequestBody, privacyListQuery, privacyRequestSchema } from '../../src/compliance/privacy.schemas.ts';
import type {
  computeBody,
  computeReportSchema,
  flowQuery,
  flowSchema,
  rfmReportSchema,
  settingsAnswerSchema,
  settingsBody,
} from '../../src/segments/models/models.schemas.ts';
import type {
  createBody,
  listSchema,
  membersSchema,
  previewSchema,
  segmentDetailSchema,
  segmentSchema,
  updateBody,
  uploadSchema,
} from '../../src/segments/segments.schemas.ts';

import type {
  createSurveyBody,
  linkBody,
  linkSchema,
  listSurveysQuery,
  surveyPageSchema,
  surveySchema,
  updateSurveyBody,
} from '../../src/insight/surveys/surveys.schemas.ts';
import type { surveyReportQuery, surveyReportSchema, verbatimPageSchema, verbatimsQuery } from '../../src/insight/surveys/results.schemas.ts';

import type {
  channelConfigSchema,
  channelListPage,
  channelTestAnswer,
  channelTestBody,
  consentImportQuery,
  consentImportReport,
  consentSearchPage,
  consentSearchQuery,
  listTemplatesQuery,
  previewAnswer,
  previewBody as templatePreviewBody,
  settingsSchema,
  templateBody as messageTemplateBody,
  templateDetailSchema,
  templatePage,
} from '../../src/messaging/messaging.schemas.ts';
import type {
  broadcastSchema,
  inputProperties as broadcastInputProperties,
  listQuery as broadcastListQuery,
  statsSchema as broadcastStatsSchema,
  testAnswer as broadcastTestAnswer,
  testBody as broadcastTestBody,
} from '../../src/broadcasts/broadcasts.schemas.ts';

export type { Page } from '../../src/platform/http-schemas.ts';

/**
 * An object type without the `[x: string]: unknown` that FromSchema adds to an object schema
 * without `additionalProperties: false`, so that reading a field the schema does not list is a
 * type error. Objects that list no properties (traits, payloads) keep their index signature.
 */
type Closed<T> = T extends (infer I)[]
  ? Closed<I>[]
  : T extends object
    ? { [K in keyof T as string extends K ? never : number extends K ? never : K]: Closed<T[K]> } extends infer C
      ? [keyof C] extends [never]
        ? T
        : C
      : never
    : T;

/** A response schema's type: what the server serialises (fields in `required` always present). */
export type Answer<S extends JSONSchema> = Closed<FromSchema<S>>;
/** A request body's or query's type: what the server accepts (defaulted fields may be left out). */
export type Input<S extends JSONSchema> = FromSchema<S, { keepDefaultedPropertiesOptional: true }>;

/** `{ error: { code, message, details? } }`, the API's one error shape. */
export type ErrorBody = FromSchema<typeof errorSchema>;

/** `GET /v1/workspace`. */
export type Workspace = Answer<typeof workspaceSchema>;
/** Body of `PATCH /v1/workspace` (owner): name and/or time zone. */
export type PatchWorkspaceBody = Input<typeof patchWorkspaceBody>;

/** A segment (`POST`/`PATCH`/`DELETE /v1/segments...`, `POST .../recompute`, list items). */
export type Segment = Answer<typeof segmentSchema>;
/** `active` or `archived`. */
export type SegmentStatus = Segment['status'];
/** `GET /v1/segments/:id`: a segment with its rule versions. */
export type SegmentDetail = Answer<typeof segmentDetailSchema>;
/** Query of `GET /v1/segments`. */
export type SegmentListQuery = Input<(typeof listSchema)['querystring']>;
/** `GET /v1/segments`. */
export type SegmentPage = Answer<(typeof listSchema)['response'][200]>;
/** Body of `POST /v1/segments`. */
export type CreateSegmentBody = Input<typeof createBody>;
/** Body of `PATCH /v1/segments/:id`. */
export type UpdateSegmentBody = Input<typeof updateBody>;
/** Body of `POST /v1/segments/preview`. */
export type PreviewBody = Input<(typeof previewSchema)['body']>;
/** `POST /v1/segments/preview`. */
export type Preview = Answer<(typeof previewSchema)['response'][200]>;
/** Query of `GET /v1/segments/:id/members` (JSON pages). */
export type MembersQuery = Input<(typeof membersSchema)['querystring']>;
/** `GET /v1/segments/:id/members`. */
export type MemberPage = Answer<(typeof membersSchema)['response'][200]>;
/** One member of a segment. */
export type Member = MemberPage['data'][number];
/** How an uploaded list changes a static segment's members (`?mode=`). */
export type UploadMode = NonNullable<Input<(typeof uploadSchema)['querystring']>['mode']>;
/** `POST /v1/segments/:id/members` (a static segment's CSV upload). */
export type StaticUploadReport = Answer<(typeof uploadSchema)['response'][200]>;

/** `GET /v1/profiles/:id`: a profile with the first page of its timeline. */
export type Profile = Answer<typeof profileSchema>;

/** `GET /v1/models/rfm/report`. */
export type RfmReport = Answer<typeof rfmReportSchema>;
/** One cell of the RFM report. */
export type RfmCellReport = RfmReport['cells'][number];
/** GET /v1/models/lifecycle/flow. */
export type LifecycleFlow = Answer<typeof flowSchema>;
export type LifecycleFlowQuery = Input<typeof flowQuery>;
/** `GET` and `PUT /v1/models/settings`: the time zone and the segmentation settings, defaults applied. */
export type ModelSettings = Answer<typeof settingsAnswerSchema>;
/** The three models' settings. */
export type SegmentationSettings = ModelSettings['segmentation'];
/** Four thresholds of one RFM dimension, worst to best. */
export type Thresholds = NonNullable<SegmentationSettings['rfm']['thresholds']['r']>;
/** Body of `PUT /v1/models/settings` (the console sends a whole `SegmentationSettings`, which is one). */
export type SettingsBody = Input<typeof settingsBody>;
/** Body of `POST /v1/models/compute`. */
export type ComputeBody = Input<typeof computeBody>;
/** `POST /v1/models/compute`. */
export type ComputeAnswer = Answer<typeof computeReportSchema>;

/** A metric's name (`GET /v1/insight/metrics/:metric`). */
export type MetricName = Input<typeof metricParams>['metric'];
/** Query of `GET /v1/insight/metrics/:metric`. */
export type MetricQuery = Input<typeof metricQuery>;
/** `GET /v1/insight/metrics/:metric`: a table of named columns and rows, with its scope. */
export type MetricAnswer = Answer<typeof metricSchema>;
/** Body of `POST /v1/insight/funnels`. */
export type FunnelBody = Input<typeof funnelBody>;
/** `POST /v1/insight/funnels`: one row per (breakdown group, step). */
export type FunnelAnswer = Answer<typeof funnelSchema>;
/** Query of `GET /v1/insight/cohorts/report`. */
export type CohortQuery = Input<typeof cohortQuery>;
/** `GET /v1/insight/cohorts/report`: the retention triangle. */
export type CohortAnswer = Answer<typeof cohortSchema>;
// Surveys (src/insight/surveys): definitions, signed links, the report and verbatims.
/** A survey with its current version (`/v1/insight/surveys...`). */
export type Survey = Answer<typeof surveySchema>;
/** One question of a survey. */
export type SurveyQuestion = Survey['questions'][number];
/** `GET /v1/insight/surveys`. */
export type SurveyPage = Answer<typeof surveyPageSchema>;
/** Query of `GET /v1/insight/surveys`. */
export type SurveyListQuery = Input<typeof listSurveysQuery>;
/** Body of `POST /v1/insight/surveys`. */
export type CreateSurveyBody = Input<typeof createSurveyBody>;
/** Body of `PATCH /v1/insight/surveys/:id`. */
export type UpdateSurveyBody = Input<typeof updateSurveyBody>;
/** Body of `POST /v1/insight/surveys/:id/links`. */
export type SurveyLinkBody = Input<typeof linkBody>;
/** `POST /v1/insight/surveys/:id/links`. */
export type SurveyLinkAnswer = Answer<typeof linkSchema>;
/** Query of `GET /v1/insight/surveys/:id/report`. */
export type SurveyReportQuery = Input<typeof surveyReportQuery>;
/** `GET /v1/insight/surveys/:id/report`: totals, trend, touchpoints. */
export type SurveyReport = Answer<typeof surveyReportSchema>;
/** Query of `GET /v1/insight/surveys/:id/verbatims`. */
export type VerbatimsQuery = Input<typeof verbatimsQuery>;
/** `GET /v1/insight/surveys/:id/verbatims`. */
export type VerbatimPage = Answer<typeof verbatimPageSchema>;
/** One free-text answer. */
export type Verbatim = VerbatimPage['data'][number];
/** `GET /v1/console/session`, `POST /v1/console/login`: the signed-in user, their workspaces and the CSRF token. */
export type ConsoleSession = Answer<typeof sessionSchema>;
/** A console user's role in a workspace. */
export type Role = ConsoleSession['workspaces'][number]['role'];
/** `GET /v1/users` items: a console user with their role here. */
export type UserMember = Answer<typeof memberSchema>;
/** Body of `POST /v1/users/invitations`. */
export type InviteBody = Input<typeof inviteBody>;
/** `POST /v1/users/invitations`: the invitation and its one-time link. */
export type InvitationAnswer = Answer<typeof invitationSchema>;
/** Body of `PATCH /v1/users/:id`. */
export type PatchUserBody = Input<typeof patchUserBody>;
/** `GET /v1/keys` items. */
export type KeyInfo = Answer<typeof keyInfo>;
/** `POST /v1/keys`. */
export type CreatedKey = Answer<typeof createdKeySchema>;
/** `GET /v1/audit` items: one recorded action. */
export type AuditEntry = Answer<typeof auditEntrySchema>;
/** Query of `GET /v1/audit` (and, without paging, of its CSV export). */
export type AuditQuery = Input<typeof auditQuery>;
/** `GET /v1/rate-limits`: the workspace's limits on its public endpoints, with the defaults. */
export type RateLimitsAnswer = Answer<typeof rateLimitsAnswer>;
/** Body of `PUT /v1/rate-limits`. */
export type RateLimitsBody = Input<typeof rateLimitsBody>;
/** `GET /v1/encryption/keys`: the workspace's data key versions and latest rotation. */
export type KeyStatus = Answer<typeof keyStatusSchema>;
/** A data-subject request (`/v1/privacy/requests`). */
export type PrivacyRequest = Answer<typeof privacyRequestSchema>;
/** Body of `POST /v1/privacy/requests`. */
export type NewPrivacyRequestBody = Input<typeof newPrivacyRequestBody>;
/** Query of `GET /v1/privacy/requests`. */
export type PrivacyListQuery = Input<typeof privacyListQuery>;

/** `GET /v1/profiles` items: a profile without its timeline. */
export type ProfileSummary = Answer<typeof profileSummarySchema>;
/** Query of `GET /v1/profiles`. */
export type ProfileListQuery = Input<typeof listProfilesQuery>;
/** `GET /v1/profiles/:id/events`: a page of the timeline, newest first. */
export type TimelinePage = Answer<typeof timelinePageSchema>;
/** One event of a timeline. */
export type TimelineEvent = TimelinePage['data'][number];
/** `GET /v1/profiles/:id/merges`. */
export type MergePage = Answer<typeof mergeListSchema>;
/** `GET /v1/catalog/traits`: trait keys and consent categories found on recent profiles. */
export type TraitCatalog = Answer<typeof traitCatalogSchema>;
/** A trait key (or consent category) with its JSON types and frequent values. */
export type SeenKey = TraitCatalog['data'][number];
/** `GET /v1/catalog/events`: the names of stored track events. */
export type EventCatalog = Answer<typeof eventCatalogSchema>;
/** `GET /v1/catalog/event-properties`: an event's property names. */
export type EventProperties = Answer<typeof eventPropertiesSchema>;
/** A property name with its JSON types and frequent values. */
export type SeenProperty = EventProperties['data'][number];
/** A tag of the catalogue (`GET /v1/tags`). */
export type CatalogueTag = Answer<typeof tagSchema>;
/** `POST /v1/profiles/:id/tags`, `DELETE …/tags/:tagId`: the profile's tags after the change. */
export type ProfileTags = Answer<typeof profileTagsSchema>;
/** An experiment (`GET /v1/insight/experiments/:id`, list items). */
export type Experiment = Answer<typeof experimentSchema>;
/** Query of `GET /v1/insight/experiments`. */
export type ExperimentListQuery = Input<typeof experimentListQuery>;
/** `GET /v1/insight/experiments`. */
export type ExperimentPage = Answer<typeof experimentListSchema>;
/** `GET /v1/insight/experiments/:id/results`. */
export type ExperimentResults = Answer<typeof resultsSchema>;
/** One row (arm) of an experiment's results table. */
export type ArmResult = ExperimentResults['table']['rows'][number];
/** `GET /v1/insight/clv`: the current CLV model, the CLV distribution and totals. */
export type ClvOverview = Answer<typeof overviewSchema>;
/** One bar of the CLV distribution. */
export type ClvBucket = ClvOverview['distribution']['bars'][number];
/** Body of `POST /v1/insight/clv/fit`. */
export type ClvFitBody = Input<typeof fitBody>;
/** `POST /v1/insight/clv/fit`. */
export type ClvFitAnswer = Answer<typeof fitSchema>;
/** Query of `GET /v1/insight/clv/at-risk`. */
export type ClvAtRiskQuery = Input<typeof atRiskQuery>;
/** `GET /v1/insight/clv/at-risk`. */
export type ClvAtRiskPage = Answer<typeof atRiskSchema>;
/** One profile's CLV predictions (an at-risk row). */
export type ClvPrediction = ClvAtRiskPage['data'][number];
/** `GET /v1/profiles/:id/clv`. */
export type ProfileClv = Answer<typeof profileClvSchema>;
/** A coupon template with its statistics (`GET /v1/loyalty/coupon-templates`, list items). */
export type CouponTemplate = Answer<typeof templateSchema>;
/** What a coupon takes off an order. */
export type CouponKind = CouponTemplate['kind'];
/** Query of `GET /v1/loyalty/coupon-templates`. */
export type CouponTemplateQuery = Input<typeof templatesQuery>;
/** `GET /v1/loyalty/coupon-templates`. */
export type CouponTemplatePage = Answer<typeof templatesPage>;
/** Body of `POST /v1/loyalty/coupon-templates`. */
export type CreateCouponTemplateBody = Input<typeof templateBody>;
/** Body of `POST /v1/loyalty/coupons/issue`. */
export type IssueCouponBody = Input<typeof issueBody>;
/** `POST /v1/loyalty/coupons/issue`: `{ coupon }`. */
export type CouponAnswer = Answer<typeof couponAnswer>;
/** Body of `POST /v1/demo` (scale and seed, both optional). */
export type DemoBody = Input<typeof demoBody>;
/** `POST /v1/demo`: what the demo brand load made. */
export type DemoSummary = Answer<typeof demoSummarySchema>;

// Messaging (src/messaging): templates, channels, guardrail settings, the consent ledger.
/** A message template with its current version (`GET /v1/templates` items). */
export type MessageTemplate = Answer<typeof templatePage>['data'][number];
/** `GET /v1/templates`. */
export type MessageTemplatePage = Answer<typeof templatePage>;
/** Query of `GET /v1/templates`. */
export type MessageTemplateQuery = Input<typeof listTemplatesQuery>;
/** `GET /v1/templates/:id`, and the answer of a save (with `warnings`). */
export type MessageTemplateDetail = Answer<typeof templateDetailSchema>;
/** A channel name. */
export type ChannelName = MessageTemplate['channel'];
/** Body of `POST /v1/templates` and `PATCH /v1/templates/:id`. */
export type MessageTemplateBody = Input<typeof messageTemplateBody>;
/** Body of `POST /v1/templates/:id/preview`. */
export type TemplatePreviewBody = Input<typeof templatePreviewBody>;
/** `POST /v1/templates/:id/preview`: the rendered content. */
export type TemplatePreview = Answer<typeof previewAnswer>;
/** `GET /v1/channels`: every channel with its configuration and form. */
export type ChannelInfoPage = Answer<typeof channelListPage>;
/** One channel of `GET /v1/channels`. */
export type ChannelInfo = ChannelInfoPage['data'][number];
/** `GET`/`PUT /v1/channels/:channel`. */
export type ChannelConfig = Answer<typeof channelConfigSchema>;
/** Body of `POST /v1/messaging/channels/:channel/test`. */
export type ChannelTestBody = NonNullable<Input<typeof channelTestBody>>;
/** `POST /v1/messaging/channels/:channel/test`: the provider's outcome. */
export type ChannelTestResult = Answer<typeof channelTestAnswer>;
/** `GET`/`PATCH /v1/messaging/settings`: the guardrails, defaults applied. */
export type MessagingSettings = Answer<typeof settingsSchema>;
/** Query of `GET /v1/messaging/consent`. */
export type ConsentSearchQuery = Input<typeof consentSearchQuery>;
/** `GET /v1/messaging/consent`. */
export type ConsentSearchPage = Answer<typeof consentSearchPage>;
/** One entry of the consent ledger. */
export type ConsentRecord = ConsentSearchPage['data'][number];
/** `POST /v1/messaging/consent/imports`: the report (also the details of a rejected file). */
export type ConsentImportReport = Answer<typeof consentImportReport>;
/** Query of `POST /v1/messaging/consent/imports`. */
export type ConsentImportQuery = Input<typeof consentImportQuery>;

// Broadcasts (src/broadcasts): one-off sends to a segment.
/** A broadcast with its progress. */
export type Broadcast = Answer<typeof broadcastSchema>;
/** A broadcast's status. */
export type BroadcastStatus = Broadcast['status'];
/** Query of `GET /v1/broadcasts`. */
export type BroadcastListQuery = Input<typeof broadcastListQuery>;
/** Body of `POST /v1/broadcasts` (name, channel and segmentId required) and `PATCH /v1/broadcasts/:id`. */
export type BroadcastBody = Input<{ type: 'object'; additionalProperties: false; properties: typeof broadcastInputProperties }>;
/** `GET /v1/broadcasts/:id/stats`. */
export type BroadcastStats = Answer<typeof broadcastStatsSchema>;
/** Body of `POST /v1/broadcasts/:id/test`. */
export type BroadcastTestBody = Input<typeof broadcastTestBody>;
/** `POST /v1/broadcasts/:id/test`. */
export type BroadcastTestAnswer = Answer<typeof broadcastTestAnswer>;
