/**
 * The demo module's public surface: a deterministic demo brand (a coffee chain and a designer-toy
 * line) loaded into an empty workspace through the owning modules' functions. See docs/demo.md.
 */
export type { DemoDeps } from './deps.js';
export { demoRoutes } from './demo.routes.js';
export { DemoError } from './errors.js';
export {
  loadDemo,
  workspaceHasProfiles,
  DEMO_DEFAULTS,
  DEMO_MAX_CUSTOMERS,
  DEMO_IMPORT_CHUNK_ROWS,
  type DemoOptions,
  type DemoSummary,
} from './demo.service.js';
export { generateDemo, type DemoData, type GenerateOptions } from './generate.js';
export { STORES, DROPS } from './brand.js';
export type { DemoWeComSummary } from './wecom-setup.js';
export type { DemoSend } from './sends.js';
export type {
  DemoSandboxes,
  DemoSandboxFactory,
  DemoSandboxSinks,
  DemoWeComSandbox,
  DemoSmsGateway,
  DemoSmsAccount,
  DemoCorp,
  DemoCorpStaff,
  DemoCorpCustomer,
  DemoCorpRelation,
  DemoCorpGroup,
  SealedCallback,
} from './sandboxes.js';
