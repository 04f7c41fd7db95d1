/** Channel live QR codes (渠道活码) and group live codes: routes, listeners, maintenance. */
export { liveCodeRoutes } from './live-codes.routes.js';
export { liveCodeListener, createLiveCodeListener, WELCOME_WINDOW_MS } from './live-codes.listener.js';
export { groupCodeListener, rotateGroupCode, computeWindow, MAX_GROUP_MEMBERS } from './group-codes.service.js';
export { runLiveCodeMaintenance } from './live-codes.service.js';
export { liveCodeStats } from './live-codes.stats.js';
export { chooseUsers, type Strategy, type Assignment } from './assignment.js';
export { liveDepsOf, workspaceTimeZones, type LiveDeps } from './context.js';
export { liveCodesMigration } from './migration.js';
export { startLiveCodeWorker, type LiveCodeWorker } from './worker.js';
