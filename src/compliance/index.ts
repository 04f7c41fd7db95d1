/**
 * The compliance module's public surface (issue #19): so far the audit log — every management-API
 * and console action recorded append-only, searchable and exportable by the owner. See
 * docs/compliance.md.
 */
export { complianceMigrations } from './migrations.js';
export type { ComplianceDB } from './schema.js';
export { installAudit } from './audit.hook.js';
export { auditRoutes } from './audit.routes.js';
export { listAudit, recordAudit, type AuditEntry, type AuditQuery, type ComplianceDeps } from './audit.service.js';
