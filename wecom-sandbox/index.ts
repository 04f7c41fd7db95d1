/** The local WeCom sandbox: a fake corp behind WeCom's server API, and encrypted callbacks fired at Siyu. */
export { createSandbox, type Sandbox, type SandboxOptions, type SandboxCredentials } from './server.js';
export { FakeCorp, type FakeCorpOptions, type Staff, type Customer, type Relation } from './corp.js';
export { SandboxState, type ContactWay, type GroupMsg, type Transfer, type SentWelcome } from './state.js';
export { SCENARIOS, ScenarioError, applyScenario, type CallbackScenario } from './scenarios.js';
export { fireCallback, sealCallback, verifyCallbackUrl, type CallbackTarget, type FiredCallback, type SealedCallback, type VerifiedUrl } from './callbacks.js';
export type { BrandCorp, BrandCustomer, BrandGroup, BrandRelation, BrandStaff } from './brand.js';
export { ERRCODES, WeComApiError } from './errors.js';
export { registerWeComSandboxCommand } from './cli.js';
