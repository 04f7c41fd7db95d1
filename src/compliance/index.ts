/**
 * The compliance module's public surface (issue #19): the audit log — every management-API and
 * console action recorded append-only, searchable and exportable by the owner —, the rate limits
 * of the public endpoints, per workspace, and data-subject requests (export, erasure, correction).
 * See docs/compliance.md.
 */
export { complianceMigrations } from './migrations.js';
export type { ComplianceDB } from './schema.js';
export { installAudit } from './audit.hook.js';
export { auditRoutes } from './audit.routes.js';
export { ComplianceError } from './errors.js';
export { privacyRoutes } from './privacy.routes.js';
export { carryOutCorrection, type PrivacyCorrectDeps } from './privacy.correct.js';
export { exportArchive, type PrivacyExportDeps } from './privacy.export.js';
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
