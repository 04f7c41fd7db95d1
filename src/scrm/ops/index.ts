/**
 * SCRM operations on WeCom: SOPs (scheduled content plans that become staff tasks), the guide
 * workbench, staff handover, churn alerts and conversation-archive import. See
 * docs/scrm-operations.md.
 */
export { scrmOpsRoutes, type ScrmOpsRouteOptions } from './routes.js';
export { opsContext, type OpsContext } from './context.js';
export { runSopTick, syncSopTaskResults, type SopTickReport, type SopSyncReport } from './sop-tick.js';
export { syncHandoverResults, handoverFailedListener, requestHandover } from './handover.service.js';
export { churnAlertListener } from './alerts.service.js';
export { importArchive, type ArchiveReport, type ArchiveDeps } from './archive.service.js';
export { startScrmOpsWorker, runOpsCycle, type ScrmOpsWorker } from './worker.js';
