/**
 * The built-in segmentation models — RFM, lifecycle stages, community roles — computed per
 * workspace into `profile_scores`. How each is computed: docs/models.md and each model's module.
 */
export { computeModels, type ComputeOptions, type ComputeReport } from './compute.js';
export {
  computeRfm,
  rfmReport,
  rfmScore,
  rfmCell,
  quintileRanks,
  type RfmRunReport,
  type RfmReport,
  type RfmCellReport,
  type RfmThresholds,
  type ThresholdSource,
} from './rfm.js';
export {
  computeLifecycle,
  lifecycleStage,
  lifecycleCutoffs,
  LIFECYCLE_CHANGED_EVENT,
  type LifecycleRunReport,
  type LifecycleFacts,
  type LifecycleCutoffs,
} from './lifecycle.js';
export { computeCommunity, communityRole, communityScore, topRank, COMMUNITY_EVENTS, type CommunityRunReport, type CommunityActivity } from './community.js';
export {
  readModelSettings,
  readSegmentationSettings,
  loadModelSettings,
  saveSegmentationSettings,
  defaultSegmentationSettings,
  DEFAULT_CELL_NAMES,
  MODEL_NAMES,
  type ModelName,
  type ModelSettings,
  type SegmentationSettings,
  type RfmSettings,
  type LifecycleSettings,
  type CommunitySettings,
  type Thresholds,
} from './settings.js';
export { plainRun, DEFAULT_CHUNK_SIZE, type RunContext } from './run.js';
export { modelRoutes } from './models.routes.js';
export { lifecycleFlow, flowPeriod, type LifecycleFlow, type LifecycleMove } from './lifecycle-flow.js';
