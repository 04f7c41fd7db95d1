/** The settings area (a chunk of its own): workspace, users and roles, API keys, the audit log, privacy requests, data retention. */
export { ApiKeysPage } from '../pages/settings/ApiKeys.tsx';
export { UsersPage } from '../pages/settings/Users.tsx';
export { WorkspaceSettingsPage } from '../pages/settings/WorkspaceSettings.tsx';
export { AuditLogPage } from '../pages/settings/AuditLog.tsx';
export { PrivacyRequestsPage } from '../pages/settings/PrivacyRequests.tsx';
export { RetentionPage } from '../pages/settings/Retention.tsx';
