/**
 * The compliance module's public surface (issue #19): the audit log — every management-API and
 * console action recorded append-only, searchable and exportable by the owner — and the rate limits
 * of the public endpoints, per workspace. See docs/compliance.md.
 */
export { complianceMigrations } from './migrations.js';
export type { ComplianceDB } from './schema.js';
export { installAudit } from './audit.hook.js';
export { auditRoutes } from './audit.routes.js';
export { listAudit, recordAudit, type AuditEntry, type AuditQuery, type ComplianceDeps } from './audit.service.js';
export { ComplianceError } from './errors.js';
export { maskText } from './redact.js';
export { createRateLimiter, type RateLimiter } from './rate-limit.js';
export { installRateLimits, limitClassOf, type RateLimitDeps } from './rate-limit.hook.js';
export { rateLimitRoutes } from './rate-limit.routes.js';
export { createLimitsCache, DEFAULT_RATE_LIMITS, type LimitClass, type LimitsCache, type RateLimits } from './rate-limit.settings.js';
