/**
 * The composition root's door, for the CLI, tests and benchmarks (nothing in src/ but the CLI
 * imports src/server/): the process state and each module's deps (services.ts, deps.ts), the HTTP
 * app (http.ts), the workers by name (workers.ts), migrations and the error catalogue.
 */
export { createServices, type Services, type ServicesOptions, type SiyuHubEvents } from './services.js';
export { journeyDepsOf, messagingDeps, broadcastsDeps, demoDeps, privacyDeps, keyRotationDeps } from './deps.js';
export { retentionDeps } from './retention-deps.js';
export { buildApp } from './http.js';
export { startWorkers, stopWorkers, parseWorkerNames, describeWorkers, WORKER_NAMES, type WorkerName } from './workers.js';
export { migrateSiyu, siyuMigrations } from './migrations.js';
export { errorCatalogue } from './errors.js';
export { createLogger } from './logger.js';
