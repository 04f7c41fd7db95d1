/**
 * The compliance module's public surface (issue #19): the audit log — every management-API and
 * console action recorded append-only, searchable and exportable by the owner —, the rate limits
 * of the public endpoints, per workspace, data-subject requests (export, erasure, correction), and
 * retention policies with their scheduled job.
 * See docs/compliance.md.
 */
export { complianceMigrations } from './migrations.js';
export type { ComplianceDB } from './schema.js';
export { installAudit } from './audit.hook.js';
export { auditRoutes } from './audit.routes.js';
export { ComplianceError } from './errors.js';
export { privacyRoutes } from './privacy.routes.js';
export { carryOutCorrection, type PrivacyCorrectDeps, type IdentifierChange, type IdentifierOutcome } from './privacy.correct.js';
export { exportArchive, type PrivacyExportDeps } from './privacy.export.js';
export { carryOutErasure, type PrivacyEraseDeps } from './privacy.erase.js';
export { zipStream, type ZipEntry } from './zip.js';
export { privacyDeadline, WORKING_DAYS } from './privacy.deadline.js';
export {
  createPrivacyRequest,
  getPrivacyRequest,
  listPrivacyRequests,
  closePrivacyRequest,
  type PrivacyDeps,
  type PrivacyRequest,
  type PrivacyKind,
  type PrivacyStatus,
} from './privacy.service.js';
export { listAudit, recordAudit, type AuditEntry, type AuditQuery, type ComplianceDeps } from './audit.service.js';
export { maskText } from './redact.js';
export { createRateLimiter, type RateLimiter } from './rate-limit.js';
export { installRateLimits, limitClassOf, type RateLimitDeps } from './rate-limit.hook.js';
export { rateLimitRoutes } from './rate-limit.routes.js';
export { encryptionKeyRoutes } from './keys.routes.js';
export { startKeyRotationWorker } from './keys.worker.js';
export { createLimitsCache, DEFAULT_RATE_LIMITS, type LimitClass, type LimitsCache, type RateLimits } from './rate-limit.settings.js';
export { retentionRoutes } from './retention.routes.js';
export { complianceRetention } from './retention.purgers.js';
export {
  runRetention,
  startRetentionRun,
  getRetentionRun,
  listRetentionRuns,
  retentionRunningSince,
  type RetentionDeps,
  type RetentionRun,
  type KindReport,
} from './retention.job.js';
export { startRetentionWorker, runRetentionSchedule, type RetentionWorker, type RetentionScheduleOptions } from './retention.worker.js';
export { readPeriods, savePeriods, type RetentionPeriods } from './retention.settings.js';
export { RETENTION_DEFAULTS, RETENTION_BOUNDS } from './retention.schemas.js';
